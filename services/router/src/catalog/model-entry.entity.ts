import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TierName } from '@vectorstack/auth-guard';
import type { ProviderName } from './catalog-entry';

/** A model of the catalog (its deployments are rows of model_deployment). */
@Entity({ name: 'model' })
export class ModelEntryRecord {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text', array: true })
  aliases!: string[];

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ name: 'owned_by', type: 'text' })
  ownedBy!: string;

  @Column({ name: 'context_window', type: 'integer' })
  contextWindow!: number;

  @Column({ name: 'max_output_tokens', type: 'integer' })
  maxOutputTokens!: number;

  /** numeric(20,12): TypeORM hands it over as the exact decimal string. */
  @Column({ name: 'input_price_per_1k', type: 'numeric' })
  inputPricePer1k!: string;

  @Column({ name: 'output_price_per_1k', type: 'numeric' })
  outputPricePer1k!: string;

  @Column({ type: 'text', array: true })
  tiers!: TierName[];

  @Column({ type: 'boolean' })
  disabled!: boolean;

  @Column({ name: 'disabled_message', type: 'text', nullable: true })
  disabledMessage!: string | null;

  @Column({ type: 'text', array: true })
  fallbacks!: string[];

  /** Digest of the seed file's entry last applied; null when the entry never came from the file. */
  @Column({ name: 'seed_digest', type: 'text', nullable: true })
  seedDigest!: string | null;

  @Column({ type: 'bigint' })
  version!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** One deployment of a model. The credential is only ever a reference (a CHECK constraint holds the table to it). */
@Entity({ name: 'model_deployment' })
export class ModelDeploymentRecord {
  @PrimaryColumn({ name: 'model_id', type: 'text' })
  modelId!: string;

  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** Order within the entry, as the admin listed them. */
  @Column({ type: 'integer' })
  position!: number;

  @Column({ type: 'text' })
  provider!: ProviderName;

  @Column({ name: 'base_url', type: 'text' })
  baseUrl!: string;

  @Column({ name: 'upstream_model', type: 'text' })
  upstreamModel!: string;

  @Column({ name: 'credential_ref', type: 'text', nullable: true })
  credentialRef!: string | null;

  @Column({ type: 'integer' })
  weight!: number;

  @Column({ name: 'timeout_ms', type: 'integer' })
  timeoutMs!: number;

  @Column({ name: 'max_retries', type: 'integer' })
  maxRetries!: number;
}
