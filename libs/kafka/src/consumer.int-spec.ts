import { resolve } from 'node:path';
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { deadLetterTopicName, Topics, type TopicSpec, type UsageRecorded, type UsageRecordedSchema } from '@vectorstack/contracts';
import { Partitioners } from 'kafkajs';
import { FixtureProcess } from '@vectorstack/testing';
import { ensureTopics } from './admin';
import { SAMPLE_EVENT_TOPIC } from './testing/sample-topic';
import { KafkaConsumerRunner, type ConsumedRecord, type RunConsumerOptions, type RunningConsumer } from './consumer';
import { KafkaHeaders } from './headers';
import { KafkaConnection } from './kafka-connection';
import { KafkaProducer } from './producer';
import { collectRecords } from './testing/collect-records';
import { kafkaBrokersForTests, waitUntil } from './testing/test-env';
import { newTestRunId, testTopic } from './topic-names';

const brokers = kafkaBrokersForTests();
// Jest 30 ignores a per-project testTimeout; each test here stays well below this.
jest.setTimeout(30_000);
const FAST_GROUP = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000 } as const;
const FAST_BACKOFF = { baseMs: 20, maxMs: 100 } as const;
// An 11-byte varint tag: no protobuf message can start like this.
const GARBAGE = Buffer.alloc(11, 0xff);

describe('KafkaConsumerRunner over the real broker', () => {
  let runId: string;
  let connection: KafkaConnection;
  let producer: KafkaProducer;
  let runner: KafkaConsumerRunner;
  const children: FixtureProcess[] = [];

  beforeEach(() => {
    runId = newTestRunId();
    connection = new KafkaConnection({ clientId: `kafka-int-${runId}`, brokers });
    producer = new KafkaProducer(connection);
    runner = new KafkaConsumerRunner(connection, producer);
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
    await runner.stopAll();
    await producer.disconnect();
    await connection.close();
  });

  /** A fresh single-partition copy of `spec`, so ordering across records is total. */
  async function freshTopic<S extends DescMessage>(spec: TopicSpec<S>): Promise<TopicSpec<S>> {
    const topic = { ...testTopic(spec, runId), partitions: 1 };
    await ensureTopics(brokers, [topic], { connection });
    return topic;
  }

  function run<S extends DescMessage>(options: RunConsumerOptions<S>): Promise<RunningConsumer> {
    return runner.runConsumer({ ...FAST_GROUP, fromBeginning: true, backoff: FAST_BACKOFF, ...options });
  }

  async function highWatermark(topic: string): Promise<number> {
    const admin = await connection.getAdmin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  }

  async function committedOffset(groupId: string, topic: string): Promise<string | undefined> {
    const admin = await connection.getAdmin();
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return entry?.partitions[0]?.offset;
  }

  const usage = (tenantId: string): { key: string; message: MessageInitShape<typeof UsageRecordedSchema> } => ({ key: tenantId, message: { tenantId, model: 'm' } });

  it('sends undecodable records to the dead-letter topic and keeps consuming', async () => {
    const topic = await freshTopic(SAMPLE_EVENT_TOPIC);
    const raw = connection.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await raw.connect();
    await raw.send({ topic: topic.name, messages: [{ key: 'tenant-1', value: GARBAGE, headers: { 'event-id': 'garbage-1' } }] });
    await raw.send({
      topic: topic.name,
      messages: [{ key: 'tenant-1', value: Buffer.from(toBinary(topic.schema, create(topic.schema, { tenantId: 'json?' }))), headers: { 'content-type': 'application/json' } }],
    });
    await raw.disconnect();
    const sent = await producer.send(topic, usage('tenant-1'));

    const handled: ConsumedRecord<UsageRecorded>[] = [];
    const groupId = `poison-${runId}`;
    await run({ groupId, topicSpec: topic, handleEach: async (record) => void handled.push(record) });

    await waitUntil('the valid record to be handled', () => handled.length > 0);
    expect(handled.map((r) => r.eventId)).toEqual([sent.eventId]);
    expect(handled[0]!.message?.tenantId).toBe('tenant-1');

    const dead = await collectRecords(connection.kafka, deadLetterTopicName(topic.name), 2);
    expect(dead).toHaveLength(2);
    const [garbage, wrongType] = dead;
    expect(garbage!.value).toEqual(GARBAGE);
    expect(garbage!.key).toBe('tenant-1');
    expect(garbage!.headers).toMatchObject({
      'event-id': 'garbage-1',
      [KafkaHeaders.dlqReason]: 'decode-failed',
      [KafkaHeaders.dlqSourceTopic]: topic.name,
      [KafkaHeaders.dlqSourcePartition]: '0',
      [KafkaHeaders.dlqSourceOffset]: '0',
      [KafkaHeaders.dlqConsumerGroup]: groupId,
    });
    expect(garbage!.headers[KafkaHeaders.dlqError]).toBeTruthy();
    expect(garbage!.headers[KafkaHeaders.dlqError]).not.toContain('    at ');
    expect(wrongType!.headers).toMatchObject({ [KafkaHeaders.dlqReason]: 'wrong-content-type', [KafkaHeaders.dlqSourceOffset]: '1' });

    await waitUntil('offsets past all three records to be committed', async () => (await committedOffset(groupId, topic.name)) === '3');
  });

  it('dead-letters a record whose handler keeps failing, after the configured attempts, and moves on', async () => {
    const topic = await freshTopic(SAMPLE_EVENT_TOPIC);
    const bad = await producer.send(topic, usage('bad-tenant'));
    const good = await producer.send(topic, usage('good-tenant'));

    const attempts = new Map<string, number>();
    const handled: string[] = [];
    const groupId = `always-fails-${runId}`;
    await run({
      groupId,
      topicSpec: topic,
      maxAttempts: 3,
      handleEach: async (record) => {
        attempts.set(record.eventId!, (attempts.get(record.eventId!) ?? 0) + 1);
        if (record.message?.tenantId === 'bad-tenant') throw new Error('ledger rejected the record');
        handled.push(record.eventId!);
      },
    });

    await waitUntil('the record after the failing one to be handled', () => handled.length > 0);
    expect(handled).toEqual([good.eventId]);
    expect(attempts.get(bad.eventId)).toBe(3);

    const [dead] = await collectRecords(connection.kafka, deadLetterTopicName(topic.name), 1);
    expect(dead!.headers).toMatchObject({
      'event-id': bad.eventId,
      traceparent: bad.traceparent,
      [KafkaHeaders.dlqReason]: 'handler-failed',
      [KafkaHeaders.dlqError]: 'Error: ledger rejected the record',
      [KafkaHeaders.dlqConsumerGroup]: groupId,
    });
    expect(fromBinary(topic.schema, dead!.value!).eventId).toBe(bad.eventId);
    await waitUntil('both records to be committed', async () => (await committedOffset(groupId, topic.name)) === '2');
  });

  it('retries a handler that fails twice, handles the record once and dead-letters nothing', async () => {
    const topic = await freshTopic(SAMPLE_EVENT_TOPIC);
    const sent = await producer.send(topic, usage('tenant-1'));

    let calls = 0;
    const handled: string[] = [];
    const groupId = `flaky-${runId}`;
    await run({
      groupId,
      topicSpec: topic,
      handler: async (records) => {
        calls += 1;
        if (calls <= 2) throw new Error(`transient failure ${calls}`);
        handled.push(...records.map((r) => r.eventId!));
      },
    });

    await waitUntil('the record to be committed', async () => (await committedOffset(groupId, topic.name)) === '1');
    expect(calls).toBe(3);
    expect(handled).toEqual([sent.eventId]);
    expect(await highWatermark(deadLetterTopicName(topic.name))).toBe(0);
  });

  it('skips the records its skip predicate names by their headers: not decoded, not handled, committed', async () => {
    const topic = await freshTopic(SAMPLE_EVENT_TOPIC);
    await producer.send(topic, usage('tenant-1'));
    const marked = await producer.send(topic, { ...usage('tenant-2'), headers: { 'nothing-to-do': '1' } });
    // Undecodable, but skipped before decoding: no dead letter.
    const raw = connection.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await raw.connect();
    await raw.send({ topic: topic.name, messages: [{ key: 'tenant-3', value: GARBAGE, headers: { 'nothing-to-do': '1' } }] });
    await raw.disconnect();
    await producer.send(topic, usage('tenant-4'));

    const handled: string[] = [];
    const skipped: string[] = [];
    const groupId = `skip-${runId}`;
    await run({
      groupId,
      topicSpec: topic,
      skip: (headers) => {
        if (headers['nothing-to-do'] !== '1') return false;
        skipped.push(headers[KafkaHeaders.eventId] ?? 'no id');
        return true;
      },
      handler: async (records) => void handled.push(...records.map((r) => r.message!.tenantId)),
    });

    await waitUntil('offsets past all four records to be committed', async () => (await committedOffset(groupId, topic.name)) === '4');
    expect(handled).toEqual(['tenant-1', 'tenant-4']);
    expect(skipped).toEqual([marked.eventId, 'no id']);
    expect(await highWatermark(deadLetterTopicName(topic.name))).toBe(0);
  });

  it('isolates the failing record of a failing batch so the others are still handled', async () => {
    const topic = await freshTopic(SAMPLE_EVENT_TOPIC);
    const sent = await producer.sendBatch(topic, [usage('a'), usage('poison'), usage('c')]);

    const handled: string[] = [];
    const groupId = `batch-${runId}`;
    await run({
      groupId,
      topicSpec: topic,
      maxAttempts: 2,
      handler: async (records) => {
        if (records.some((r) => r.message?.tenantId === 'poison')) throw new Error('batch contains poison');
        handled.push(...records.map((r) => r.message!.tenantId));
      },
    });

    await waitUntil('all three records to be committed', async () => (await committedOffset(groupId, topic.name)) === '3');
    expect(handled).toEqual(['a', 'c']);
    const [dead] = await collectRecords(connection.kafka, deadLetterTopicName(topic.name), 1);
    expect(dead!.headers['event-id']).toBe(sent[1]!.eventId);
  });

  it('delivers tombstones on a compacted topic to the handler as message null', async () => {
    const topic = await freshTopic(Topics.apiKeyState);
    await producer.send(topic, { key: 'key-1', message: { displayPrefix: 'vs-key1' } });
    await producer.send(topic, { key: 'key-1', message: null });

    const seen: ConsumedRecord<unknown>[] = [];
    await run({ groupId: `tombstone-${runId}`, topicSpec: topic, handleEach: async (record) => void seen.push(record) });

    await waitUntil('both records to be handled', () => seen.length === 2);
    expect(seen[0]!.message).not.toBeNull();
    expect(seen[1]).toMatchObject({ key: 'key-1', message: null });
    expect(seen[1]!.eventId).toBeTruthy();
    expect(await highWatermark(deadLetterTopicName(topic.name))).toBe(0);
  });

  it('redelivers a record to the group when the consumer died before its handler finished', async () => {
    const topic = await freshTopic(SAMPLE_EVENT_TOPIC);
    const sent = await producer.send(topic, usage('tenant-1'));
    const groupId = `crash-${runId}`;

    const doomed = new FixtureProcess(resolve(__dirname, 'testing/fixtures/consume-usage.fixture.ts'), {
      KAFKA_BROKERS: brokers,
      TOPIC_NAME: topic.name,
      GROUP_ID: groupId,
      MODE: 'hang',
    });
    children.push(doomed);
    const first = await doomed.waitFor('handled');
    expect(first.eventId).toBe(sent.eventId);
    await doomed.kill('SIGKILL');
    expect(await committedOffset(groupId, topic.name)).toBe('-1');

    const redelivered: string[] = [];
    await run({ groupId, topicSpec: topic, handleEach: async (record) => void redelivered.push(record.eventId!) });
    await waitUntil('the record to be redelivered to the surviving consumer', () => redelivered.length > 0, 25_000);
    expect(redelivered).toEqual([sent.eventId]);
    await waitUntil('the record to be committed', async () => (await committedOffset(groupId, topic.name)) === '1');
  });
});
