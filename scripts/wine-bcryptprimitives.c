/*
 * bcryptprimitives.dll for Wine 8 (Debian 12), which lacks it, used only by
 * scripts/test-platforms.mjs inside its own Wine prefix: never shipped.
 *
 * Rust's std (1.78+) gets random bytes from ProcessPrng in bcryptprimitives.dll on every Windows
 * target, so every Rust binary for Windows imports it; Windows 10 and later have it. Here it draws
 * the bytes from BCryptGenRandom, which Wine does have.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
    if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
