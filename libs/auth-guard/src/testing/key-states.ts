import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ApiKeyStateSchema, ApiKeyStatus, PrincipalSchema, SecretHashSchema, Tier, type ApiKeyState } from '@vectorstack/contracts';
import { hashApiKey } from '../key-material';

export interface TestKeyState {
  keyId: string;
  secrets: Array<{ secret: string; validUntil?: Date }>;
  hmacSecret: string;
  version?: bigint;
  status?: ApiKeyStatus;
  tenantDisabled?: boolean;
  budgetExceeded?: boolean;
  expiresAt?: Date;
  scopes?: string[];
  ipAllowlist?: string[];
}

/** A key state as the auth service publishes it (shared by this lib's specs). */
export function keyState(input: TestKeyState): ApiKeyState {
  return create(ApiKeyStateSchema, {
    principal: create(PrincipalSchema, {
      tenantId: 'tenant-1',
      keyId: input.keyId,
      tier: Tier.PRO,
      scopes: input.scopes ?? ['chat'],
      models: [],
      ipAllowlist: input.ipAllowlist ?? [],
      expiresAt: input.expiresAt ? timestampFromDate(input.expiresAt) : undefined,
    }),
    status: input.status ?? ApiKeyStatus.ACTIVE,
    secretHashes: input.secrets.map((s) =>
      create(SecretHashSchema, {
        hmacSha256: hashApiKey(s.secret, input.hmacSecret),
        validUntil: s.validUntil ? timestampFromDate(s.validUntil) : undefined,
      }),
    ),
    displayPrefix: input.secrets[0]?.secret.slice(0, 12) ?? '',
    tenantDisabled: input.tenantDisabled ?? false,
    budgetExceeded: input.budgetExceeded ?? false,
    version: input.version ?? 1n,
  });
}
