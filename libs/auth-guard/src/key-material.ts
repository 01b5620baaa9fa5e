import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every platform key starts with this, so leaked keys are recognisable (secret scanners, logs). */
export const API_KEY_PREFIX = 'vsk_';
const API_KEY_PATTERN = /^vsk_[A-Za-z0-9_-]{43}$/;

/** A new secret: the prefix and 32 random bytes in base64url (43 characters). */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function isWellFormedApiKey(value: string): boolean {
  return API_KEY_PATTERN.test(value);
}

/** The short, non-secret part shown in listings: "vsk_" and the first 8 characters. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, API_KEY_PREFIX.length + 8);
}

/** What is stored and published instead of the secret: HMAC-SHA-256 under the platform's key-hashing secret. */
export function hashApiKey(secret: string, hmacSecret: string): Buffer {
  return createHmac('sha256', hmacSecret).update(secret, 'utf8').digest();
}

/** Constant-time comparison of two hashes. */
export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

type HeaderValue = string | string[] | undefined;

function first(value: HeaderValue): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  const trimmed = single?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, or `X-API-Key`, or
 * `X-My-API-Key` (the seeds' variants), in that order of preference.
 */
export function presentedApiKey(headers: Record<string, HeaderValue>): string | undefined {
  const authorization = first(headers.authorization);
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization);
    if (match) return match[1].trim();
  }
  return first(headers['x-api-key']) ?? first(headers['x-my-api-key']);
}
