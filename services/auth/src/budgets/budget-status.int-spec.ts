/**
 * The auth service applying budget states from the compacted budget topic (records published
 * here as the metering service would): a hard block makes Verify answer BUDGET_EXCEEDED with
 * the principal, older versions are ignored, a block whose month has ended blocks nothing, and
 * a malformed record does not stop the records behind it.
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AuthService, BudgetScope, BudgetState, BudgetStatusSchema, Topics, VerifyOutcome } from '@vectorstack/contracts';
import { createGrpcClient, type GrpcClient } from '@vectorstack/grpc';
import { KafkaConnection, KafkaProducer, uuidv7 } from '@vectorstack/kafka';
import { requireEnv, testInfra, uniqueSuffix } from '@vectorstack/testing';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { createKey, createTenant } from '../testing/auth-api';
import { BUDGET_STATUS_GROUP } from './budget-status.consumer';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The group pauses while it rebalances: another auth process joining or leaving it (the platform
// e2e's SIGTERM test starts one while this runs) can stop consumption for several seconds.
const CONSUMED_WITHIN_MS = 30_000;

describe('budget states applied to keys', () => {
  let client: GrpcClient<(typeof AuthService)['method']>;
  let connection: KafkaConnection;
  let producer: KafkaProducer;

  beforeAll(() => {
    client = createGrpcClient(AuthService, requireEnv('AUTH_GRPC_URL'), { deadlineMs: 5_000 });
    connection = new KafkaConnection({ clientId: `auth-budget-it-${uniqueSuffix()}`, brokers: testInfra.kafkaBrokers(), logLevel: 'error' });
    producer = new KafkaProducer(connection);
  });

  afterAll(async () => {
    client.close();
    await producer.disconnect();
    await connection.close();
  });

  const nextMonth = () => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  };
  const thisMonth = () => new Date().toISOString().slice(0, 7);

  async function publish(records: Array<MessageInitShape<typeof BudgetStatusSchema>>): Promise<void> {
    await producer.sendBatch(
      Topics.budgetStatus,
      records.map((record) => ({
        key: `${record.scope === BudgetScope.TENANT ? 'tenant' : 'key'}:${record.subjectId ?? ''}`,
        message: create(BudgetStatusSchema, { eventId: uuidv7(), month: thisMonth(), spentUsd: '1', hardLimitUsd: '1', changedAt: timestampFromDate(new Date()), ...record }),
      })),
    );
  }

  /** Waits until the auth service's consumer group has committed everything on the topic now. */
  async function consumedAll(): Promise<void> {
    const admin = await connection.getAdmin();
    const ends = await admin.fetchTopicOffsets(Topics.budgetStatus.name);
    for (const deadline = Date.now() + CONSUMED_WITHIN_MS; Date.now() < deadline; await sleep(50)) {
      const [committed] = await admin.fetchOffsets({ groupId: BUDGET_STATUS_GROUP, topics: [Topics.budgetStatus.name] });
      const at = new Map((committed?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]));
      // A partition that has never held a record (a fresh broker) has nothing to commit.
      if (ends.every(({ partition, high, low }) => BigInt(high) <= BigInt(low) || (at.get(partition) ?? -1n) >= BigInt(high))) return;
    }
    throw new Error(`the auth service did not consume the budget topic within ${CONSUMED_WITHIN_MS} ms`);
  }

  async function outcomeEventually(secret: string, wanted: VerifyOutcome): Promise<void> {
    let last: VerifyOutcome | undefined;
    for (const deadline = Date.now() + CONSUMED_WITHIN_MS; Date.now() < deadline; await sleep(50)) {
      last = (await client.verify({ apiKey: secret })).outcome;
      if (last === wanted) return;
    }
    throw new Error(`Verify still answered ${VerifyOutcome[last ?? 0]}, not ${VerifyOutcome[wanted]}`);
  }

  it('blocks a key over its hard budget, ignores an older record, and clears on a newer one', async () => {
    const tenant = await createTenant();
    const key = await createKey(tenant.id, { scopes: ['chat'] });
    const subject = { scope: BudgetScope.KEY, subjectId: key.id, tenantId: tenant.id };

    await publish([{ ...subject, state: BudgetState.HARD_EXCEEDED, blockedUntil: timestampFromDate(nextMonth()), version: 5n }]);
    await outcomeEventually(key.key, VerifyOutcome.BUDGET_EXCEEDED);
    const blocked = await client.verify({ apiKey: key.key });
    expect(blocked.principal).toMatchObject({ keyId: key.id, tenantId: tenant.id, scopes: ['chat'] });

    // A stale record (a lower version) changes nothing.
    await publish([{ ...subject, state: BudgetState.WITHIN, version: 4n }]);
    await consumedAll();
    expect((await client.verify({ apiKey: key.key })).outcome).toBe(VerifyOutcome.BUDGET_EXCEEDED);

    await publish([{ ...subject, state: BudgetState.WITHIN, version: 6n }]);
    await outcomeEventually(key.key, VerifyOutcome.VALID);
  });

  it('does not block on a hard state whose month has already ended, and skips malformed records', async () => {
    const tenant = await createTenant();
    const key = await createKey(tenant.id);
    const blocked = await createKey(tenant.id);
    await publish([
      // Last month's block, arriving late: it lifted at the start of this month.
      { scope: BudgetScope.TENANT, subjectId: tenant.id, tenantId: tenant.id, state: BudgetState.HARD_EXCEEDED, blockedUntil: timestampFromDate(new Date(Date.now() - 60_000)), version: 1n },
      { scope: BudgetScope.UNSPECIFIED, subjectId: key.id, tenantId: tenant.id, state: BudgetState.HARD_EXCEEDED, version: 1n },
      { scope: BudgetScope.KEY, subjectId: 'not-a-key-id', tenantId: tenant.id, state: BudgetState.HARD_EXCEEDED, version: 1n },
      { scope: BudgetScope.KEY, subjectId: blocked.id, tenantId: tenant.id, state: BudgetState.HARD_EXCEEDED, blockedUntil: timestampFromDate(nextMonth()), version: 1n },
    ]);
    await consumedAll();
    expect((await client.verify({ apiKey: blocked.key })).outcome).toBe(VerifyOutcome.BUDGET_EXCEEDED);
    expect((await client.verify({ apiKey: key.key })).outcome).toBe(VerifyOutcome.VALID);
  });
});
