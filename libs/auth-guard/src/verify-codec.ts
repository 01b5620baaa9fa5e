import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { VerifyOutcome, VerifyResponseSchema, type PrincipalSchema, type VerifyResponse } from '@vectorstack/contracts';
import { principalFromProto, type KeyEvaluation, type RefusalReason } from './evaluate';
import { tierEnum, type AuthenticatedPrincipal } from './principal';

const OUTCOME_BY_REASON: Record<RefusalReason, VerifyOutcome> = {
  no_principal: VerifyOutcome.UNKNOWN,
  secret_mismatch: VerifyOutcome.UNKNOWN,
  revoked: VerifyOutcome.REVOKED,
  tenant_disabled: VerifyOutcome.TENANT_DISABLED,
  rotated_out: VerifyOutcome.ROTATED_OUT,
  expired: VerifyOutcome.EXPIRED,
  budget_exceeded: VerifyOutcome.BUDGET_EXCEEDED,
};

const REASON_BY_OUTCOME: Partial<Record<VerifyOutcome, Exclude<RefusalReason, 'budget_exceeded'>>> = {
  [VerifyOutcome.REVOKED]: 'revoked',
  [VerifyOutcome.TENANT_DISABLED]: 'tenant_disabled',
  [VerifyOutcome.ROTATED_OUT]: 'rotated_out',
  [VerifyOutcome.EXPIRED]: 'expired',
};

export interface VerifyCacheTtls {
  /** How long a caller may keep a positive answer. */
  validMs: number;
  /** How long a caller may keep a negative answer (unknown, revoked, …). */
  refusedMs: number;
}

/** The auth service's answer to Verify for an evaluation (undefined: no key has this secret). */
export function verifyResponseFor(evaluation: KeyEvaluation | undefined, ttls: VerifyCacheTtls): VerifyResponse {
  if (!evaluation) return create(VerifyResponseSchema, { outcome: VerifyOutcome.UNKNOWN, cacheTtlMs: ttls.refusedMs });
  if (!evaluation.ok && evaluation.refusal === 'budget_exceeded') {
    return create(VerifyResponseSchema, { outcome: VerifyOutcome.BUDGET_EXCEEDED, cacheTtlMs: ttls.refusedMs, principal: principalToProto(evaluation.principal) });
  }
  if (!evaluation.ok) return create(VerifyResponseSchema, { outcome: OUTCOME_BY_REASON[evaluation.reason], cacheTtlMs: ttls.refusedMs });
  return create(VerifyResponseSchema, { outcome: VerifyOutcome.VALID, cacheTtlMs: ttls.validMs, principal: principalToProto(evaluation.principal) });
}

function principalToProto(principal: AuthenticatedPrincipal): MessageInitShape<typeof PrincipalSchema> {
  return {
    tenantId: principal.tenantId,
    keyId: principal.keyId,
    tier: tierEnum(principal.tier),
    scopes: [...principal.scopes],
    models: [...principal.models],
    ipAllowlist: [...principal.ipAllowlist],
    ...(principal.expiresAt ? { expiresAt: timestampFromDate(principal.expiresAt) } : {}),
  };
}

/** The caller's side: a Verify answer back to the evaluation the guard acts on. */
export function evaluationFromVerifyResponse(response: VerifyResponse): KeyEvaluation | undefined {
  if (response.outcome === VerifyOutcome.VALID) {
    if (!response.principal) throw new Error('Verify answered VALID without a principal');
    return { ok: true, principal: principalFromProto(response.principal) };
  }
  if (response.outcome === VerifyOutcome.UNKNOWN) return undefined;
  if (response.outcome === VerifyOutcome.BUDGET_EXCEEDED) {
    if (!response.principal) throw new Error('Verify answered BUDGET_EXCEEDED without a principal');
    return { ok: false, refusal: 'budget_exceeded', reason: 'budget_exceeded', principal: principalFromProto(response.principal) };
  }
  const reason = REASON_BY_OUTCOME[response.outcome];
  if (!reason) throw new Error(`Verify answered an unknown outcome ${response.outcome}`);
  return { ok: false, refusal: 'invalid_api_key', reason };
}
