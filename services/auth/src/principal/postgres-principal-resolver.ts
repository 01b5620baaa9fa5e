import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { authError } from '../common/auth-errors';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth.config';
import { hashKeySecret, secretMatchesHash } from '../keys/api-key-secret';
import type { Scope } from '../keys/api-key.entity';
import type { PrincipalResolver, RequestPrincipal } from './principal';

interface KeyRow {
  id: string;
  tenant_id: string;
  scopes: Scope[];
  secret_hash: Buffer;
  previous_secret_hash: Buffer | null;
}

/**
 * Looks the key up by its HMAC in Postgres (current hash, or the previous one while its
 * grace lasts), refusing revoked, expired and disabled-tenant keys. Temporary: the shared
 * guard lib (Kafka-fed cache + gRPC Verify) replaces it behind PrincipalResolver.
 */
@Injectable()
export class PostgresPrincipalResolver implements PrincipalResolver {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async resolve(secret: string): Promise<RequestPrincipal> {
    const hash = hashKeySecret(this.config.KEY_HASH_SECRET, secret);
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT k.id, k.tenant_id, k.scopes, k.secret_hash, k.previous_secret_hash
         FROM auth.api_key k JOIN auth.tenant t ON t.id = k.tenant_id
        WHERE (k.secret_hash = $1 OR (k.previous_secret_hash = $1 AND k.previous_valid_until > now()))
          AND k.status = 'active' AND t.status = 'active'
          AND (k.expires_at IS NULL OR k.expires_at > now())
        LIMIT 1`,
      [hash],
    );
    const row = rows[0];
    const secretHash = this.config.KEY_HASH_SECRET;
    if (!row || !(secretMatchesHash(secretHash, secret, row.secret_hash) || secretMatchesHash(secretHash, secret, row.previous_secret_hash))) {
      throw authError('invalid_api_key');
    }
    return { keyId: row.id, tenantId: row.tenant_id, scopes: row.scopes };
  }
}
