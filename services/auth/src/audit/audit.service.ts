import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { fetchPage, type ListPage, listPage } from '../common/pagination';
import { unixSeconds } from '../common/request-parsing';
import type { Actor } from '../principal/principal';
import { AuditEvent, type AuditAction } from './audit-event.entity';

export interface AuditEntry {
  action: AuditAction;
  targetType: AuditEvent['targetType'];
  targetId: string;
  tenantId: string;
  details?: Record<string, unknown>;
}

export interface AuditEventView {
  object: 'audit_event';
  id: string;
  action: AuditAction;
  actor_key_id: string | null;
  actor_tenant_id: string | null;
  target_type: string;
  target_id: string;
  tenant_id: string;
  source_ip: string | null;
  at: number;
  details: Record<string, unknown>;
}

export function auditEventView(event: AuditEvent): AuditEventView {
  return {
    object: 'audit_event',
    id: event.id,
    action: event.action,
    actor_key_id: event.actorKeyId,
    actor_tenant_id: event.actorTenantId,
    target_type: event.targetType,
    target_id: event.targetId,
    tenant_id: event.tenantId,
    source_ip: event.sourceIp,
    at: unixSeconds(event.at),
    details: event.details,
  };
}

@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  /** Writes the audit row with `manager`, i.e. in the transaction of the change it records. */
  async record(manager: EntityManager, actor: Actor | null, entry: AuditEntry): Promise<void> {
    await manager.insert(AuditEvent, {
      id: randomUUID(),
      actorKeyId: actor?.principal.keyId ?? null,
      actorTenantId: actor?.principal.tenantId ?? null,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      tenantId: entry.tenantId,
      sourceIp: actor?.sourceIp ?? null,
      at: () => 'now()',
      details: entry.details ?? {},
    } as never);
  }

  async list(options: { tenantId?: string; limit: number; after?: string }): Promise<ListPage<AuditEventView>> {
    const query = this.dataSource.getRepository(AuditEvent).createQueryBuilder('e');
    if (options.tenantId) query.where('e.tenant_id = :tenantId', { tenantId: options.tenantId });
    const { rows, hasMore } = await fetchPage(query, { alias: 'e', table: 'auth.audit_event', timeColumn: 'at', ...options });
    return listPage(rows.map(auditEventView), hasMore);
  }
}
