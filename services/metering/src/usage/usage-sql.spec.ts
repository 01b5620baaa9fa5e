import { usageSql } from './usage-sql';
import { unitsFor } from './segments';

describe('usageSql', () => {
  it('reads each segment from its table with the filters, and adds the total', () => {
    const { sql, params } = usageSql({
      start: Date.parse('2025-07-01T10:00:30Z') / 1000,
      end: Date.parse('2025-07-03T00:00:00Z') / 1000,
      units: unitsFor('day'),
      dimensions: ['model'],
      filter: { tenantId: 't1', keyId: 'k1' },
      withTotal: true,
    });
    expect(sql).toContain('FROM metering.usage_event WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz AND charged AND tenant_id = $3 AND key_id = $4 GROUP BY 1');
    expect(sql).toContain('FROM metering.usage_minute');
    expect(sql).toContain('FROM metering.usage_hour ');
    expect(sql).toContain('FROM metering.usage_day ');
    expect(sql).toContain('GROUP BY GROUPING SETS ((d0), ())');
    expect(params).toContain('2025-07-02T00:00:00.000Z');
    expect(params.filter((p) => p === 't1')).toHaveLength(4);
  });

  it('reads every tenant for an admin without tenant filter', () => {
    const { sql } = usageSql({ start: 0, end: 86_400, units: unitsFor('hour'), dimensions: [], filter: { tenantId: null }, withTotal: true });
    expect(sql).not.toContain('tenant_id =');
    expect(sql).toContain('true AS is_total');
  });
});
