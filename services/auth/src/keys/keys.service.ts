import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { authError } from '../common/auth-errors';
import { fetchPage, type ListPage, listPage } from '../common/pagination';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth.config';
import { KeyStateOutbox } from '../key-state/key-state-outbox.service';
import { type Actor, isPlatformAdmin, type RequestPrincipal } from '../principal/principal';
import { Tenant } from '../tenants/tenant.entity';
import { ApiKey, type Scope, type TierName } from './api-key.entity';
import { displayPrefixOf, generateKeySecret, hashKeySecret } from './api-key-secret';
import { MAX_ALLOWLIST_ENTRIES, type CreateKeyBody, type RotateKeyBody, type UpdateKeyBody } from './key.schemas';
import { apiKeyView, type ApiKeyView, type ApiKeyWithSecretView } from './key.view';

export interface NewKey {
  id: string;
  tenantId: string;
  name: string;
  secret: string;
  tier: TierName;
  scopes: Scope[];
  models?: string[];
  ipAllowlist?: string[];
  expiresAt?: Date | null;
  metadata?: Record<string, unknown>;
}

function assertAllowlistFitsTier(tier: TierName, ipAllowlist: readonly string[]): void {
  const max = MAX_ALLOWLIST_ENTRIES[tier];
  if (ipAllowlist.length > max) {
    throw authError('too_many_ip_addresses', `A ${tier} key may list at most ${max} IP address range(s); got ${ipAllowlist.length}.`, 'ip_allowlist');
  }
}

/** Only a platform admin may hand out the platform admin scope. */
function assertMayGrant(principal: RequestPrincipal, scopes: readonly Scope[]): void {
  if (scopes.includes('admin') && !isPlatformAdmin(principal)) {
    throw authError('insufficient_scope', "Only a platform admin may grant the 'admin' scope.");
  }
}

@Injectable()
export class KeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly keyState: KeyStateOutbox,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async create(actor: Actor, body: CreateKeyBody): Promise<ApiKeyWithSecretView> {
    const { principal } = actor;
    const tenantId = this.targetTenant(principal, body.tenant_id);
    assertMayGrant(principal, body.scopes);
    assertAllowlistFitsTier(body.tier, body.ip_allowlist);
    const secret = generateKeySecret();
    const key = await this.dataSource.transaction(async (manager) => {
      if (!(await manager.existsBy(Tenant, { id: tenantId }))) throw authError('not_found', `No tenant with id '${tenantId}'.`, 'tenant_id');
      const created = await this.insertKey(manager, {
        id: randomUUID(),
        tenantId,
        name: body.name,
        secret,
        tier: body.tier,
        scopes: body.scopes,
        models: body.models,
        ipAllowlist: body.ip_allowlist,
        expiresAt: body.expires_at ?? null,
        metadata: body.metadata,
      });
      await this.audit.record(manager, actor, {
        action: 'key.created',
        targetType: 'api_key',
        targetId: created.id,
        tenantId,
        details: { name: created.name, tier: created.tier, scopes: created.scopes },
      });
      return created;
    });
    await this.keyState.publishCommitted();
    return { ...apiKeyView(key), key: secret };
  }

  /** Inserts a key and its outbox record (in the caller's transaction). Also used by the admin bootstrap. */
  async insertKey(manager: EntityManager, key: NewKey): Promise<ApiKey> {
    await manager.insert(ApiKey, {
      id: key.id,
      tenantId: key.tenantId,
      name: key.name,
      displayPrefix: displayPrefixOf(key.secret),
      secretHash: hashKeySecret(this.config.KEY_HASH_SECRET, key.secret),
      previousSecretHash: null,
      previousValidUntil: null,
      tier: key.tier,
      scopes: key.scopes,
      models: key.models ?? [],
      ipAllowlist: key.ipAllowlist ?? [],
      expiresAt: key.expiresAt ?? null,
      metadata: key.metadata ?? {},
      status: 'active',
      revokedAt: null,
      version: '1',
      createdAt: () => 'now()',
      updatedAt: () => 'now()',
      lastRotatedAt: null,
    } as never);
    const created = await manager.findOneByOrFail(ApiKey, { id: key.id });
    await this.keyState.enqueue(manager, [created]);
    return created;
  }

  async list(principal: RequestPrincipal, options: { tenantId?: string; limit: number; after?: string }): Promise<ListPage<ApiKeyView>> {
    const tenantId = isPlatformAdmin(principal) ? options.tenantId : principal.tenantId;
    const query = this.dataSource.getRepository(ApiKey).createQueryBuilder('k');
    if (tenantId) query.where('k.tenant_id = :tenantId', { tenantId });
    const { rows, hasMore } = await fetchPage(query, { alias: 'k', table: 'auth.api_key', timeColumn: 'created_at', limit: options.limit, after: options.after });
    return listPage(rows.map(apiKeyView), hasMore);
  }

  async get(principal: RequestPrincipal, id: string): Promise<ApiKeyView> {
    return apiKeyView(await this.visibleKey(this.dataSource.manager, principal, id, false));
  }

  async update(actor: Actor, id: string, body: UpdateKeyBody): Promise<ApiKeyView> {
    if (body.scopes) assertMayGrant(actor.principal, body.scopes);
    const key = await this.dataSource.transaction(async (manager) => {
      const current = await this.visibleKey(manager, actor.principal, id, true);
      assertAllowlistFitsTier(body.tier ?? current.tier, body.ip_allowlist ?? current.ipAllowlist);
      const changes: Partial<ApiKey> = {};
      if (body.name !== undefined) changes.name = body.name;
      if (body.tier !== undefined) changes.tier = body.tier;
      if (body.scopes !== undefined) changes.scopes = body.scopes;
      if (body.models !== undefined) changes.models = body.models;
      if (body.ip_allowlist !== undefined) changes.ipAllowlist = body.ip_allowlist;
      if (body.expires_at !== undefined) changes.expiresAt = body.expires_at;
      if (body.metadata !== undefined) changes.metadata = body.metadata;
      if (Object.keys(changes).length === 0) return current;
      const updated = await this.applyChange(manager, id, changes);
      await this.audit.record(manager, actor, {
        action: 'key.updated',
        targetType: 'api_key',
        targetId: id,
        tenantId: current.tenantId,
        details: { changed: Object.keys(body) },
      });
      return updated;
    });
    await this.keyState.publishCommitted();
    return apiKeyView(key);
  }

  /** Immediate; revoking a revoked key changes nothing and answers the same. */
  async revoke(actor: Actor, id: string): Promise<{ id: string; object: 'api_key'; status: 'revoked' }> {
    await this.dataSource.transaction(async (manager) => {
      const current = await this.visibleKey(manager, actor.principal, id, true);
      if (current.status === 'revoked') return;
      await this.applyChange(manager, id, { status: 'revoked', revokedAt: () => 'now()' } as never);
      await this.audit.record(manager, actor, { action: 'key.revoked', targetType: 'api_key', targetId: id, tenantId: current.tenantId });
    });
    await this.keyState.publishCommitted();
    return { id, object: 'api_key', status: 'revoked' };
  }

  /** New secret now; the old one keeps working for the grace period (default KEY_ROTATION_GRACE_SECONDS). */
  async rotate(actor: Actor, id: string, body: RotateKeyBody): Promise<ApiKeyWithSecretView> {
    const graceSeconds = body.grace_seconds ?? this.config.KEY_ROTATION_GRACE_SECONDS;
    const secret = generateKeySecret();
    const key = await this.dataSource.transaction(async (manager) => {
      const current = await this.visibleKey(manager, actor.principal, id, true);
      if (current.status === 'revoked') throw authError('key_revoked', 'A revoked key cannot be rotated.');
      const rotated = await this.rotateTo(manager, current, secret, graceSeconds);
      await this.audit.record(manager, actor, {
        action: 'key.rotated',
        targetType: 'api_key',
        targetId: id,
        tenantId: current.tenantId,
        details: { grace_seconds: graceSeconds },
      });
      return rotated;
    });
    await this.keyState.publishCommitted();
    return { ...apiKeyView(key), key: secret };
  }

  /** Replaces the secret (in the caller's transaction); the admin bootstrap uses it with grace 0. */
  async rotateTo(manager: EntityManager, current: ApiKey, secret: string, graceSeconds: number, options: { reactivate?: boolean } = {}): Promise<ApiKey> {
    const graced = graceSeconds > 0;
    return this.applyChange(manager, current.id, {
      ...(options.reactivate ? { status: 'active', revokedAt: null } : {}),
      secretHash: hashKeySecret(this.config.KEY_HASH_SECRET, secret),
      displayPrefix: displayPrefixOf(secret),
      previousSecretHash: graced ? current.secretHash : null,
      previousValidUntil: graced ? () => `now() + make_interval(secs => ${Math.floor(graceSeconds)})` : null,
      lastRotatedAt: () => 'now()',
    } as never);
  }

  /** Every change bumps the version and republishes the key's state, in the same transaction. */
  private async applyChange(manager: EntityManager, id: string, changes: Partial<ApiKey>): Promise<ApiKey> {
    await manager.update(ApiKey, { id }, { ...changes, version: () => 'version + 1', updatedAt: () => 'now()' } as never);
    const updated = await manager.findOneByOrFail(ApiKey, { id });
    await this.keyState.enqueue(manager, [updated]);
    return updated;
  }

  /** The key if the principal may see it; another tenant's key is as unknown as a missing one. */
  private async visibleKey(manager: EntityManager, principal: RequestPrincipal, id: string, forUpdate: boolean): Promise<ApiKey> {
    const key = await manager.getRepository(ApiKey).findOne({ where: { id }, ...(forUpdate ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!key || (!isPlatformAdmin(principal) && key.tenantId !== principal.tenantId)) throw authError('not_found', `No API key with id '${id}'.`);
    return key;
  }

  private targetTenant(principal: RequestPrincipal, requested: string | undefined): string {
    if (isPlatformAdmin(principal)) return requested ?? principal.tenantId;
    if (requested !== undefined && requested !== principal.tenantId) throw authError('not_found', `No tenant with id '${requested}'.`, 'tenant_id');
    return principal.tenantId;
  }
}
