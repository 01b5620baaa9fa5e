import type { RequestPrincipal } from './principal';
import { isPlatformAdmin } from './principal';

const principal = (scopes: string[]): RequestPrincipal => ({
  keyId: 'k',
  tenantId: 't',
  tier: 'pro',
  scopes,
  models: [],
  ipAllowlist: [],
  expiresAt: null,
});

describe('isPlatformAdmin', () => {
  it('is true only with the admin scope', () => {
    expect(isPlatformAdmin(principal(['admin']))).toBe(true);
    expect(isPlatformAdmin(principal(['keys:manage']))).toBe(false);
  });
});
