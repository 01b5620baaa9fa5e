export { encodeUsageBatch } from './usage-batch';
export { decodeUsageRecordedBatch } from './usage-decoding';
export { UsagePublisher, type UsagePublisherOptions } from './usage-publisher';
export { PostgresUsageSpool, usageSpoolTableSql, type SpoolEntry } from './usage-spool';
