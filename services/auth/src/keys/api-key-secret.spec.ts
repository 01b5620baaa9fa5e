import { displayPrefixOf, generateKeySecret, hashKeySecret, secretMatchesHash } from './api-key-secret';

const HASH_SECRET = 'x'.repeat(32);

describe('API key secrets', () => {
  it('are vsk_ plus 43 base64url characters, different every time', () => {
    const a = generateKeySecret();
    expect(a).toMatch(/^vsk_[A-Za-z0-9_-]{43}$/);
    expect(generateKeySecret()).not.toBe(a);
  });

  it('show a prefix of vsk_ and 8 characters', () => {
    expect(displayPrefixOf('vsk_AbCd1234efgh')).toBe('vsk_AbCd1234');
  });

  it('are stored as an HMAC-SHA-256 that depends on the server secret', () => {
    const secret = generateKeySecret();
    const hash = hashKeySecret(HASH_SECRET, secret);
    expect(hash).toHaveLength(32);
    expect(hash.equals(hashKeySecret('y'.repeat(32), secret))).toBe(false);
    expect(hash.toString('latin1')).not.toContain(secret);
  });

  it('verify only the matching secret', () => {
    const secret = generateKeySecret();
    const hash = hashKeySecret(HASH_SECRET, secret);
    expect(secretMatchesHash(HASH_SECRET, secret, hash)).toBe(true);
    expect(secretMatchesHash(HASH_SECRET, generateKeySecret(), hash)).toBe(false);
    expect(secretMatchesHash(HASH_SECRET, secret, null)).toBe(false);
    expect(secretMatchesHash(HASH_SECRET, secret, hash.subarray(0, 16))).toBe(false);
  });
});
