import type { DescMessage } from '@bufbuild/protobuf';
import { ApiKeyStateSchema } from './gen/vectorstack/auth/v1/api_key_state_pb';
import { BudgetStatusSchema } from './gen/vectorstack/metering/v1/budget_status_pb';
import { DatasetEventSchema } from './gen/vectorstack/data/v1/dataset_event_pb';
import { ModelRegisteredSchema } from './gen/vectorstack/inference/v1/model_registered_pb';
import { ModelCatalogEntrySchema } from './gen/vectorstack/router/v1/model_catalog_pb';
import { TrainingJobEventSchema } from './gen/vectorstack/training/v1/training_job_event_pb';
import { UsageRecordedBatchSchema } from './gen/vectorstack/usage/v1/usage_recorded_pb';

/**
 * How a topic is created. `compact` topics carry state (the latest record per
 * key wins, so a replica rebuilds it by reading from the beginning); `delete`
 * topics carry events and age out after `retentionMs`.
 */
export interface TopicSpec<S extends DescMessage = DescMessage> {
  /** `vectorstack.<domain>.<entity>.v<N>` */
  readonly name: string;
  readonly schema: S;
  readonly partitions: number;
  readonly cleanupPolicy: 'compact' | 'delete';
  /** Unset for compacted topics (kept forever). */
  readonly retentionMs?: number;
  /** What the record key is, so every producer keys the same way. */
  readonly keyedBy: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function topic<S extends DescMessage>(spec: TopicSpec<S>): TopicSpec<S> {
  return spec;
}

/** Every topic of the platform, versioned. Add new versions; never change a published one. */
export const Topics = {
  apiKeyState: topic({
    name: 'vectorstack.auth.api-key-state.v1',
    schema: ApiKeyStateSchema,
    partitions: 3,
    cleanupPolicy: 'compact',
    keyedBy: 'key id',
  }),
  /**
   * Usage events, in batches of one tenant's events (UsageRecordedBatch). v1 carried one
   * UsageRecorded per record and was retired before any release; nothing produces it.
   */
  usageRecorded: topic({
    name: 'vectorstack.usage.recorded.v2',
    schema: UsageRecordedBatchSchema,
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    keyedBy: 'tenant id',
  }),
  datasetEvents: topic({
    name: 'vectorstack.data.dataset-event.v1',
    schema: DatasetEventSchema,
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    keyedBy: 'dataset id',
  }),
  trainingJobEvents: topic({
    name: 'vectorstack.training.job-event.v1',
    schema: TrainingJobEventSchema,
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    keyedBy: 'job id',
  }),
  modelRegistered: topic({
    name: 'vectorstack.inference.model-registered.v1',
    schema: ModelRegisteredSchema,
    partitions: 3,
    cleanupPolicy: 'compact',
    keyedBy: 'model id',
  }),
  /** The router's model catalog: full entries, a tombstone when one is deleted. */
  modelCatalog: topic({
    name: 'vectorstack.router.model-catalog.v1',
    schema: ModelCatalogEntrySchema,
    partitions: 3,
    cleanupPolicy: 'compact',
    keyedBy: 'model id',
  }),
  /**
   * Metering's budget state per key and per tenant (crossed, cleared); auth turns a key's (or its
   * tenant's) hard-exceeded state into budget_exceeded on the key state.
   */
  budgetStatus: topic({
    name: 'vectorstack.metering.budget-status.v1',
    schema: BudgetStatusSchema,
    partitions: 3,
    cleanupPolicy: 'compact',
    keyedBy: '"key:<key id>" or "tenant:<tenant id>"',
  }),
} as const;

export type TopicKey = keyof typeof Topics;

/**
 * Record headers of the usage topic, besides the platform's own (event-id, content-type…).
 * `rate-limit-settled: <n>` says that every one of the record's n events was settled by its
 * publisher (a quota lease): the ratelimit service's reconciliation has nothing to do for them
 * and skips the record without decoding it.
 */
export const UsageHeaders = {
  rateLimitSettled: 'rate-limit-settled',
} as const;

export const ALL_TOPICS: readonly TopicSpec[] = Object.values(Topics);

/** Dead-letter topic of a source topic: records that could not be decoded or kept failing. */
export function deadLetterTopicName(sourceTopic: string): string {
  return `${sourceTopic}.dlq`;
}

const TOPIC_NAME = /^vectorstack\.[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*\.v[1-9][0-9]*$/;

export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name);
}
