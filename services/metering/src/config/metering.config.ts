import { type DynamicModule, Global, Module } from '@nestjs/common';
import { loadConfigOrExit, z } from '@vectorstack/config';
import { isValidTopicName, Topics, type TopicSpec, type UsageRecordedBatchSchema } from '@vectorstack/contracts';

/** Variables only the metering service reads; DATABASE_URL, KAFKA_BROKERS, PORT… come with the platform shape. */
export const meteringConfigShape = {
  /**
   * The usage topic to ingest. Only tests and benchmarks change it (a per-run copy of the topic
   * with the same partitions), so a second metering process can be exercised in isolation.
   */
  METERING_USAGE_TOPIC: z
    .string()
    .refine((name) => isValidTopicName(name), 'must be a topic name vectorstack.<domain>.<entity>.v<N>')
    .default(Topics.usageRecorded.name),
  /** The consumer group every replica shares: each usage event is ingested by one of them. */
  METERING_CONSUMER_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be 1-200 letters, digits, ".", "_" or "-"')
    .default('vectorstack-metering-ingest'),
  /** Most usage events written to Postgres in one transaction. */
  METERING_INGEST_BATCH_SIZE: z.coerce.number().int().min(1).max(20_000).default(5_000),
  /** Partitions of the usage topic ingested at the same time by one replica. */
  METERING_INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
  /** Months of raw usage events (and minute rollups) kept; older monthly partitions are dropped. 0 keeps everything. */
  METERING_RAW_RETENTION_MONTHS: z.coerce.number().int().min(0).max(1_200).default(13),
  /** Monthly partitions created ahead of the current month. */
  METERING_PARTITIONS_AHEAD_MONTHS: z.coerce.number().int().min(1).max(24).default(2),
  /** How far in the future an event's occurred_at may lie before it is refused as a clock error. */
  METERING_MAX_FUTURE_SKEW_SECONDS: z.coerce.number().int().min(0).max(31 * 86_400).default(86_400),
  /** How long ingestion waits for the model catalog (prices) to be read before it starts anyway. */
  METERING_CATALOG_CATCH_UP_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  /** How often the consumer lag gauge is refreshed from the broker. */
  METERING_LAG_POLL_MS: z.coerce.number().int().min(200).max(300_000).default(5_000),
  /** How often every budget is re-evaluated (month rollover, budgets changed on another replica). */
  METERING_BUDGET_SWEEP_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
};

export type MeteringConfig = z.infer<z.ZodObject<typeof meteringConfigShape>>;

export interface MeteringOptions {
  readonly usageTopic: TopicSpec<typeof UsageRecordedBatchSchema>;
  readonly consumerGroup: string;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly rawRetentionMonths: number;
  readonly partitionsAheadMonths: number;
  readonly maxFutureSkewSeconds: number;
  readonly catalogCatchUpTimeoutMs: number;
  readonly lagPollMs: number;
  readonly budgetSweepMs: number;
}

export const METERING_OPTIONS = Symbol('METERING_OPTIONS');

export function meteringOptionsFromConfig(config: MeteringConfig): MeteringOptions {
  return {
    usageTopic: config.METERING_USAGE_TOPIC === Topics.usageRecorded.name ? Topics.usageRecorded : { ...Topics.usageRecorded, name: config.METERING_USAGE_TOPIC },
    consumerGroup: config.METERING_CONSUMER_GROUP,
    batchSize: config.METERING_INGEST_BATCH_SIZE,
    concurrency: config.METERING_INGEST_CONCURRENCY,
    rawRetentionMonths: config.METERING_RAW_RETENTION_MONTHS,
    partitionsAheadMonths: config.METERING_PARTITIONS_AHEAD_MONTHS,
    maxFutureSkewSeconds: config.METERING_MAX_FUTURE_SKEW_SECONDS,
    catalogCatchUpTimeoutMs: config.METERING_CATALOG_CATCH_UP_TIMEOUT_MS,
    lagPollMs: config.METERING_LAG_POLL_MS,
    budgetSweepMs: config.METERING_BUDGET_SWEEP_MS,
  };
}

/** Validated before anything connects: a bad variable stops the process with one line naming it. */
export function meteringOptionsFromEnv(env: Record<string, string | undefined> = process.env): MeteringOptions {
  return meteringOptionsFromConfig(loadConfigOrExit(meteringConfigShape, env));
}

@Global()
@Module({})
export class MeteringConfigModule {
  static forRoot(options: MeteringOptions): DynamicModule {
    return { module: MeteringConfigModule, providers: [{ provide: METERING_OPTIONS, useValue: options }], exports: [METERING_OPTIONS] };
  }
}
