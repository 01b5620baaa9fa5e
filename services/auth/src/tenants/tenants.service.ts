import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { authError } from '../common/auth-errors';
import { fetchPage, type ListPage, listPage } from '../common/pagination';
import { unixSeconds } from '../common/request-parsing';
import { KeyStateOutbox } from '../key-state/key-state-outbox.service';
import { ApiKey } from '../keys/api-key.entity';
import { type Actor, isPlatformAdmin, type RequestPrincipal } from '../principal/principal';
import type { CreateTenantBody, UpdateTenantBody } from './tenant.schemas';
import { Tenant } from './tenant.entity';

export interface TenantView {
  object: 'tenant';
  id: string;
  name: string;
  status: Tenant['status'];
  created_at: number;
  updated_at: number;
}

export function tenantView(tenant: Tenant): TenantView {
  return {
    object: 'tenant',
    id: tenant.id,
    name: tenant.name,
    status: tenant.status,
    created_at: unixSeconds(tenant.createdAt),
    updated_at: unixSeconds(tenant.updatedAt),
  };
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';
}

@Injectable()
export class TenantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly keyState: KeyStateOutbox,
  ) {}

  async create(actor: Actor, body: CreateTenantBody): Promise<TenantView> {
    try {
      const tenant = await this.dataSource.transaction(async (manager) => {
        const created = await this.insert(manager, randomUUID(), body.name);
        await this.audit.record(manager, actor, {
          action: 'tenant.created',
          targetType: 'tenant',
          targetId: created.id,
          tenantId: created.id,
          details: { name: created.name },
        });
        return created;
      });
      return tenantView(tenant);
    } catch (error) {
      if (isUniqueViolation(error)) throw authError('tenant_exists', `A tenant named '${body.name}' already exists.`, 'name');
      throw error;
    }
  }

  /** Also used by the admin bootstrap (with a fixed id). */
  async insert(manager: EntityManager, id: string, name: string): Promise<Tenant> {
    await manager.insert(Tenant, { id, name, status: 'active', createdAt: () => 'now()', updatedAt: () => 'now()' } as never);
    return manager.findOneByOrFail(Tenant, { id });
  }

  async list(limit: number, after?: string): Promise<ListPage<TenantView>> {
    const query = this.dataSource.getRepository(Tenant).createQueryBuilder('t');
    const { rows, hasMore } = await fetchPage(query, { alias: 't', table: 'auth.tenant', timeColumn: 'created_at', limit, after });
    return listPage(rows.map(tenantView), hasMore);
  }

  /** A tenant admin sees only its own tenant; anything else is indistinguishable from unknown. */
  async get(principal: RequestPrincipal, id: string): Promise<TenantView> {
    if (!isPlatformAdmin(principal) && principal.tenantId !== id) throw this.notFound(id);
    const tenant = await this.dataSource.getRepository(Tenant).findOneBy({ id });
    if (!tenant) throw this.notFound(id);
    return tenantView(tenant);
  }

  /** Renames and/or disables/enables; a status change republishes every key of the tenant. */
  async update(actor: Actor, id: string, body: UpdateTenantBody): Promise<TenantView> {
    try {
      const tenant = await this.dataSource.transaction(async (manager) => {
        const current = await manager.getRepository(Tenant).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
        if (!current) throw this.notFound(id);
        const changes: Partial<Tenant> = {};
        if (body.name !== undefined && body.name !== current.name) changes.name = body.name;
        if (body.status !== undefined && body.status !== current.status) changes.status = body.status;
        if (Object.keys(changes).length === 0) return current;
        await manager.update(Tenant, { id }, { ...changes, updatedAt: () => 'now()' } as never);
        await this.audit.record(manager, actor, {
          action: 'tenant.updated',
          targetType: 'tenant',
          targetId: id,
          tenantId: id,
          details: { changed: Object.keys(changes), ...changes },
        });
        if (changes.status) {
          // The tenant's status is part of every key's published state: bump and republish them all.
          await manager.query('UPDATE auth.api_key SET version = version + 1, updated_at = now() WHERE tenant_id = $1', [id]);
          const keys = await manager.findBy(ApiKey, { tenantId: id });
          await this.keyState.enqueue(manager, keys);
        }
        return manager.findOneByOrFail(Tenant, { id });
      });
      await this.keyState.publishCommitted();
      return tenantView(tenant);
    } catch (error) {
      if (isUniqueViolation(error)) throw authError('tenant_exists', `A tenant named '${body.name}' already exists.`, 'name');
      throw error;
    }
  }

  private notFound(id: string) {
    return authError('not_found', `No tenant with id '${id}'.`);
  }
}
