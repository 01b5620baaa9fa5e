import { displayPrefix, generateApiKey, hashApiKey, hashesEqual } from '@vectorstack/auth-guard';

// The key format and hash live in @vectorstack/auth-guard so that the service issuing keys
// and every service checking them agree by construction; these names read well here.

/** `vsk_` + base64url of 32 random bytes (43 characters). */
export const generateKeySecret = generateApiKey;

/** The non-secret part shown in listings: `vsk_` and the first 8 characters after it. */
export const displayPrefixOf = displayPrefix;

/** HMAC-SHA-256 of the secret under the server-side KEY_HASH_SECRET: what is stored and published. */
export function hashKeySecret(hashSecret: string, secret: string): Buffer {
  return hashApiKey(secret, hashSecret);
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatchesHash(hashSecret: string, secret: string, storedHash: Uint8Array | null | undefined): boolean {
  if (!storedHash || storedHash.length === 0) return false;
  return hashesEqual(hashApiKey(secret, hashSecret), storedHash);
}
