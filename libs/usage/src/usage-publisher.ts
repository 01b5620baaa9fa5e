import { fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { Topics, UsageHeaders, UsageRecordedSchema, type TopicSpec, type UsageRecordedBatchSchema } from '@vectorstack/contracts';
import { uuidv7, type EncodedEvent, type KafkaProducer } from '@vectorstack/kafka';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { encodeUsageBatch } from './usage-batch';
import { encodeUsageRecorded } from './usage-encoding';
import type { PostgresUsageSpool, SpoolEntry } from './usage-spool';

export interface UsagePublisherOptions {
  /** Events per Kafka request at most (their records are one per tenant). */
  batchSize?: number;
  /**
   * Bytes of encoded events per Kafka request at most (default 512 KiB): a broker refuses a
   * partition's record batch over its `message.max.bytes` (1 MiB by default), and a refused batch
   * would be spooled and refused again forever. A batch over it goes out as several requests.
   */
  maxBatchBytes?: number;
  /**
   * How long an event may wait for companions before its batch is sent (default 250 ms, or until
   * `batchSize` events or `maxBatchBytes` wait). Every produce request costs CPU whatever its
   * size, and so does each request it causes downstream (a fetch by each consumer, an offset
   * commit, a metering transaction in Postgres): the router used ~35-45 µs less CPU per response
   * with 100 ms than with 20 ms at ~2,000 responses/s, and the metering path (Kafka, the
   * consumers, Postgres) ~13% less CPU per event with 250 ms and 2,000 events than with 100 ms
   * and 500 (bench/router/README.md, stop 33). Budgets see usage that much later; an event waits
   * in memory that long (a crash loses it; a shutdown sends it).
   */
  lingerMs?: number;
  /** How long a send may take before its batch goes to the spool instead. */
  sendTimeoutMs?: number;
  /** How often the spool is drained while it holds events. */
  drainIntervalMs?: number;
  /** Events kept in memory when neither Kafka nor the spool takes them; beyond it the oldest are dropped (and counted). */
  maxBuffered?: number;
  /** The usage topic (tests pass a per-run copy). */
  topic?: TopicSpec<typeof UsageRecordedBatchSchema>;
}

/** A recorded event, encoded at once (encodeUsageRecorded): one small buffer per event waits for the batch, not an object graph. */
interface PendingEvent extends SpoolEntry {
  readonly tenantId: string;
  /** Its publisher settled its rate-limit reservation (the ratelimit service has nothing to do). */
  readonly rateLimitSettled: boolean;
}

const published = new Counter({ name: 'vectorstack_usage_events_published_total', help: 'Usage events acknowledged by Kafka.', labelNames: ['path'] as const });
const spooled = new Counter({ name: 'vectorstack_usage_events_spooled_total', help: 'Usage events written to the durable spool because Kafka did not take them.' });
const dropped = new Counter({ name: 'vectorstack_usage_events_dropped_total', help: 'Usage events lost: neither Kafka nor the spool took them and the memory buffer was full.' });
/** Started publishers, read when the gauge below is scraped (setting it on every `record` cost more than the rest of it). */
const running = new Set<UsagePublisher>();
new Gauge({
  name: 'vectorstack_usage_events_buffered',
  help: 'Usage events waiting in memory.',
  collect() {
    let waiting = 0;
    for (const publisher of running) waiting += publisher.bufferedEvents;
    this.set(waiting);
  },
});

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`Kafka send took longer than ${ms} ms`)), ms).unref());
}

/**
 * Publishes usage events off the request path: `record` only encodes and buffers; a batch goes
 * to Kafka `lingerMs` (250 ms) after its first event at the latest, as one UsageRecordedBatch
 * record per tenant (keyed by the tenant, so a tenant's events stay ordered). With a record per
 * event, kafkajs's per-record work (encoding, headers, checksums) cost the publisher ~48 µs of
 * CPU per event (~10 µs batched), and Kafka and every consumer about as much again per record
 * (bench/router: 159 → 77 µs per event across them). When Kafka does not acknowledge
 * in time the batch's events are written to a Postgres spool and drained when Kafka is back.
 * Every event carries its id from the start, so an event that reaches Kafka late *and* from the
 * spool is deduplicated downstream (metering keys on it).
 */
export class UsagePublisher {
  private readonly buffer: PendingEvent[] = [];
  /** Bytes of the buffered events' encodings. */
  private bufferedBytes = 0;
  private flushTimer?: NodeJS.Timeout;
  private flushing?: Promise<unknown>;
  private drainTimer?: NodeJS.Timeout;
  private draining = false;
  private readonly options: Required<UsagePublisherOptions>;

  constructor(
    private readonly producer: KafkaProducer,
    private readonly spool: PostgresUsageSpool,
    private readonly logger: Logger,
    options: UsagePublisherOptions = {},
  ) {
    this.options = { batchSize: 2_000, maxBatchBytes: 512 * 1024, lingerMs: 250, sendTimeoutMs: 2_000, drainIntervalMs: 1_000, maxBuffered: 200_000, topic: Topics.usageRecorded, ...options };
  }

  /** Events waiting in memory for Kafka (or the spool). */
  get bufferedEvents(): number {
    return this.buffer.length;
  }

  start(): void {
    running.add(this);
    this.drainTimer = setInterval(() => void this.drainSpool(), this.options.drainIntervalMs);
    this.drainTimer.unref();
  }

  /** Queues one event (its id is assigned here unless `init` has one) and returns its id; never waits on Kafka. */
  record(init: MessageInitShape<typeof UsageRecordedSchema>): string {
    const eventId = init.eventId || uuidv7();
    if (this.buffer.length >= this.options.maxBuffered) {
      this.bufferedBytes -= this.buffer.shift()!.bytes.byteLength;
      dropped.inc();
      this.logger.error('usage buffer full: dropped the oldest event');
    }
    const bytes = encodeUsageRecorded(init, eventId);
    this.buffer.push({ tenantId: init.tenantId ?? '', rateLimitSettled: init.rateLimitSettled === true, eventId, bytes });
    this.bufferedBytes += bytes.byteLength;
    this.flushSoon(this.batchWaits() ? 0 : this.options.lingerMs);
    return eventId;
  }

  /** A full batch waits (by count or bytes): no reason to linger. */
  private batchWaits(): boolean {
    return this.buffer.length >= this.options.batchSize || this.bufferedBytes >= this.options.maxBatchBytes;
  }

  private flushSoon(delayMs: number): void {
    if (this.flushing) return;
    if (this.flushTimer && delayMs > 0) return;
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      // Only what waits now: events recorded while it is sent wait for a linger of their own (or
      // a full batch). Draining until empty sent a small batch after every acknowledgement under
      // steady traffic (~90 requests/s to Kafka at ~3,500 events/s instead of ~10).
      this.flushing = this.flush(this.buffer.length).finally(() => {
        this.flushing = undefined;
        if (this.buffer.length > 0) this.flushSoon(this.batchWaits() ? 0 : this.options.lingerMs);
      });
    }, delayMs);
  }

  /** Sends everything buffered (on shutdown). */
  private async flushAll(): Promise<void> {
    while (this.buffer.length > 0) if (!(await this.flush(this.buffer.length))) return;
  }

  /** Sends the first `count` buffered events, in batches; false when a batch went back to memory. */
  private async flush(count: number): Promise<boolean> {
    let due = count;
    while (due > 0 && this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchLength(Math.min(due, this.buffer.length)));
      for (const event of batch) this.bufferedBytes -= event.bytes.byteLength;
      due -= batch.length;
      if (!(await this.deliver(batch))) return false;
    }
    return true;
  }

  /** How many of the first `available` buffered events make one batch (at least one, whatever its size). */
  private batchLength(available: number): number {
    const most = Math.min(available, this.options.batchSize);
    let bytes = this.buffer[0]!.bytes.byteLength;
    let length = 1;
    while (length < most && bytes + this.buffer[length]!.bytes.byteLength <= this.options.maxBatchBytes) bytes += this.buffer[length++]!.bytes.byteLength;
    return length;
  }

  /** Kafka, else the spool, else back into memory. False when the batch went back to memory. */
  private async deliver(batch: PendingEvent[]): Promise<boolean> {
    try {
      await Promise.race([this.send(batch), timeout(this.options.sendTimeoutMs)]);
      published.inc({ path: 'direct' }, batch.length);
      return true;
    } catch (sendError) {
      try {
        await this.spool.add(batch);
        spooled.inc(batch.length);
        this.logger.warn({ err: sendError, events: batch.length }, 'Kafka did not take usage events; spooled them');
        return true;
      } catch (spoolError) {
        this.logger.error({ err: spoolError }, 'usage spool unavailable; keeping events in memory');
        this.buffer.unshift(...batch);
        for (const event of batch) this.bufferedBytes += event.bytes.byteLength;
        return false;
      }
    }
  }

  /**
   * One request to Kafka: a UsageRecordedBatch record per tenant, in the order the events were
   * recorded. A record whose events were all settled by their publisher says so in a header
   * (UsageHeaders.rateLimitSettled), so that the ratelimit service skips it undecoded.
   */
  private async send(batch: readonly PendingEvent[]): Promise<void> {
    const byTenant = new Map<string, { events: Uint8Array[]; settled: boolean }>();
    for (const event of batch) {
      const record = byTenant.get(event.tenantId);
      if (record) {
        record.events.push(event.bytes);
        record.settled &&= event.rateLimitSettled;
      } else byTenant.set(event.tenantId, { events: [event.bytes], settled: event.rateLimitSettled });
    }
    const records: EncodedEvent[] = [];
    for (const [tenantId, { events, settled }] of byTenant) {
      const eventId = uuidv7();
      const value = encodeUsageBatch(eventId, events);
      records.push(settled ? { key: tenantId, eventId, value, headers: { [UsageHeaders.rateLimitSettled]: String(events.length) } } : { key: tenantId, eventId, value });
    }
    await this.producer.sendEncoded(this.options.topic, records);
  }

  /**
   * Moves spooled events to Kafka, oldest first, until the spool is empty or Kafka fails. Runs
   * on every replica (rows are locked), so a replica that died with a full spool is drained too.
   */
  async drainSpool(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        const sent = await this.spool.drain(this.options.batchSize, async (entries) => {
          // Rows spooled by several batches may together exceed maxBatchBytes: one request per share.
          let start = 0;
          while (start < entries.length) {
            let end = start + 1;
            let bytes = entries[start]!.bytes.byteLength;
            while (end < entries.length && bytes + entries[end]!.bytes.byteLength <= this.options.maxBatchBytes) bytes += entries[end++]!.bytes.byteLength;
            await this.send(
              entries.slice(start, end).map((entry) => {
                const event = fromBinary(UsageRecordedSchema, entry.bytes);
                return { ...entry, tenantId: event.tenantId, rateLimitSettled: event.rateLimitSettled };
              }),
            );
            start = end;
          }
          published.inc({ path: 'spool' }, entries.length);
        });
        if (sent === 0) break;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'usage spool drain failed; will retry');
    } finally {
      this.draining = false;
    }
  }

  /** Sends (or spools) everything buffered; called on shutdown. */
  async stop(): Promise<void> {
    running.delete(this);
    clearInterval(this.drainTimer);
    clearTimeout(this.flushTimer);
    await this.flushing;
    await this.flushAll();
  }
}
