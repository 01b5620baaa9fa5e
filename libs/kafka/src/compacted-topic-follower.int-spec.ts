import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { Topics, type ModelCatalogEntry, type TopicSpec } from '@vectorstack/contracts';
import { ensureTopics } from './admin';
import { CompactedTopicFollower } from './compacted-topic-follower';
import { KafkaConsumerRunner } from './consumer';
import { KafkaConnection } from './kafka-connection';
import { KafkaProducer } from './producer';
import { kafkaBrokersForTests, waitUntil } from './testing/test-env';
import { newTestRunId, testTopic } from './topic-names';

const brokers = kafkaBrokersForTests();
jest.setTimeout(30_000);

describe('CompactedTopicFollower over the real broker', () => {
  let runId: string;
  let connection: KafkaConnection;
  let producer: KafkaProducer;
  let runner: KafkaConsumerRunner;
  let topic: TopicSpec<GenMessage<ModelCatalogEntry>>;
  const followers: CompactedTopicFollower<GenMessage<ModelCatalogEntry>>[] = [];

  beforeEach(async () => {
    runId = newTestRunId();
    connection = new KafkaConnection({ clientId: `follower-int-${runId}`, brokers });
    producer = new KafkaProducer(connection);
    runner = new KafkaConsumerRunner(connection, producer);
    topic = testTopic(Topics.modelCatalog, runId);
    await ensureTopics(brokers, [topic], { connection });
  });

  afterEach(async () => {
    await Promise.all(followers.splice(0).map((follower) => follower.stop()));
    await runner.stopAll();
    await producer.disconnect();
    await connection.close();
  });

  /** A follower keeping `state` (id → context window) as a replica's cache would. */
  function follow(state: Map<string, number>, logged: string[] = []): CompactedTopicFollower<GenMessage<ModelCatalogEntry>> {
    const follower = new CompactedTopicFollower({
      connection,
      runner,
      topic,
      groupIdPrefix: `vectorstack-test-${runId}`,
      label: 'test state',
      caughtUpFields: () => ({ entries: state.size }),
      onValue: (entry) => void state.set(entry.id, entry.contextWindow),
      onTombstone: (id) => void state.delete(id),
      logger: { debug: () => undefined, info: (_fields, message) => void logged.push(message ?? ''), warn: () => undefined, error: () => undefined },
    });
    followers.push(follower);
    return follower;
  }

  it('is caught up on an empty topic at once', async () => {
    const follower = follow(new Map());
    await follower.start();
    expect(follower.ready).toBe(true);
  });

  it('reads the topic from the beginning before it is caught up, applying values and tombstones, then follows it', async () => {
    await producer.sendBatch(topic, [
      { key: 'a', message: { id: 'a', contextWindow: 1 } },
      { key: 'b', message: { id: 'b', contextWindow: 2 } },
      { key: 'a', message: { id: 'a', contextWindow: 3 } },
      { key: 'b', message: null },
    ]);
    const state = new Map<string, number>();
    const logged: string[] = [];
    const follower = follow(state, logged);
    await follower.start();
    await follower.caughtUp;
    expect(follower.ready).toBe(true);
    expect([...state]).toEqual([['a', 3]]);
    expect(logged).toContain('test state caught up');

    await producer.send(topic, { key: 'c', message: { id: 'c', contextWindow: 4 } });
    await waitUntil('the new record to be followed', () => state.get('c') === 4);
  });

  it('gives every replica the whole topic (a consumer group of its own each)', async () => {
    await producer.sendBatch(
      topic,
      ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => ({ key: id, message: { id, contextWindow: i } })),
    );
    const states = [new Map<string, number>(), new Map<string, number>()];
    const replicas = states.map((state) => follow(state));
    await Promise.all(replicas.map((replica) => replica.start()));
    await Promise.all(replicas.map((replica) => replica.caughtUp));
    expect(states.map((state) => state.size)).toEqual([6, 6]);
  });

  it('syncToEnd: a record acknowledged a moment ago is applied when it resolves; a stopped follower times out', async () => {
    const state = new Map<string, number>();
    const follower = follow(state);
    await follower.start();
    await follower.caughtUp;
    expect(await follower.syncToEnd(1_000)).toBe(true); // nothing new: at once

    await producer.sendBatch(
      topic,
      ['x', 'y', 'z'].map((id, i) => ({ key: id, message: { id, contextWindow: 10 + i } })),
    );
    // The consumer joins its group after start() returns; under a loaded CI machine that alone
    // can take seconds, so the bound here is generous: this checks what syncToEnd waits for.
    expect(await follower.syncToEnd(20_000)).toBe(true);
    expect(['x', 'y', 'z'].map((id) => state.get(id))).toEqual([10, 11, 12]);

    await follower.stop();
    await producer.send(topic, { key: 'late', message: { id: 'late', contextWindow: 1 } });
    const started = Date.now();
    expect(await follower.syncToEnd(300)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(state.has('late')).toBe(false);
  });
});
