import { unixSeconds } from '../common/request-parsing';
import type { ApiKey } from './api-key.entity';

/** A key as clients see it: never the secret or its hash (the secret only once, on create/rotate). */
export interface ApiKeyView {
  object: 'api_key';
  id: string;
  name: string;
  display_prefix: string;
  tenant_id: string;
  tier: ApiKey['tier'];
  scopes: string[];
  models: string[];
  ip_allowlist: string[];
  expires_at: number | null;
  metadata: Record<string, unknown>;
  status: ApiKey['status'];
  created_at: number;
  updated_at: number;
  last_rotated_at: number | null;
  revoked_at: number | null;
  previous_key_valid_until: number | null;
}

export function apiKeyView(key: ApiKey): ApiKeyView {
  const graceLasts = key.previousSecretHash !== null && key.previousValidUntil !== null && key.previousValidUntil > new Date();
  return {
    object: 'api_key',
    id: key.id,
    name: key.name,
    display_prefix: key.displayPrefix,
    tenant_id: key.tenantId,
    tier: key.tier,
    scopes: key.scopes,
    models: key.models,
    ip_allowlist: key.ipAllowlist,
    expires_at: unixSeconds(key.expiresAt),
    metadata: key.metadata,
    status: key.status,
    created_at: unixSeconds(key.createdAt),
    updated_at: unixSeconds(key.updatedAt),
    last_rotated_at: unixSeconds(key.lastRotatedAt),
    revoked_at: unixSeconds(key.revokedAt),
    previous_key_valid_until: graceLasts ? unixSeconds(key.previousValidUntil) : null,
  };
}

/** Create and rotate answers: the view plus the secret, shown this once. */
export type ApiKeyWithSecretView = ApiKeyView & { key: string };
