// Test support for the metering service's integration specs: the platform client from
// libs/testing, plus publishing usage events on the real Kafka, pricing test models, polling
// the usage API and reading topics.
import { randomUUID } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Topics, UsageSource, type TopicSpec, type UsageRecorded, type UsageRecordedBatchSchema, type UsageRecordedSchema } from '@vectorstack/contracts';
import { decodeHeaders, KafkaConnection, KafkaProducer, uuidv7 } from '@vectorstack/kafka';
import { adminKey, call, createKey, createTenant, queryDatabase, testInfra, uniqueSuffix } from '@vectorstack/testing';

export { adminKey, call, createKey, createTenant, expectOpenAIError, queryDatabase, requireEnv, sleep, testInfra, uniqueSuffix } from '@vectorstack/testing';

/** The plain-object form of a usage event (every field optional). */
export type UsageInit = Exclude<MessageInitShape<typeof UsageRecordedSchema>, UsageRecorded>;

/** A router usage event with defaults; `at` sets occurred_at. */
export function usageEvent(fields: Partial<UsageInit> & { at?: Date } = {}): UsageInit {
  const { at, ...rest } = fields;
  return {
    eventId: uuidv7(),
    requestId: randomUUID(),
    source: UsageSource.ROUTER,
    model: 'unpriced-model',
    deployment: 'test/primary',
    provider: 'openai-compatible',
    promptTokens: 10n,
    completionTokens: 20n,
    totalTokens: 30n,
    latencyMs: 120,
    httpStatus: 200,
    streamed: false,
    endpoint: '/v1/chat/completions',
    occurredAt: timestampFromDate(at ?? new Date()),
    ...rest,
  };
}

/** One Kafka producer for a spec file. */
export class UsageProducer {
  private constructor(
    readonly connection: KafkaConnection,
    readonly producer: KafkaProducer,
  ) {}

  static create(): UsageProducer {
    const connection = new KafkaConnection({ clientId: `metering-it-${uniqueSuffix()}`, brokers: testInfra.kafkaBrokers(), logLevel: 'error' });
    return new UsageProducer(connection, new KafkaProducer(connection));
  }

  /**
   * Publishes events as the router does: batches of one tenant's events (at most `perRecord`),
   * keyed by the tenant, a few thousand events per request.
   */
  async publish(events: readonly UsageInit[], topic: TopicSpec<typeof UsageRecordedBatchSchema> = Topics.usageRecorded, perRecord = 500): Promise<void> {
    for (let i = 0; i < events.length; i += 2_000) {
      const byTenant = new Map<string, UsageInit[]>();
      for (const event of events.slice(i, i + 2_000)) {
        const tenant = String(event.tenantId ?? '');
        const batch = byTenant.get(tenant);
        if (batch) batch.push(event);
        else byTenant.set(tenant, [event]);
      }
      const records = [...byTenant].flatMap(([tenant, batch]) =>
        Array.from({ length: Math.ceil(batch.length / perRecord) }, (_, r) => ({ key: tenant, message: { events: batch.slice(r * perRecord, (r + 1) * perRecord) } })),
      );
      await this.producer.sendBatch(topic, records);
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.connection.close();
  }
}

/** Polls until `done(value)`; fails with the last value seen. */
export async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * A model with a price in metering's price history from 2020 on, written straight to the
 * service's own table (events of any time are priced; the catalog path has its own spec).
 */
export async function pricedModel(input: string, output: string): Promise<string> {
  const model = `mt-${uniqueSuffix()}`;
  await queryDatabase(
    `INSERT INTO metering.model_price (model, effective_from, input_price_per_1k, output_price_per_1k, catalog_version) VALUES ($1, '2020-01-01T00:00:00Z', $2, $3, 0)`,
    [model, input, output],
  );
  return model;
}

/** A tenant with a key that may read its usage (and manage its keys), and one plain chat key. */
export async function tenantWithKeys(): Promise<{ tenantId: string; reader: { id: string; key: string }; worker: { id: string; key: string } }> {
  const tenant = await createTenant(`metering-it-${uniqueSuffix()}`);
  const reader = await createKey(tenant.id, { scopes: ['usage:read', 'keys:manage'] });
  const worker = await createKey(tenant.id, { scopes: ['chat'] });
  return { tenantId: tenant.id, reader: { id: reader.id, key: reader.key }, worker: { id: worker.id, key: worker.key } };
}

export async function usage(key: string, query: Record<string, string | number>) {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  return call('GET', `/v1/usage?${search}`, { key });
}

/** Waits until the tenant's usage over [start, end) counts `requests` requests. */
export async function waitForRequests(tenantId: string, requests: number, range: { start: number; end: number }, timeoutMs = 60_000) {
  return eventually(
    `${requests} requests in the usage of ${tenantId}`,
    async () => (await usage(adminKey(), { tenant_id: tenantId, start: range.start, end: range.end, group_by: 'model' })).body,
    (body) => body?.totals?.requests === requests,
    timeoutMs,
  );
}

/** Exact cost of events at given per-1K prices, in BigInt arithmetic (12 + 3 decimals), as a canonical decimal string. */
export function expectedCost(events: ReadonlyArray<{ promptTokens?: bigint | number; completionTokens?: bigint | number }>, input: string, output: string): string {
  const scale = 15;
  const toUnits = (price: string) => {
    const [int, frac = ''] = price.split('.');
    return BigInt(int!) * 10n ** 12n + BigInt((frac + '0'.repeat(12)).slice(0, 12));
  };
  const inUnits = toUnits(input);
  const outUnits = toUnits(output);
  // tokens × price(1e-12 units) × 0.001 → 1e-15 units.
  let total = 0n;
  for (const e of events) total += BigInt(e.promptTokens ?? 0) * inUnits + BigInt(e.completionTokens ?? 0) * outUnits;
  const text = total.toString().padStart(scale + 1, '0');
  const int = text.slice(0, text.length - scale);
  const frac = text.slice(text.length - scale).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

export interface TopicRecord {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Reads `topic` from the beginning (throwaway group) until `done(records)` or the timeout; returns what was read. */
export async function readTopicUntil(topic: string, done: (records: TopicRecord[]) => boolean, timeoutMs = 20_000): Promise<TopicRecord[]> {
  const connection = new KafkaConnection({ clientId: `metering-it-read-${uniqueSuffix()}`, brokers: testInfra.kafkaBrokers(), logLevel: 'error' });
  const consumer = connection.kafka.consumer({ groupId: `metering-it-read-${uniqueSuffix()}`, sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200 });
  const records: TopicRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          records.push({ key: message.key === null ? null : message.key.toString('utf8'), value: message.value, headers: decodeHeaders(message.headers) });
          if (done(records)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
    await connection.close();
  }
  return records;
}

/** Unix seconds. */
export const unix = (date: Date | string) => Math.floor(new Date(date).getTime() / 1000);
