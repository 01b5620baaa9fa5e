import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Topics, UsageHeaders, UsageRecordedBatchSchema, UsageRecordedSchema, UsageSource } from '@vectorstack/contracts';
import { ensureTopics, KafkaConnection, KafkaProducer, newTestRunId, testTopic } from '@vectorstack/kafka';
import { createLogger } from '@vectorstack/observability';
import { createTestSchema, testInfra } from '@vectorstack/testing';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { UsagePublisher } from './usage-publisher';
import { PostgresUsageSpool, usageSpoolTableSql } from './usage-spool';

jest.setTimeout(60_000);
const logger = createLogger('usage-it', 'silent');

describe('UsagePublisher on real Kafka and Postgres', () => {
  const runId = newTestRunId();
  const topic = { ...testTopic(Topics.usageRecorded, runId), partitions: 2 };
  const brokers = testInfra.kafkaBrokers();
  let connection: KafkaConnection;
  let producer: KafkaProducer;
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let spool: PostgresUsageSpool;
  const received = new Map<string, number>();
  /** Per record: its key, the tenants and request ids of its events, its events' encoded bytes, and its rate-limit-settled header. */
  const records: Array<{ key: string | undefined; tenants: string[]; requests: string[]; eventBytes: number; settledHeader: string | undefined }> = [];
  let stopConsumer: () => Promise<void>;

  beforeAll(async () => {
    connection = new KafkaConnection({ clientId: `usage-it-${runId}`, brokers });
    producer = new KafkaProducer(connection);
    await ensureTopics(brokers, [topic], { connection });
    const schema = await createTestSchema('usage');
    drop = schema.drop;
    dataSource = new DataSource({ type: 'postgres', url: testInfra.databaseUrl() });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA ${schema.schema}`);
    for (const sql of usageSpoolTableSql(schema.schema)) await dataSource.query(sql);
    spool = new PostgresUsageSpool(dataSource, schema.schema);

    const kafka = new Kafka({ clientId: `usage-it-consumer-${runId}`, brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `usage-it-${runId}` });
    await consumer.connect();
    await consumer.subscribe({ topic: topic.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const batch = fromBinary(UsageRecordedBatchSchema, message.value as Buffer);
        records.push({
          key: message.key?.toString(),
          tenants: batch.events.map((event) => event.tenantId),
          requests: batch.events.map((event) => event.requestId),
          eventBytes: batch.events.reduce((sum, event) => sum + toBinary(UsageRecordedSchema, event).byteLength, 0),
          settledHeader: message.headers?.[UsageHeaders.rateLimitSettled]?.toString(),
        });
        for (const event of batch.events) received.set(event.eventId, (received.get(event.eventId) ?? 0) + 1);
      },
    });
    stopConsumer = () => consumer.disconnect();
  });

  afterAll(async () => {
    await stopConsumer();
    await producer.disconnect();
    await connection.close();
    await dataSource.destroy();
    await drop();
  });

  async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const usage = (i: number) => ({
    requestId: `req-${runId}-${i}`,
    source: UsageSource.ROUTER,
    tenantId: `tenant-${i % 3}`,
    keyId: 'key-1',
    model: 'm',
    promptTokens: 10n,
    completionTokens: BigInt(i),
    totalTokens: BigInt(10 + i),
  });

  it('delivers every recorded event to the topic exactly once, without the caller waiting', async () => {
    const publisher = new UsagePublisher(producer, spool, logger, { topic });
    publisher.start();
    // record() is synchronous: it returns the event (with its id) before anything is sent.
    const ids = Array.from({ length: 1_200 }, (_, i) => publisher.record(usage(i)));
    expect(received.size).toBe(0);
    await until('all events', () => ids.every((id) => received.has(id)));
    await publisher.stop();
    expect(ids.map((id) => received.get(id))).toEqual(ids.map(() => 1));
    expect(await spool.depth()).toBe(0);
    // Batches, not a record per event: each record holds one tenant's events and is keyed by it.
    expect(records.length).toBeLessThan(ids.length / 10);
    for (const record of records) expect(new Set(record.tenants)).toEqual(new Set([record.key]));
  });

  it('under steady traffic, sends what waits when its linger ends, not a small batch after every acknowledgement', async () => {
    // The real producer, with the round trip of a loaded broker (20 ms) before each request.
    const loaded = Object.assign(Object.create(producer) as KafkaProducer, {
      sendEncoded: async (...args: Parameters<KafkaProducer['sendEncoded']>) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return producer.sendEncoded(...args);
      },
    });
    const publisher = new UsagePublisher(loaded, spool, logger, { topic, lingerMs: 100 });
    publisher.start();
    const prefix = `steady-${runId}`;
    const ids: string[] = [];
    // ~1.5 s of traffic, 2 events every 2 ms, from one tenant (one record per Kafka request).
    const end = Date.now() + 1_500;
    for (let tick = 0; Date.now() < end; tick++) {
      for (let i = 0; i < 2; i++) ids.push(publisher.record({ ...usage(i), requestId: `${prefix}-${tick}-${i}`, tenantId: 'steady' }));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await until('every steady event', () => ids.every((id) => received.has(id)));
    await publisher.stop();
    const sent = records.filter((record) => record.requests.some((id) => id.startsWith(prefix)));
    expect(sent.flatMap((record) => record.requests)).toHaveLength(ids.length);
    // About one request per linger and round trip (~120 ms): a dozen or so. Draining until empty
    // sent whatever came during each round trip at once: one request per ~20 ms, over 60.
    expect(sent.length).toBeLessThanOrEqual(25);
  });

  it('marks a record whose events were all settled by their publisher, and only such a record', async () => {
    const publisher = new UsagePublisher(producer, spool, logger, { topic });
    const settled = Array.from({ length: 5 }, (_, i) => publisher.record({ ...usage(i), tenantId: `settled-${runId}`, requestId: `settled-${runId}-${i}`, rateLimitSettled: true }));
    const mixed = [
      publisher.record({ ...usage(0), tenantId: `mixed-${runId}`, requestId: `mixed-${runId}-0`, rateLimitSettled: true }),
      publisher.record({ ...usage(1), tenantId: `mixed-${runId}`, requestId: `mixed-${runId}-1`, rateLimitSettled: false }),
    ];
    await until('both tenants\' events', () => [...settled, ...mixed].every((id) => received.has(id)));
    await publisher.stop();
    const of = (tenant: string) => records.filter((record) => record.key === tenant);
    expect(of(`settled-${runId}`).map((record) => record.settledHeader)).toEqual(['5']);
    expect(of(`mixed-${runId}`).map((record) => record.settledHeader)).toEqual([undefined]);
  });

  it('keeps every Kafka request within maxBatchBytes, sent directly or from the spool', async () => {
    const prefix = `big-${runId}`;
    // ~1.1 KB per event (a long request id): 4 fit under 5,000 bytes.
    const big = (i: number) => ({ ...usage(i), tenantId: prefix, requestId: `${prefix}-${i}-${'x'.repeat(1_000)}` });
    const publisher = new UsagePublisher(producer, spool, logger, { topic, maxBatchBytes: 5_000, lingerMs: 50 });
    const direct = Array.from({ length: 10 }, (_, i) => publisher.record(big(i)));
    await until('the direct events', () => direct.every((id) => received.has(id)));
    await publisher.stop();

    // Rows spooled by several batches are drained together, then split again.
    const deadConnection = new KafkaConnection({ clientId: `usage-dead-big-${runId}`, brokers: ['127.0.0.1:1'], kafkaConfig: { connectionTimeout: 200, retry: { retries: 0 } } });
    const cut = new UsagePublisher(new KafkaProducer(deadConnection), spool, logger, { topic, maxBatchBytes: 5_000, lingerMs: 10, sendTimeoutMs: 300 });
    const spooled = Array.from({ length: 10 }, (_, i) => cut.record(big(100 + i)));
    await until('the spooled events', async () => (await spool.depth()) === 10);
    await cut.stop();
    await deadConnection.close().catch(() => undefined);
    const healed = new UsagePublisher(producer, spool, logger, { topic, maxBatchBytes: 5_000, drainIntervalMs: 100 });
    healed.start();
    await until('the drained events', () => spooled.every((id) => received.has(id)));
    await healed.stop();

    const sent = records.filter((record) => record.key === prefix);
    expect(sent.flatMap((record) => record.requests)).toHaveLength(20);
    expect(sent.length).toBeGreaterThanOrEqual(6); // 20 events, at most 4 per request
    for (const record of sent) expect(record.eventBytes).toBeLessThanOrEqual(5_000);
    expect([...direct, ...spooled].map((id) => received.get(id))).toEqual(Array(20).fill(1));
  });

  it('spools what Kafka does not take and delivers it once Kafka answers again', async () => {
    const deadConnection = new KafkaConnection({ clientId: `usage-dead-${runId}`, brokers: ['127.0.0.1:1'], kafkaConfig: { connectionTimeout: 200, retry: { retries: 0 } } });
    const deadProducer = new KafkaProducer(deadConnection);
    const cut = new UsagePublisher(deadProducer, spool, logger, { topic, sendTimeoutMs: 500 });
    const ids = Array.from({ length: 50 }, (_, i) => cut.record(usage(10_000 + i)));
    await until('the batch in the spool', async () => (await spool.depth()) === 50);
    await cut.stop();
    await deadConnection.close().catch(() => undefined);
    expect(ids.some((id) => received.has(id))).toBe(false);

    // Kafka "returns": a publisher with a working producer drains the spool.
    const healed = new UsagePublisher(producer, spool, logger, { topic, drainIntervalMs: 100 });
    healed.start();
    await until('spooled events on the topic', () => ids.every((id) => received.has(id)));
    await healed.stop();
    expect(await spool.depth()).toBe(0);
    expect(ids.map((id) => received.get(id))).toEqual(ids.map(() => 1));
  });
});
