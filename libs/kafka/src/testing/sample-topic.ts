import { UsageRecordedSchema, type TopicSpec } from '@vectorstack/contracts';

/**
 * An event topic for this library's own tests, not one of the platform's: any schema with an
 * eventId field does, and UsageRecorded is one (the platform's usage topic carries batches of
 * them). Tests take a per-run copy with testTopic.
 */
export const SAMPLE_EVENT_TOPIC: TopicSpec<typeof UsageRecordedSchema> = {
  name: 'vectorstack.test.sample-event.v1',
  schema: UsageRecordedSchema,
  partitions: 6,
  cleanupPolicy: 'delete',
  retentionMs: 24 * 60 * 60 * 1000,
  keyedBy: 'tenant id',
};
