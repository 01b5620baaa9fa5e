import type { EntityManager } from 'typeorm';

/**
 * One advisory lock guards the ledger's derived numbers. Ingest transactions take it shared (they
 * run side by side); price corrections and the rollup rebuild take it exclusively, so neither
 * interleaves with a batch: a batch priced with the old price either commits before the
 * correction (which then sees and fixes it) or starts after it (and sees the new price).
 */
const LEDGER_LOCK = 'vectorstack:metering:ledger';

/**
 * Shared, for an ingest transaction. Waits at most 10 s for this and any row lock of the batch:
 * past that the batch fails and the consumer runner retries it with backoff while heartbeating
 * the group, instead of blocking silently until Kafka considers the consumer dead (a rollup
 * rebuild holds the lock exclusively for as long as it takes).
 */
export async function lockLedgerShared(manager: EntityManager): Promise<void> {
  await manager.query("SELECT set_config('lock_timeout', '10s', true), pg_advisory_xact_lock_shared(hashtext($1))", [LEDGER_LOCK]);
}

export async function lockLedgerExclusive(manager: EntityManager): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LEDGER_LOCK]);
}

/** Serialises partition DDL across replicas. */
export const PARTITION_LOCK = 'vectorstack:metering:partitions';
/** One budget relay pass at a time across replicas, so a subject's records reach the topic in version order. */
export const BUDGET_RELAY_LOCK = 'vectorstack:metering:budget-relay';
/** One periodic budget sweep at a time across replicas. */
export const BUDGET_SWEEP_LOCK = 'vectorstack:metering:budget-sweep';
