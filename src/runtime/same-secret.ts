/**
 * Whether a secret a request gave is the one expected, in time that tells nothing about either: both are hashed to
 * SHA-256 (32 bytes whatever their length) and the digests compared with `timingSafeEqual`. Comparing the secrets
 * themselves had to return early on a length mismatch (timingSafeEqual throws on one), which timed out the length.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export function sameSecret(given: string | Uint8Array, expected: string | Uint8Array): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function digest(secret: string | Uint8Array): Buffer {
  return createHash("sha256").update(secret).digest();
}
