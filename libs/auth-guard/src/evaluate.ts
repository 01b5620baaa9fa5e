import { timestampDate } from '@bufbuild/protobuf/wkt';
import { ApiKeyStatus, type ApiKeyState, type Principal } from '@vectorstack/contracts';
import { hashesEqual } from './key-material';
import { tierName, type AuthenticatedPrincipal } from './principal';

export type KeyRefusal = 'invalid_api_key' | 'budget_exceeded';

/** Why a key that exists refuses a request (the Verify outcomes and the logs name them). */
export type RefusalReason = 'no_principal' | 'revoked' | 'tenant_disabled' | 'secret_mismatch' | 'rotated_out' | 'expired' | 'budget_exceeded';

export type KeyEvaluation =
  | { ok: true; principal: AuthenticatedPrincipal }
  /** Over a hard budget: refused, except on routes that stay open to such keys (reading usage and budgets). */
  | { ok: false; refusal: 'budget_exceeded'; reason: 'budget_exceeded'; principal: AuthenticatedPrincipal }
  | { ok: false; refusal: 'invalid_api_key'; reason: Exclude<RefusalReason, 'budget_exceeded'> };

/** Whether a key state's budget block applies at `now` (it lifts by itself at budget_blocked_until). */
export function budgetBlocked(state: Pick<ApiKeyState, 'budgetExceeded' | 'budgetBlockedUntil'>, now: Date): boolean {
  if (!state.budgetExceeded) return false;
  return !state.budgetBlockedUntil || now < timestampDate(state.budgetBlockedUntil);
}

/** The principal as every public service sees it, from its wire form. */
export function principalFromProto(principal: Principal): AuthenticatedPrincipal {
  return {
    tenantId: principal.tenantId,
    keyId: principal.keyId,
    tier: tierName(principal.tier),
    scopes: [...principal.scopes],
    models: [...principal.models],
    ipAllowlist: [...principal.ipAllowlist],
    expiresAt: principal.expiresAt ? timestampDate(principal.expiresAt) : null,
  };
}

/**
 * Decides whether a key state admits a request presenting a secret with `hash`, at `now`.
 * Pure, so every replica decides the same way from the same state.
 */
export function evaluateKeyState(state: ApiKeyState, hash: Uint8Array, now: Date): KeyEvaluation {
  const principal = state.principal;
  if (!principal) return { ok: false, refusal: 'invalid_api_key', reason: 'no_principal' };
  if (state.status !== ApiKeyStatus.ACTIVE) return { ok: false, refusal: 'invalid_api_key', reason: 'revoked' };
  if (state.tenantDisabled) return { ok: false, refusal: 'invalid_api_key', reason: 'tenant_disabled' };

  const matching = state.secretHashes.find((candidate) => hashesEqual(candidate.hmacSha256, hash));
  if (!matching) return { ok: false, refusal: 'invalid_api_key', reason: 'secret_mismatch' };
  if (matching.validUntil && timestampDate(matching.validUntil) <= now) {
    return { ok: false, refusal: 'invalid_api_key', reason: 'rotated_out' };
  }
  const expiresAt = principal.expiresAt ? timestampDate(principal.expiresAt) : null;
  if (expiresAt && expiresAt <= now) return { ok: false, refusal: 'invalid_api_key', reason: 'expired' };
  if (budgetBlocked(state, now)) return { ok: false, refusal: 'budget_exceeded', reason: 'budget_exceeded', principal: principalFromProto(principal) };

  return { ok: true, principal: principalFromProto(principal) };
}
