import { isPlatformAdmin, presentedKey } from './principal';

describe('presentedKey', () => {
  it('reads Authorization: Bearer first, then X-API-Key, then X-My-API-Key', () => {
    expect(presentedKey({ authorization: 'Bearer vsk_a', 'x-api-key': 'vsk_b' })).toBe('vsk_a');
    expect(presentedKey({ authorization: 'bearer   vsk_a' })).toBe('vsk_a');
    expect(presentedKey({ 'x-api-key': 'vsk_b', 'x-my-api-key': 'vsk_c' })).toBe('vsk_b');
    expect(presentedKey({ 'x-my-api-key': ' vsk_c ' })).toBe('vsk_c');
  });

  it('finds nothing in empty or non-bearer headers', () => {
    expect(presentedKey({})).toBeUndefined();
    expect(presentedKey({ authorization: 'Basic abc', 'x-api-key': '' })).toBeUndefined();
  });
});

describe('isPlatformAdmin', () => {
  it('is true only with the admin scope', () => {
    expect(isPlatformAdmin({ keyId: 'k', tenantId: 't', scopes: ['admin'] })).toBe(true);
    expect(isPlatformAdmin({ keyId: 'k', tenantId: 't', scopes: ['keys:manage'] })).toBe(false);
  });
});
