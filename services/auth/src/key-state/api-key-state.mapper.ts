import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ApiKeyStateSchema, ApiKeyStatus, Tier, type ApiKeyState } from '@vectorstack/contracts';
import type { BudgetBlock } from '../budgets/budget-blocks';
import type { ApiKey, TierName } from '../keys/api-key.entity';

const TIER: Record<TierName, Tier> = {
  free: Tier.FREE,
  starter: Tier.STARTER,
  pro: Tier.PRO,
  enterprise: Tier.ENTERPRISE,
};

/**
 * The full published state of one key: the current hash, plus the previous one while its
 * rotation grace lasts (with valid_until), whether its tenant is disabled, and the hard budget
 * block in force on it (until when).
 */
export function apiKeyState(key: ApiKey, tenantDisabled: boolean, now: Date = new Date(), budgetBlock: BudgetBlock | null = null): ApiKeyState {
  const secretHashes = [{ hmacSha256: new Uint8Array(key.secretHash) }];
  if (key.previousSecretHash && key.previousValidUntil && key.previousValidUntil > now) {
    secretHashes.push({ hmacSha256: new Uint8Array(key.previousSecretHash), validUntil: timestampFromDate(key.previousValidUntil) } as never);
  }
  return create(ApiKeyStateSchema, {
    principal: {
      tenantId: key.tenantId,
      keyId: key.id,
      tier: TIER[key.tier],
      scopes: key.scopes,
      models: key.models,
      ipAllowlist: key.ipAllowlist,
      ...(key.expiresAt ? { expiresAt: timestampFromDate(key.expiresAt) } : {}),
    },
    status: key.status === 'revoked' ? ApiKeyStatus.REVOKED : ApiKeyStatus.ACTIVE,
    secretHashes,
    displayPrefix: key.displayPrefix,
    tenantDisabled,
    budgetExceeded: budgetBlock !== null,
    ...(budgetBlock ? { budgetBlockedUntil: timestampFromDate(budgetBlock.blockedUntil) } : {}),
    version: BigInt(key.version),
    updatedAt: timestampFromDate(key.updatedAt),
  });
}

export function encodeApiKeyState(state: ApiKeyState): Buffer {
  return Buffer.from(toBinary(ApiKeyStateSchema, state));
}
