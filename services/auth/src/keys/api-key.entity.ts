import { Column, Entity, PrimaryColumn } from 'typeorm';

export const TIERS = ['free', 'starter', 'pro', 'enterprise'] as const;
export type TierName = (typeof TIERS)[number];

export const SCOPES = ['chat', 'embeddings', 'data', 'train', 'predict', 'usage:read', 'keys:manage', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type ApiKeyStatusName = 'active' | 'revoked';

/** An API key. The secret itself is never stored: only its HMAC (and, during a rotation grace, the previous one's). */
@Entity({ name: 'api_key' })
export class ApiKey {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'display_prefix', type: 'text' })
  displayPrefix!: string;

  @Column({ name: 'secret_hash', type: 'bytea' })
  secretHash!: Buffer;

  @Column({ name: 'previous_secret_hash', type: 'bytea', nullable: true })
  previousSecretHash!: Buffer | null;

  @Column({ name: 'previous_valid_until', type: 'timestamptz', nullable: true })
  previousValidUntil!: Date | null;

  @Column({ type: 'text' })
  tier!: TierName;

  @Column({ type: 'text', array: true })
  scopes!: Scope[];

  @Column({ type: 'text', array: true })
  models!: string[];

  @Column({ name: 'ip_allowlist', type: 'text', array: true })
  ipAllowlist!: string[];

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'jsonb' })
  metadata!: Record<string, unknown>;

  @Column({ type: 'text' })
  status!: ApiKeyStatusName;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** Incremented on every change of the key or its tenant; published as ApiKeyState.version. */
  @Column({ type: 'bigint' })
  version!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'last_rotated_at', type: 'timestamptz', nullable: true })
  lastRotatedAt!: Date | null;
}
