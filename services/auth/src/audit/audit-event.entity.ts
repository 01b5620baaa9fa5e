import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AuditAction = 'tenant.created' | 'tenant.updated' | 'key.created' | 'key.updated' | 'key.revoked' | 'key.rotated' | 'key.restored';

@Entity({ name: 'audit_event' })
export class AuditEvent {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** Null for changes the service makes itself (admin bootstrap). */
  @Column({ name: 'actor_key_id', type: 'uuid', nullable: true })
  actorKeyId!: string | null;

  @Column({ name: 'actor_tenant_id', type: 'uuid', nullable: true })
  actorTenantId!: string | null;

  @Column({ type: 'text' })
  action!: AuditAction;

  @Column({ name: 'target_type', type: 'text' })
  targetType!: 'tenant' | 'api_key';

  @Column({ name: 'target_id', type: 'uuid' })
  targetId!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'source_ip', type: 'text', nullable: true })
  sourceIp!: string | null;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'jsonb' })
  details!: Record<string, unknown>;
}
