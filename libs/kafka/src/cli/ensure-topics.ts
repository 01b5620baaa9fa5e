#!/usr/bin/env node
// Creates the platform's topics (and their dead-letter topics); run once the broker is up.
// Usage: KAFKA_BROKERS=host:9092[,host:9092] [KAFKA_REPLICATION_FACTOR=3] node libs/kafka/dist/cli/ensure-topics.js
import { ensureTopics, replicationFactorFromEnv, type EnsuredTopic } from '../admin';

const CONNECT_DEADLINE_MS = 60_000;
const RETRY_DELAY_MS = 2_000;

function formatLine(topic: EnsuredTopic): string {
  return `${topic.action} ${topic.name} partitions=${topic.partitions} cleanup.policy=${topic.cleanupPolicy}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** kafkajs errors (broker unreachable, not yet a controller, ...) are worth retrying; our own are not. */
function isConnectionError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith('KafkaJS');
}

async function main(): Promise<number> {
  const brokers = process.env.KAFKA_BROKERS?.trim();
  if (!brokers) {
    process.stderr.write('ensure-topics: KAFKA_BROKERS is not set (expected host:port[,host:port...])\n');
    return 1;
  }
  let replicationFactor: number;
  try {
    replicationFactor = replicationFactorFromEnv();
  } catch (error) {
    process.stderr.write(`ensure-topics: ${errorMessage(error)}\n`);
    return 1;
  }

  const deadline = Date.now() + CONNECT_DEADLINE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const topics = await ensureTopics(brokers, undefined, { replicationFactor });
      for (const topic of topics) process.stdout.write(`${formatLine(topic)}\n`);
      return 0;
    } catch (error) {
      if (!isConnectionError(error) || Date.now() + RETRY_DELAY_MS >= deadline) {
        process.stderr.write(`ensure-topics: failed after ${attempt} attempts against ${brokers}: ${errorMessage(error)}\n`);
        return 1;
      }
      process.stderr.write(`ensure-topics: broker not ready (${errorMessage(error)}), retrying\n`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`ensure-topics: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
