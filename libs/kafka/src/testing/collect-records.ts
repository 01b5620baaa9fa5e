import type { Kafka } from 'kafkajs';
import { decodeHeaders } from '../headers';

export interface CollectedRecord {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Reads `topic` from the beginning with a throwaway group until `count` records arrived (or
 * `timeoutMs` passed), then disconnects. For asserting on what landed in a topic.
 */
export async function collectRecords(kafka: Kafka, topic: string, count: number, timeoutMs = 15_000): Promise<CollectedRecord[]> {
  const records: CollectedRecord[] = [];
  const consumer = kafka.consumer({ groupId: `collect-${Date.now()}-${Math.random().toString(36).slice(2)}`, sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 10_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          records.push({
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value,
            headers: decodeHeaders(message.headers),
            partition,
            offset: message.offset,
          });
          if (records.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
