/**
 * A metering process killed with SIGKILL in the middle of ingesting, then started again, ends
 * with every event counted exactly once: the batch transaction commits the raw events and the
 * rollups together, offsets are committed after it, and the events redelivered after the crash
 * are skipped by event id. Runs a separate metering process on a per-run copy of the usage topic
 * (the platform's own process keeps serving), against the platform's Postgres and Kafka.
 */
import { randomUUID } from 'node:crypto';
import { Topics } from '@vectorstack/contracts';
import { ensureTopics, KafkaConnection, newTestRunId, testTopic } from '@vectorstack/kafka';
import { startServiceProcess, type ServiceProcess } from '@vectorstack/testing';
import { formatNumeric } from '../common/decimal';
import { eventually, expectedCost, pricedModel, queryDatabase, testInfra, usageEvent, UsageProducer, type UsageInit } from '../testing/metering-api';

const EVENTS = 40_000;
const TENANTS = 12;

interface Totals {
  events: number;
  requests: string;
  prompt_tokens: string;
  completion_tokens: string;
  total_tokens: string;
  cost: string;
}

async function ledgerTotals(tenants: string[]): Promise<Record<'raw' | 'minute' | 'hour' | 'day' | 'model_hour' | 'model_day', Totals>> {
  const rollup = (table: string) =>
    queryDatabase<Record<string, string>>(
      `SELECT coalesce(sum(requests), 0)::text AS requests, coalesce(sum(prompt_tokens), 0)::text AS prompt_tokens, coalesce(sum(completion_tokens), 0)::text AS completion_tokens,
              coalesce(sum(total_tokens), 0)::text AS total_tokens, coalesce(sum(cost), 0)::text AS cost
       FROM metering.${table} WHERE tenant_id = ANY($1)`,
      [tenants],
    );
  const [[raw], [minute], [hour], [day], [modelHour], [modelDay]] = await Promise.all([
    queryDatabase<Record<string, string>>(
      `SELECT count(*)::text AS requests, coalesce(sum(prompt_tokens), 0)::text AS prompt_tokens, coalesce(sum(completion_tokens), 0)::text AS completion_tokens,
              coalesce(sum(total_tokens), 0)::text AS total_tokens, coalesce(sum(cost), 0)::text AS cost
       FROM metering.usage_event WHERE tenant_id = ANY($1)`,
      [tenants],
    ),
    rollup('usage_minute'),
    rollup('usage_hour'),
    rollup('usage_day'),
    rollup('usage_model_hour'),
    rollup('usage_model_day'),
  ]);
  const totals = (row: Record<string, string> | undefined): Totals => ({ events: Number(row!.requests), ...(row as unknown as Omit<Totals, 'events'>) });
  return { raw: totals(raw), minute: totals(minute), hour: totals(hour), day: totals(day), model_hour: totals(modelHour), model_day: totals(modelDay) };
}

describe('crash in the middle of ingestion', () => {
  const runId = newTestRunId();
  const topic = testTopic(Topics.usageRecorded, `metering-crash-${runId}`);
  const group = `metering-crash-${runId}`;
  const env = { METERING_USAGE_TOPIC: topic.name, METERING_CONSUMER_GROUP: group, METERING_INGEST_BATCH_SIZE: '500', METERING_INGEST_CONCURRENCY: '2' };
  const producer = UsageProducer.create();
  let replica: ServiceProcess | undefined;

  beforeAll(async () => {
    await ensureTopics(testInfra.kafkaBrokers(), [topic]);
  });

  afterAll(async () => {
    await replica?.stop();
    await producer.close();
    const connection = new KafkaConnection({ clientId: `metering-crash-cleanup-${runId}`, brokers: testInfra.kafkaBrokers(), logLevel: 'error' });
    await (await connection.getAdmin()).deleteTopics({ topics: [topic.name, `${topic.name}.dlq`] }).catch(() => undefined);
    await connection.close();
  });

  it('counts every event exactly once after a kill -9 and a restart', async () => {
    const tenants = Array.from({ length: TENANTS }, () => randomUUID());
    const model = await pricedModel('0.0005', '0.0015');
    const now = Date.now();
    const events: UsageInit[] = Array.from({ length: EVENTS }, (_, i) => {
      const prompt = BigInt(1 + ((i * 7919) % 3000));
      const completion = BigInt((i * 104_729) % 1500);
      return usageEvent({
        tenantId: tenants[i % TENANTS],
        keyId: `key-${i % 37}`,
        model,
        promptTokens: prompt,
        completionTokens: completion,
        totalTokens: prompt + completion,
        httpStatus: i % 50 === 0 ? 502 : 200,
        at: new Date(now - (i % 7_200) * 1_000),
      });
    });
    await producer.publish(events, topic);

    replica = await startServiceProcess('metering', env);
    const ingestedSoFar = async () => Number((await queryDatabase<{ n: string }>('SELECT count(*) AS n FROM metering.usage_event WHERE tenant_id = ANY($1)', [tenants]))[0]!.n);
    await eventually('the replica to be ingesting', ingestedSoFar, (n) => n > 0, 60_000);
    process.kill(replica.pid, 'SIGKILL');
    await eventually('the replica to be gone', async () => isAlive(replica!.pid), (alive) => !alive, 10_000);
    const atCrash = await ingestedSoFar();
    expect(atCrash).toBeLessThan(EVENTS); // killed before it was done
    // Nothing moves while no process ingests the run's topic.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await ingestedSoFar()).toBe(atCrash);

    // A new process in the same group: the group coordinator hands it the partitions once the
    // dead member's session expires, and it resumes from the last committed offsets.
    replica = await startServiceProcess('metering', env);
    await eventually('every event ingested', ingestedSoFar, (n) => n >= EVENTS, 120_000);

    const expected: Totals = {
      events: EVENTS,
      requests: String(EVENTS),
      prompt_tokens: String(events.reduce((s, e) => s + BigInt(e.promptTokens!), 0n)),
      completion_tokens: String(events.reduce((s, e) => s + BigInt(e.completionTokens!), 0n)),
      total_tokens: String(events.reduce((s, e) => s + BigInt(e.totalTokens!), 0n)),
      cost: expectedCost(events, '0.0005', '0.0015'),
    };
    // Let any redelivered tail drain, then compare every table with the published numbers.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const totals = await ledgerTotals(tenants);
    const canonical = (t: Totals) => ({ ...t, cost: formatNumeric(t.cost) });
    for (const table of ['raw', 'minute', 'hour', 'day', 'model_hour', 'model_day'] as const) expect({ table, ...canonical(totals[table]) }).toEqual({ table, ...expected });
    const [spend] = await queryDatabase<{ cost: string }>('SELECT sum(cost)::text AS cost FROM metering.spend_month WHERE tenant_id = ANY($1)', [tenants]);
    expect(formatNumeric(spend!.cost)).toBe(expected.cost);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
