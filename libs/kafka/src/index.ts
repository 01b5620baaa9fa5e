// @vectorstack/kafka — the platform's Kafka conventions in one place: protobuf payloads with
// event-id and W3C trace headers, an idempotent producer, consumer groups that commit only
// after the handler succeeded and dead-letter what keeps failing, and topic provisioning.
// A thin NestJS module over kafkajs rather than an @nestjs/microservices transport (see
// kafka.module.ts for why); every class also works without Nest.
export { KafkaModule, KafkaHealthIndicator, KAFKA_MODULE_OPTIONS, type KafkaModuleOptions, type KafkaModuleAsyncOptions } from './kafka.module';
export { KafkaConnection, parseBrokers, type KafkaConnectionOptions, type KafkaPingResult } from './kafka-connection';
export { KafkaProducer, type EncodedEvent, type OutgoingEvent, type SentEvent, type SentRecord, type RawRecord } from './producer';
export {
  HIGH_VOLUME_FETCH,
  KafkaConsumerRunner,
  type ConsumedRecord,
  type BatchHandler,
  type RecordHandler,
  type RunConsumerOptions,
  type RunningConsumer,
} from './consumer';
export { CompactedTopicFollower, type CompactedTopicFollowerOptions } from './compacted-topic-follower';
export {
  ensureTopics,
  planTopics,
  replicationFactorFromEnv,
  DEAD_LETTER_RETENTION_MS,
  type EnsuredTopic,
  type EnsureTopicsOptions,
  type TopicPlan,
} from './admin';
export { KafkaHeaders, protobufContentType, decodeHeaders, type DeadLetterReason } from './headers';
export { generateTraceparent, parseTraceparent, traceparentOf, extractTraceContext, type TraceParent } from './trace-context';
export { uuidv7 } from './event-id';
export { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
export { kafkaMetrics, type KafkaMetrics } from './metrics';
export { silentLogger, type KafkaLogger, type KafkaLogLevelName } from './logging';
export { isValidKafkaTopicName, assertValidTopicName, withTopicName, testTopic, newTestRunId } from './topic-names';
