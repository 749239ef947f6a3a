-- Extending one session record's expiry: RedisStore::touch (a read found the session half-way
-- through its idle timeout). Atomic like the compare-and-set, and on one key, so it runs in Redis
-- Cluster too. Nothing is extended if the record changed meanwhile (a tombstone must keep its own
-- short expiry; a new record got its expiry when it was written).
--
-- KEYS[1]  the record's key
-- ARGV[1]  SHA-1 (lowercase hex) of the record expected there
-- ARGV[2]  the new lifetime in milliseconds (PEXPIRE)
--
-- Returns 1 when extended, 0 when not.

local current = redis.call('GET', KEYS[1])
if current == false or redis.sha1hex(current) ~= ARGV[1] then
  return 0
end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
