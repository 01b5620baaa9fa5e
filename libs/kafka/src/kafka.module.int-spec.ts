import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ensureTopics } from './admin';
import { SAMPLE_EVENT_TOPIC } from './testing/sample-topic';
import { KafkaConsumerRunner } from './consumer';
import { KafkaHealthIndicator, KafkaModule } from './kafka.module';
import { KafkaProducer } from './producer';
import { kafkaBrokersForTests, waitUntil } from './testing/test-env';
import { newTestRunId, testTopic } from './topic-names';

const brokers = kafkaBrokersForTests();
jest.setTimeout(30_000);

describe('KafkaModule', () => {
  it('wires producer, consumer runner and health into a Nest app and stops them on shutdown', async () => {
    const runId = newTestRunId();
    const topic = { ...testTopic(SAMPLE_EVENT_TOPIC, runId), partitions: 1 };
    await ensureTopics(brokers, [topic]);

    @Module({ imports: [KafkaModule.forRootAsync({ useFactory: () => ({ clientId: `nest-${runId}`, brokers }) })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });

    expect(await app.get(KafkaHealthIndicator).ping(2_000)).toMatchObject({ status: 'up' });
    const seen: string[] = [];
    await app.get(KafkaConsumerRunner).runConsumer({
      groupId: `nest-${runId}`,
      topicSpec: topic,
      fromBeginning: true,
      handleEach: async (record) => void seen.push(record.eventId!),
    });
    const sent = await app.get(KafkaProducer).send(topic, { key: 'tenant-1', message: { tenantId: 'tenant-1' } });
    await waitUntil('the event to be consumed', () => seen.length === 1);
    expect(seen).toEqual([sent.eventId]);

    await app.close(); // onApplicationShutdown: consumers, producer, admin — Jest would report leaks otherwise
  });
});
