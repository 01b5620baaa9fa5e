import type { DataSource, EntityTarget } from 'typeorm';
import { DrainLoop } from './drain-loop';

/** What every outbox table has: a `bigint` id in write order and `published_at` (null until relayed). */
export interface OutboxRow {
  id: string;
  publishedAt: Date | null;
}

export interface OutboxRelayOptions<Row extends OutboxRow> {
  readonly dataSource: DataSource;
  /** The outbox entity (columns `id`, `published_at`, plus whatever `publish` needs). */
  readonly entity: EntityTarget<Row>;
  /**
   * Advisory lock held by a relay pass: one relay at a time across replicas, so the records of
   * one key reach the topic in the order they were written.
   */
  readonly lockName: string;
  /** Sends one batch in id order; the rows are marked published only once it resolved. */
  readonly publish: (rows: readonly Row[]) => Promise<unknown>;
  /** Names the relay in its warnings, e.g. "key-state relay". */
  readonly name: string;
  readonly logger: { warn(message: string): void };
  /**
   * Poll for rows no kick will publish (a failed pass's, or those of a replica that died before
   * relaying them); default 1 s. It is a fallback: a replica's own writes are published by its
   * kick, and a kick that finds another replica relaying retries after 50 ms.
   */
  readonly pollIntervalMs?: number;
  /** Default 500. */
  readonly batchSize?: number;
  /** Published rows are kept this long (to see what was sent when), then deleted; default one hour. */
  readonly publishedRetentionSeconds?: number;
  /** Default 5 s. */
  readonly pruneIntervalMs?: number;
}

/**
 * The relay half of a transactional outbox: rows written in the transaction of a change are
 * published in id order and marked, so a broker outage delays publication but loses nothing.
 * The service keeps the domain part (what it writes, how a row becomes an event); this class
 * runs the passes: a poll, `kick()` after a commit (coalescing with a pass in progress), one
 * relay across replicas under an advisory lock, and pruning of long-published rows.
 */
/** How soon a pass that found another replica relaying tries again. */
const LOCK_BUSY_RETRY_MS = 50;

export class OutboxRelay<Row extends OutboxRow> {
  private readonly batchSize: number;
  private readonly publishedRetentionSeconds: number;
  private readonly pruneIntervalMs: number;
  private readonly loop: DrainLoop;
  private lastPruneAt = 0;
  private lockBusy = false;
  private lockRetry?: NodeJS.Timeout;
  /** Passes started so far; a pass numbered above a flush's `after` sees every row committed before the flush. */
  private passes = 0;
  private readonly flushes = new Set<{ after: number; done: (published: boolean) => void }>();

  constructor(private readonly options: OutboxRelayOptions<Row>) {
    this.batchSize = options.batchSize ?? 500;
    this.publishedRetentionSeconds = options.publishedRetentionSeconds ?? 3_600;
    this.pruneIntervalMs = options.pruneIntervalMs ?? 5_000;
    this.loop = new DrainLoop({ name: options.name, pollIntervalMs: options.pollIntervalMs ?? 1_000, pass: () => this.relayUntilDrained(), logger: options.logger });
  }

  start(): void {
    this.loop.start();
  }

  /** Stops polling and waits for the pass in progress: call it while the database and the broker are still up. */
  async stop(): Promise<void> {
    clearTimeout(this.lockRetry);
    await this.loop.stop();
  }

  /** Publish now (called after a commit); coalesces with a relay pass already in progress. */
  kick(): void {
    this.loop.kick();
  }

  /**
   * Publish now and wait until every row committed before the call is on the broker (relayed by
   * this replica or, when another holds the lock, by that one): true then, false after
   * `timeoutMs` (the broker is slow or down; the rows stay in the outbox and go out later).
   * For writes whose readers must see them at once, e.g. a key used right after it was created.
   */
  flush(timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const flush = {
        after: this.passes,
        done: (published: boolean) => {
          clearTimeout(timer);
          this.flushes.delete(flush);
          resolve(published);
        },
      };
      const timer = setTimeout(() => flush.done(false), timeoutMs);
      this.flushes.add(flush);
      this.kick();
    });
  }

  private async relayUntilDrained(): Promise<void> {
    const pass = ++this.passes;
    this.lockBusy = false;
    while (!this.loop.stopped && (await this.relayOnce()) === this.batchSize);
    // Under the lock, nothing unpublished was left: every row committed before this pass began is out.
    if (!this.lockBusy) for (const flush of this.flushes) if (flush.after < pass) flush.done(true);
    if (this.lockBusy && !this.loop.stopped && !this.lockRetry) {
      // Another replica is relaying, possibly past our rows already: look again shortly rather
      // than at the next poll, so our rows are not held back by its pass.
      this.lockRetry = setTimeout(() => {
        this.lockRetry = undefined;
        this.loop.kick();
      }, LOCK_BUSY_RETRY_MS);
      this.lockRetry.unref();
    }
    if (Date.now() - this.lastPruneAt >= this.pruneIntervalMs) {
      this.lastPruneAt = Date.now();
      await this.prunePublished();
    }
  }

  /** Deletes rows published longer ago than the retention: the topic, not the table, is the record. */
  async prunePublished(): Promise<number> {
    const result = await this.options.dataSource
      .createQueryBuilder()
      .delete()
      .from(this.options.entity)
      .where('published_at < now() - make_interval(secs => :seconds)', { seconds: this.publishedRetentionSeconds })
      .execute();
    return result.affected ?? 0;
  }

  /** Publishes one batch; returns how many rows were published (0 when another replica holds the lock). */
  async relayOnce(): Promise<number> {
    return this.options.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [this.options.lockName]);
      if (!locked) {
        this.lockBusy = true;
        return 0;
      }
      const rows = await manager
        .getRepository(this.options.entity)
        .createQueryBuilder('o')
        .where('o.published_at IS NULL')
        .orderBy('o.id', 'ASC')
        .take(this.batchSize)
        .getMany();
      if (rows.length === 0) return 0;
      await this.options.publish(rows);
      await manager
        .createQueryBuilder()
        .update(this.options.entity)
        .set({ publishedAt: () => 'now()' })
        .whereInIds(rows.map((row) => row.id))
        .execute();
      return rows.length;
    });
  }
}
