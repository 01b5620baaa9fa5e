export { UsagePublisher, type UsagePublisherOptions } from './usage-publisher';
export { PostgresUsageSpool, usageSpoolTableSql, type SpooledBatch } from './usage-spool';
