import { createHmac, hash as digest, randomBytes, timingSafeEqual } from 'node:crypto';

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

/** A key's HMAC, and the same in hex (how caches index it). */
export interface KeyHash {
  readonly hash: Buffer;
  readonly hex: string;
}

/**
 * `hashApiKey` for the request path: the HMACs of recently presented secrets, found again by the
 * secret's SHA-256. A one-shot SHA-256 costs a fraction of an HMAC (which sets up an OpenSSL
 * context per call; measured on the router: ~8 µs of ~230 per request, against ~1.5 for the
 * digest), and a key presents itself on every request. The memo is indexed by the digest, never
 * by the secret: the process holds no presented key in the clear, and a SHA-256 of 32 random
 * bytes reveals nothing a stored hash would not. Entries are a pure function of the secret, so
 * they never go stale (revocation and expiry are decided from the key's state, not here).
 * Bounded: when full, the oldest entry goes (a flood of made-up keys only costs recomputing).
 */
export class KeyHasher {
  private readonly memo = new Map<string, KeyHash>();

  constructor(
    private readonly hmacSecret: string,
    private readonly maxEntries = 10_000,
  ) {}

  hash(secret: string): KeyHash {
    const index = digest('sha256', secret, 'base64');
    const known = this.memo.get(index);
    if (known !== undefined) return known;
    const hash = hashApiKey(secret, this.hmacSecret);
    const computed: KeyHash = { hash, hex: hash.toString('hex') };
    if (this.memo.size >= this.maxEntries) this.memo.delete(this.memo.keys().next().value as string);
    this.memo.set(index, computed);
    return computed;
  }

  get size(): number {
    return this.memo.size;
  }
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
