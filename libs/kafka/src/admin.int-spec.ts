import { resolve } from 'node:path';
import { Topics } from '@vectorstack/contracts';
import { ConfigResourceTypes } from 'kafkajs';
import { FixtureProcess } from '@vectorstack/testing';
import { ensureTopics } from './admin';
import { KafkaConnection } from './kafka-connection';
import { kafkaBrokersForTests } from './testing/test-env';
import { newTestRunId, testTopic } from './topic-names';

const brokers = kafkaBrokersForTests();
jest.setTimeout(30_000);

describe('ensureTopics over the real broker', () => {
  let connection: KafkaConnection;
  beforeEach(() => {
    connection = new KafkaConnection({ clientId: 'ensure-topics-test', brokers });
  });
  afterEach(() => connection.close());

  async function liveConfig(topic: string, name: string): Promise<string | undefined> {
    const admin = await connection.getAdmin();
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }] });
    return resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue;
  }

  it('creates topics and their dead-letter topics once, with compaction where the spec asks for it', async () => {
    const runId = newTestRunId();
    const keys = testTopic(Topics.apiKeyState, runId);
    const usage = testTopic(Topics.usageRecorded, runId);

    const first = await ensureTopics(brokers, [keys, usage]);
    expect(first).toEqual([
      { name: keys.name, action: 'created', partitions: 3, cleanupPolicy: 'compact' },
      { name: `${keys.name}.dlq`, action: 'created', partitions: 3, cleanupPolicy: 'delete' },
      { name: usage.name, action: 'created', partitions: 6, cleanupPolicy: 'delete' },
      { name: `${usage.name}.dlq`, action: 'created', partitions: 6, cleanupPolicy: 'delete' },
    ]);
    const second = await ensureTopics(brokers, [keys, usage]);
    expect(second.map((topic) => topic.action)).toEqual(['exists', 'exists', 'exists', 'exists']);

    expect(await liveConfig(keys.name, 'cleanup.policy')).toBe('compact');
    expect(await liveConfig(keys.name, 'segment.ms')).toBe('3600000');
    expect(await liveConfig(usage.name, 'cleanup.policy')).toBe('delete');
    expect(await liveConfig(usage.name, 'retention.ms')).toBe(String(7 * 24 * 3600 * 1000));
    expect(await liveConfig(`${usage.name}.dlq`, 'retention.ms')).toBe(String(14 * 24 * 3600 * 1000));
  });

  it('corrects a wrong cleanup.policy on an existing topic and keeps other explicit settings', async () => {
    const runId = newTestRunId();
    const keys = testTopic(Topics.apiKeyState, runId);
    const admin = await connection.getAdmin();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: keys.name, numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'delete' }, { name: 'max.message.bytes', value: '2000000' }] }],
    });

    const result = await ensureTopics(brokers, [keys], { connection });
    expect(result[0]).toMatchObject({ name: keys.name, action: 'updated', cleanupPolicy: 'compact' });
    expect(result[0]!.changed?.['cleanup.policy']).toEqual({ from: 'delete', to: 'compact' });
    expect(await liveConfig(keys.name, 'cleanup.policy')).toBe('compact');
    expect(await liveConfig(keys.name, 'max.message.bytes')).toBe('2000000');
    expect((await ensureTopics(brokers, [keys], { connection }))[0]!.action).toBe('exists');
  });

  it('answers readiness pings, and reports an unreachable cluster as down within the timeout', async () => {
    expect(await connection.ping(2_000)).toMatchObject({ status: 'up', brokers: 1 });
    // No client-level retries, so no reconnect timer outlives the test.
    const nowhere = new KafkaConnection({ clientId: 'nowhere', brokers: '127.0.0.1:1', kafkaConfig: { retry: { retries: 0 } } });
    const started = Date.now();
    expect(await nowhere.ping(500)).toMatchObject({ status: 'down' });
    expect(Date.now() - started).toBeLessThan(1_500);
    await nowhere.close();
  });
});

describe('ensure-topics CLI', () => {
  const cli = resolve(__dirname, 'cli/ensure-topics.ts');

  it('fails with one line naming KAFKA_BROKERS when it is missing', async () => {
    const child = new FixtureProcess(cli, { KAFKA_BROKERS: '' });
    expect(await child.exited).toBe(1);
    expect(child.stderrText.trim()).toBe('ensure-topics: KAFKA_BROKERS is not set (expected host:port[,host:port...])');
  });

  it('prints one line per platform topic and exits 0', async () => {
    const child = new FixtureProcess(cli, { KAFKA_BROKERS: brokers });
    expect(await child.exited).toBe(0);
    const lines = child.stdoutText.trim().split('\n');
    expect(lines).toHaveLength(Object.keys(Topics).length * 2);
    expect(lines).toContainEqual(expect.stringMatching(/^(created|exists|updated) vectorstack\.auth\.api-key-state\.v1 partitions=3 cleanup\.policy=compact$/));
    expect(lines).toContainEqual(expect.stringMatching(/^(created|exists|updated) vectorstack\.usage\.recorded\.v2\.dlq partitions=6 cleanup\.policy=delete$/));
  });
});
