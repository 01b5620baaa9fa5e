/**
 * Kafka stopped for 30 seconds under steady chat traffic (issue 5): no request fails because of
 * it, and once Kafka is back every request's usage event arrives, each under one event id.
 * Runs alone, after every other suite (tools/test.mjs), because it stops the shared broker.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Topics, UsageRecordedBatchSchema } from '@vectorstack/contracts';
import { startFakeOpenAI, type FakeUpstream } from '@vectorstack/fake-upstream';
import { adminKey, baseUrl, call, createKey, createModel, createTenant, decodeOrSkip, REPO_ROOT, requireEnv, sleep, testInfra, uniqueSuffix } from '@vectorstack/testing';
import { Kafka, logLevel } from 'kafkajs';
import OpenAI from 'openai';

jest.setTimeout(300_000);

const OUTAGE_MS = 30_000;
const REQUEST_INTERVAL_MS = 100;

/**
 * Asynchronous on purpose: the fake upstream answers from this same process, so a synchronous
 * child process would freeze it and turn the requests in flight into upstream timeouts (504).
 */
async function vs(...args: string[]): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'deploy/local/vs.mjs'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`vs.mjs ${args.join(' ')} failed: ${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

function stopKafka(): void {
  const pid = Number(readFileSync(join(requireEnv('VECTORSTACK_STATE_DIR'), 'run', 'kafka.pid'), 'utf8').trim());
  process.kill(pid, 'SIGKILL'); // the broker is gone, no goodbye to its clients
}

describe('Kafka outage under steady traffic', () => {
  let upstream: FakeUpstream;
  const model = `chaos-${uniqueSuffix()}`;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ recordLimit: 0 });
    await createModel(model, upstream.baseUrl, {}, { timeout_ms: 5_000, max_retries: 1 });
  });

  afterAll(async () => {
    await call('DELETE', `/v1/admin/models/${model}`, { key: adminKey() });
    await upstream.close();
  });

  it('serves every request while Kafka is down, and delivers each usage event once it is back', async () => {
    const tenant = await createTenant();
    const key = await createKey(tenant.id, { tier: 'enterprise', scopes: ['chat'] });
    const client = new OpenAI({ baseURL: `${baseUrl()}/v1`, apiKey: key.key, maxRetries: 0 });
    await sleep(1_000); // the model reaches every router replica

    // Where the usage topic ends now: the check below reads from here, not from the beginning
    // (a long-lived platform's topic can hold millions of older events).
    const kafka = new Kafka({ clientId: `chaos-${uniqueSuffix()}`, brokers: testInfra.kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const startOffsets = (await admin.fetchTopicOffsets(Topics.usageRecorded.name)).map(({ partition, high }) => ({ partition, offset: high }));
    await admin.disconnect();

    const outcomes: Array<{ requestId: string; status: number; phase: string }> = [];
    let phase = 'before';
    let running = true;
    const traffic = (async () => {
      for (let i = 0; running; i++) {
        const tick = sleep(REQUEST_INTERVAL_MS);
        const streamed = i % 2 === 1;
        try {
          if (streamed) {
            const { data, response } = await client.chat.completions
              .create({ model, messages: [{ role: 'user', content: `streamed request ${i}` }], stream: true })
              .withResponse();
            for await (const chunk of data) void chunk;
            outcomes.push({ requestId: response.headers.get('x-request-id') ?? '', status: response.status, phase });
          } else {
            const { response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: `request ${i}` }] }).withResponse();
            outcomes.push({ requestId: response.headers.get('x-request-id') ?? '', status: response.status, phase });
          }
        } catch (error) {
          const { status, headers } = error as { status?: number; headers?: Headers };
          outcomes.push({ requestId: headers?.get('x-request-id') ?? '', status: status ?? -1, phase });
        }
        await tick;
      }
    })();

    await sleep(3_000);
    phase = 'outage';
    stopKafka();
    await sleep(OUTAGE_MS);
    phase = 'recovery';
    await vs('infra'); // starts the broker again (same data directory)
    await sleep(5_000);
    running = false;
    await traffic;

    const failed = outcomes.filter((outcome) => outcome.status !== 200);
    const during = outcomes.filter((outcome) => outcome.phase === 'outage').length;
    console.log(`${outcomes.length} requests (${during} while Kafka was down), ${failed.length} failed`);
    expect(during).toBeGreaterThan(100);
    expect(failed).toEqual([]);

    // Every request's usage event reaches the topic once Kafka is back (spooled ones included).
    const wanted = new Set(outcomes.map((outcome) => outcome.requestId));
    const eventIdsByRequest = new Map<string, Set<string>>();
    let records = 0;
    const groupId = `chaos-${uniqueSuffix()}`;
    const groupAdmin = kafka.admin();
    await groupAdmin.connect();
    await groupAdmin.setOffsets({ groupId, topic: Topics.usageRecorded.name, partitions: startOffsets });
    await groupAdmin.disconnect();
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.usageRecorded.name });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const batch = message.value && decodeOrSkip(UsageRecordedBatchSchema, message.value);
        for (const event of batch ? batch.events : []) {
          if (event.model !== model) continue;
          records += 1;
          const ids = eventIdsByRequest.get(event.requestId) ?? new Set<string>();
          ids.add(event.eventId);
          eventIdsByRequest.set(event.requestId, ids);
        }
      },
    });
    const deadline = Date.now() + 90_000;
    while ([...wanted].some((requestId) => !eventIdsByRequest.has(requestId)) && Date.now() < deadline) await sleep(500);
    await consumer.disconnect();

    const missing = [...wanted].filter((requestId) => !eventIdsByRequest.has(requestId));
    const multipleIds = [...eventIdsByRequest.values()].filter((ids) => ids.size > 1).length;
    console.log(`${eventIdsByRequest.size} requests metered from ${records} events (${records - eventIdsByRequest.size} redelivered copies share their event id)`);
    expect(missing).toEqual([]);
    expect(eventIdsByRequest.size).toBe(wanted.size);
    // At most one event id per request: a copy sent twice (late ack + spool) is the same event.
    expect(multipleIds).toBe(0);
  });
});
