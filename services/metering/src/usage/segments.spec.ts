import { planSegments, unitsFor } from './segments';

const t = (iso: string) => Date.parse(iso) / 1000;
const show = (segments: ReturnType<typeof planSegments>) =>
  segments.map((s) => `${s.source} ${new Date(s.from * 1000).toISOString().slice(0, 19)}..${new Date(s.to * 1000).toISOString().slice(0, 19)}`);

describe('planSegments', () => {
  it('reads whole days from day rollups and the edges from finer tables', () => {
    expect(show(planSegments(t('2025-07-01T10:00:30Z'), t('2025-07-04T13:05:00Z'), unitsFor('day')))).toEqual([
      'raw 2025-07-01T10:00:30..2025-07-01T10:01:00',
      'minute 2025-07-01T10:01:00..2025-07-01T11:00:00',
      'hour 2025-07-01T11:00:00..2025-07-02T00:00:00',
      'day 2025-07-02T00:00:00..2025-07-04T00:00:00',
      'hour 2025-07-04T00:00:00..2025-07-04T13:00:00',
      'minute 2025-07-04T13:00:00..2025-07-04T13:05:00',
    ]);
  });

  it('uses one table for an aligned range', () => {
    expect(show(planSegments(t('2025-07-01T00:00:00Z'), t('2025-08-01T00:00:00Z'), unitsFor('model')))).toEqual(['day 2025-07-01T00:00:00..2025-08-01T00:00:00']);
    expect(show(planSegments(t('2025-07-01T00:00:00Z'), t('2025-07-02T00:00:00Z'), unitsFor('hour')))).toEqual(['hour 2025-07-01T00:00:00..2025-07-02T00:00:00']);
  });

  it('falls back to finer tables when a range holds no whole unit', () => {
    expect(show(planSegments(t('2025-07-01T10:15:00Z'), t('2025-07-01T10:45:10Z'), unitsFor('day')))).toEqual([
      'minute 2025-07-01T10:15:00..2025-07-01T10:45:00',
      'raw 2025-07-01T10:45:00..2025-07-01T10:45:10',
    ]);
    expect(show(planSegments(t('2025-07-01T10:15:01Z'), t('2025-07-01T10:15:59Z'), unitsFor('day')))).toEqual(['raw 2025-07-01T10:15:01..2025-07-01T10:15:59']);
  });

  it('covers the range exactly, without gaps or overlaps', () => {
    for (let i = 0; i < 500; i++) {
      const start = 1_700_000_000 + Math.floor(Math.random() * 10_000_000);
      const end = start + 1 + Math.floor(Math.random() * 40 * 86_400);
      for (const units of [unitsFor('day'), unitsFor('hour')]) {
        const segments = planSegments(start, end, units);
        expect(segments[0]!.from).toBe(start);
        expect(segments[segments.length - 1]!.to).toBe(end);
        for (let s = 1; s < segments.length; s++) expect(segments[s]!.from).toBe(segments[s - 1]!.to);
        expect(segments.length).toBeLessThanOrEqual(7);
      }
    }
  });

  it('is empty for an empty range', () => {
    expect(planSegments(10, 10, unitsFor('day'))).toEqual([]);
  });
});
