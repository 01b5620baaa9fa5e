import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth.config';
import { KeyStateOutbox } from '../key-state/key-state-outbox.service';
import { secretMatchesHash } from '../keys/api-key-secret';
import { ApiKey } from '../keys/api-key.entity';
import { KeysService } from '../keys/keys.service';
import { Tenant } from '../tenants/tenant.entity';
import { TenantsService } from '../tenants/tenants.service';
import { resolveAdminKey } from './admin-key-source';

/** Fixed ids make the bootstrap rows easy to find and the bootstrap idempotent. */
export const PLATFORM_TENANT_ID = '00000000-0000-4000-8000-000000000001';
export const PLATFORM_TENANT_NAME = 'platform';
export const BOOTSTRAP_ADMIN_KEY_ID = '00000000-0000-4000-8000-000000000002';
const BOOTSTRAP_LOCK = 'vectorstack:auth:admin-bootstrap';

/**
 * On start: the `platform` tenant and a platform admin key exist, and the key's secret is the
 * configured one (rotated to it, without grace, when the configured secret changed). Serialised
 * across replicas with a transaction-scoped advisory lock.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly keys: KeysService,
    private readonly audit: AuditService,
    private readonly keyState: KeyStateOutbox,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const source = await resolveAdminKey(this.config);
    const outcome = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [BOOTSTRAP_LOCK]);
      if (!(await manager.existsBy(Tenant, { id: PLATFORM_TENANT_ID }))) {
        await this.tenants.insert(manager, PLATFORM_TENANT_ID, PLATFORM_TENANT_NAME);
        await this.audit.record(manager, null, {
          action: 'tenant.created',
          targetType: 'tenant',
          targetId: PLATFORM_TENANT_ID,
          tenantId: PLATFORM_TENANT_ID,
          details: { name: PLATFORM_TENANT_NAME, bootstrap: true },
        });
      }
      const existing = await manager.findOne(ApiKey, { where: { id: BOOTSTRAP_ADMIN_KEY_ID }, lock: { mode: 'pessimistic_write' } });
      if (!existing) {
        await this.keys.insertKey(manager, {
          id: BOOTSTRAP_ADMIN_KEY_ID,
          tenantId: PLATFORM_TENANT_ID,
          name: 'platform admin (bootstrap)',
          secret: source.secret,
          tier: 'enterprise',
          scopes: ['admin'],
        });
        await this.audit.record(manager, null, {
          action: 'key.created',
          targetType: 'api_key',
          targetId: BOOTSTRAP_ADMIN_KEY_ID,
          tenantId: PLATFORM_TENANT_ID,
          details: { bootstrap: true, origin: source.origin },
        });
        return 'created';
      }
      const revoked = existing.status === 'revoked';
      if (secretMatchesHash(this.config.KEY_HASH_SECRET, source.secret, existing.secretHash)) {
        // A revoked admin secret stays revoked: it may have leaked. Recovery is a new secret.
        return revoked ? 'revoked' : 'unchanged';
      }
      // A new configured secret is the break-glass path: it replaces the old one at once and
      // brings a revoked bootstrap key back, so an operator can never be locked out for good.
      await this.keys.rotateTo(manager, existing, source.secret, 0, { reactivate: revoked });
      await this.audit.record(manager, null, {
        action: revoked ? 'key.restored' : 'key.rotated',
        targetType: 'api_key',
        targetId: BOOTSTRAP_ADMIN_KEY_ID,
        tenantId: PLATFORM_TENANT_ID,
        details: { bootstrap: true, origin: source.origin, grace_seconds: 0 },
      });
      return revoked ? 'restored with a new secret' : 'rotated';
    });
    this.keyState.kick();
    const where = source.origin === 'env' ? 'VECTORSTACK_ADMIN_KEY' : source.file;
    if (outcome === 'revoked') {
      this.logger.warn(
        `the platform admin key was revoked and its configured secret (from ${where}) is refused; ` +
          'to issue a new one, set a different VECTORSTACK_ADMIN_KEY (or remove the admin key file) and restart auth',
      );
      return;
    }
    this.logger.log(`platform admin key ${outcome} (secret from ${where})`);
  }
}
