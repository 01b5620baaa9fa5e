import { resolve } from 'node:path';
import { FixtureProcess } from '@vectorstack/testing';
import { ensureTopics } from './admin';
import { SAMPLE_EVENT_TOPIC } from './testing/sample-topic';
import { kafkaBrokersForTests } from './testing/test-env';
import { newTestRunId, testTopic } from './topic-names';
import { parseTraceparent } from './trace-context';

const brokers = kafkaBrokersForTests();
// Jest 30 ignores a per-project testTimeout; each test here stays well below this.
jest.setTimeout(30_000);

const fixture = (name: string): string => resolve(__dirname, 'testing/fixtures', name);

describe('events across processes over the real broker', () => {
  const children: FixtureProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
  });

  it('delivers the event id and continues the producer trace in another process', async () => {
    const runId = newTestRunId();
    const topic = testTopic(SAMPLE_EVENT_TOPIC, runId);
    await ensureTopics(brokers, [topic]);
    const knownTraceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

    const consumer = new FixtureProcess(fixture('consume-usage.fixture.ts'), { KAFKA_BROKERS: brokers, TOPIC_NAME: topic.name, GROUP_ID: `xproc-${runId}` });
    const producer = new FixtureProcess(fixture('produce-usage.fixture.ts'), { KAFKA_BROKERS: brokers, TOPIC_NAME: topic.name, TRACEPARENT: knownTraceparent });
    children.push(consumer, producer);

    const sent = await producer.waitFor('sent');
    expect(await producer.exited).toBe(0);
    expect(sent.traceparent).toBe(knownTraceparent);

    const handled = await consumer.waitFor('handled');
    expect(await consumer.exited).toBe(0);

    expect(handled.eventId).toBe(sent.eventId);
    expect(handled.messageEventId).toBe(sent.eventId); // written into the payload too
    expect(handled.tenantId).toBe('tenant-1');
    expect(handled.traceparentHeader).toBe(knownTraceparent);
    // The consumer span is a child of the producer's span in the same trace.
    expect(handled.activeTraceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(handled.parentSpanId).toBe('b7ad6b7169203331');
    expect(handled.activeSpanId).not.toBe('b7ad6b7169203331');
    expect(parseTraceparent(`00-${String(handled.activeTraceId)}-${String(handled.activeSpanId)}-01`)).toBeDefined();
    expect(handled.spanName).toBe(`${topic.name} process`);
  });
});
