-- Compare-and-set of one session record: RedisStore::save. Redis runs a script atomically, so no
-- other client can write the key between the GET and the SET. It touches only KEYS[1], so it runs
-- in Redis Cluster too.
--
-- KEYS[1]  the record's key
-- ARGV[1]  the record to write
-- ARGV[2]  its lifetime in milliseconds (PX)
-- ARGV[3]  what must be there: "any", "absent", or "current"
-- ARGV[4]  for "current": SHA-1 (lowercase hex) of the expected record, computed by the client, so
--          the expected record itself need not be sent
--
-- Returns {1, false} when written; {0, current record or false for none} when not.

local current = redis.call('GET', KEYS[1])
local expected = ARGV[3]
local matches
if expected == 'any' then
  matches = true
elseif expected == 'absent' then
  matches = current == false
elseif expected == 'current' then
  matches = current ~= false and redis.sha1hex(current) == ARGV[4]
else
  return redis.error_reply('napi-session compare-and-set: unknown expectation ' .. tostring(expected))
end
if not matches then
  return {0, current}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, false}
