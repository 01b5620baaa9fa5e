/**
 * The replay command rebuilds the rollups from the raw events and reproduces them byte for
 * byte; rollups that drifted (edited by hand here) are put back; a month whose raw events are
 * gone is refused, not emptied.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@vectorstack/testing';
import { pricedModel, queryDatabase, tenantWithKeys, unix, usageEvent, UsageProducer, waitForRequests, type UsageInit } from '../testing/metering-api';

const REPLAY = join(REPO_ROOT, 'services/metering/dist/replay.js');

function replay(...args: string[]): { status: number | null; report: any; stderr: string } {
  const result = spawnSync(process.execPath, [REPLAY, ...args], { encoding: 'utf8', env: process.env, timeout: 120_000 });
  let report: unknown;
  try {
    report = JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
  } catch {
    report = undefined;
  }
  return { status: result.status, report, stderr: result.stderr };
}

/** Every rollup row of the tenant as Postgres prints it, in a fixed order. */
async function snapshot(tenantId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [table, order] of [
    ['usage_minute', 'bucket, key_id, model'],
    ['usage_hour', 'bucket, key_id, model'],
    ['usage_day', 'bucket, key_id, model'],
    ['usage_model_hour', 'bucket, model'],
    ['usage_model_day', 'bucket, model'],
    ['spend_month', 'month, key_id'],
  ] as const) {
    const rows = await queryDatabase<{ row: string }>(`SELECT t::text AS row FROM metering.${table} t WHERE tenant_id = $1 ORDER BY ${order}`, [tenantId]);
    out[table] = rows.map((r) => r.row);
  }
  return out;
}

describe('replay (rollup rebuild)', () => {
  const producer = UsageProducer.create();
  let tenantId: string;
  let before: Record<string, string[]>;
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const previousMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const label = (d: Date) => d.toISOString().slice(0, 7);

  beforeAll(async () => {
    const tenant = await tenantWithKeys();
    tenantId = tenant.tenantId;
    const [cheap, premium] = await Promise.all([pricedModel('0.0005', '0.0015'), pricedModel('0.000000000123', '7.5')]);
    const times = [
      new Date(previousMonth.getTime() + 14 * 86_400_000 + 36_000_000),
      new Date(monthStart.getTime() - 1_000),
      monthStart,
      new Date(Math.min(now.getTime() - 3_600_000, Math.max(monthStart.getTime() + 1_000, now.getTime() - 3_600_000))),
      new Date(now.getTime() - 5_000),
    ];
    const events: UsageInit[] = [];
    times.forEach((at, i) => {
      for (let j = 0; j < 20; j++) {
        const keyId = j % 2 === 0 ? tenant.reader.id : tenant.worker.id;
        events.push(usageEvent({ tenantId, keyId, model: j % 3 === 0 ? premium : cheap, at: new Date(at.getTime() + j * 1_500), promptTokens: BigInt(17 * i + j), completionTokens: BigInt(3 * j), totalTokens: BigInt(17 * i + 4 * j), httpStatus: j === 7 ? 429 : 200 }));
      }
    });
    await producer.publish(events);
    await waitForRequests(tenantId, events.length, { start: unix(previousMonth), end: unix(now) + 60 });
    before = await snapshot(tenantId);
    expect(before.usage_day!.length).toBeGreaterThan(2);
  });

  afterAll(async () => {
    await producer.close();
  });

  it('rebuilds a tenant’s rollups identical to what ingestion wrote', async () => {
    const { status, report, stderr } = replay('--tenant', tenantId);
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(report.tenantId).toBe(tenantId);
    expect(report.months).toEqual(expect.arrayContaining([label(previousMonth), label(monthStart)]));
    for (const table of report.tables) expect(table).toEqual({ table: table.table, rowsBefore: table.rowsAfter, rowsAfter: table.rowsAfter, identical: true });
    expect(await snapshot(tenantId)).toEqual(before);
  });

  it('puts drifted rollups back, and a dry run only reports the drift', async () => {
    await queryDatabase(`UPDATE metering.usage_hour SET requests = requests + 5, cost = cost + 1 WHERE tenant_id = $1`, [tenantId]);
    await queryDatabase(
      `DELETE FROM metering.usage_minute m
       USING (SELECT bucket, key_id, model FROM metering.usage_minute WHERE tenant_id = $1 ORDER BY bucket LIMIT 3) gone
       WHERE m.tenant_id = $1 AND m.bucket = gone.bucket AND m.key_id = gone.key_id AND m.model = gone.model`,
      [tenantId],
    );
    await queryDatabase(`UPDATE metering.spend_month SET cost = 0 WHERE tenant_id = $1`, [tenantId]);
    const drifted = await snapshot(tenantId);

    const dry = replay('--tenant', tenantId, '--dry-run');
    expect(dry.status).toBe(0);
    expect(Object.fromEntries(dry.report.tables.map((t: { table: string; identical: boolean }) => [t.table, t.identical]))).toEqual({
      usage_minute: false,
      usage_hour: false,
      usage_day: true,
      usage_model_hour: true,
      usage_model_day: true,
      spend_month: false,
    });
    expect(await snapshot(tenantId)).toEqual(drifted);

    const fixed = replay('--tenant', tenantId);
    expect(fixed.status).toBe(0);
    expect(await snapshot(tenantId)).toEqual(before);
  });

  it('rebuilds a whole month of every tenant identically', async () => {
    const { status, report, stderr } = replay('--month', label(previousMonth));
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(report.tables.filter((t: { identical: boolean }) => !t.identical)).toEqual([]);
    expect(await snapshot(tenantId)).toEqual(before);
  });

  it('refuses a month without raw events, and bad arguments', () => {
    const gone = replay('--month', '1999-01');
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('no raw events are kept for 1999-01');
    expect(replay('--month', 'January').status).toBe(2);
    expect(replay('--frobnicate').status).toBe(2);
  });
});
