import { Inject, Injectable } from '@nestjs/common';
import { evaluateKeyState, type KeyEvaluation, type KeyVerifier } from '@vectorstack/auth-guard';
import { DataSource } from 'typeorm';
import { blockInForce } from '../budgets/budget-blocks';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth.config';
import { hashKeySecret } from '../keys/api-key-secret';
import { ApiKey } from '../keys/api-key.entity';
import { apiKeyState } from '../key-state/api-key-state.mapper';

interface KeyRow {
  id: string;
  tenant_id: string;
  display_prefix: string;
  secret_hash: Buffer;
  previous_secret_hash: Buffer | null;
  previous_valid_until: Date | null;
  tier: ApiKey['tier'];
  scopes: ApiKey['scopes'];
  models: string[];
  ip_allowlist: string[];
  expires_at: Date | null;
  status: ApiKey['status'];
  version: string;
  updated_at: Date;
  tenant_status: string;
  /** The end of the hard budget block in force on the key or its tenant, if any. */
  budget_blocked_until: Date | null;
}

const KEY_COLUMNS = `id, tenant_id, display_prefix, secret_hash, previous_secret_hash, previous_valid_until, tier, scopes, models,
  ip_allowlist, expires_at, status, version, updated_at`;

/** The fields the key-state mapper reads. */
function keyFromRow(row: KeyRow): ApiKey {
  return Object.assign(new ApiKey(), {
    id: row.id,
    tenantId: row.tenant_id,
    displayPrefix: row.display_prefix,
    secretHash: row.secret_hash,
    previousSecretHash: row.previous_secret_hash,
    previousValidUntil: row.previous_valid_until,
    tier: row.tier,
    scopes: row.scopes,
    models: row.models,
    ipAllowlist: row.ip_allowlist,
    expiresAt: row.expires_at,
    status: row.status,
    version: row.version,
    updatedAt: row.updated_at,
  });
}

/**
 * The source of truth for Verify: finds the key whose current (or rotated-out) hash is the
 * presented secret's HMAC, builds the same state the key-state topic carries, and evaluates it
 * with the guard's own rules, so a Verify answer and a cache hit can never disagree.
 */
@Injectable()
export class PostgresKeyVerifier implements KeyVerifier {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async evaluate(secret: string, now: Date = new Date()): Promise<KeyEvaluation | undefined> {
    const hash = hashKeySecret(this.config.KEY_HASH_SECRET, secret);
    // One indexed round trip on the hot path (a cache miss elsewhere), no ORM hydration.
    const rows: KeyRow[] = await this.dataSource.query(
      `WITH k AS (
         SELECT ${KEY_COLUMNS} FROM auth.api_key WHERE secret_hash = $1
         UNION ALL
         SELECT ${KEY_COLUMNS} FROM auth.api_key WHERE previous_secret_hash = $1
         LIMIT 1)
       SELECT k.*, t.status AS tenant_status, GREATEST(kb.blocked_until, tb.blocked_until) AS budget_blocked_until
         FROM k JOIN auth.tenant t ON t.id = k.tenant_id
         LEFT JOIN auth.budget_block kb ON kb.scope = 'key' AND kb.subject_id = k.id AND ${blockInForce('kb')}
         LEFT JOIN auth.budget_block tb ON tb.scope = 'tenant' AND tb.subject_id = k.tenant_id AND ${blockInForce('tb')}`,
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    // Mapped as of the epoch so a rotated-out hash stays in the state with its valid_until:
    // the evaluation (at `now`) then says "rotated out" rather than "unknown".
    const block = row.budget_blocked_until ? { blockedUntil: row.budget_blocked_until } : null;
    const state = apiKeyState(keyFromRow(row), row.tenant_status !== 'active', new Date(0), block);
    return evaluateKeyState(state, hash, now);
  }

  async verify(secret: string) {
    return { evaluation: await this.evaluate(secret), cacheTtlMs: 0 };
  }
}
