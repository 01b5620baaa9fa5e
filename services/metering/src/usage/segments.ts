/**
 * How an arbitrary time range [start, end) is read exactly from the rollups: the longest aligned
 * stretch from the coarsest table allowed, the edges from finer tables, and what is left below a
 * minute from the raw events. E.g. 10:00:30 → 13:05:00 reads 10:00:30-10:01 raw, 10:01-11:00 from
 * minute rollups, 11:00-13:00 from hour rollups and 13:00-13:05 from minute rollups.
 */

export type Unit = 'minute' | 'hour' | 'day';
/** A rollup unit, or the raw events. */
export type SegmentSource = Unit | 'raw';

export interface Segment {
  readonly source: SegmentSource;
  /** Unix seconds, inclusive. */
  readonly from: number;
  /** Unix seconds, exclusive. */
  readonly to: number;
}

export const UNIT_SECONDS: Record<Unit, number> = { minute: 60, hour: 3_600, day: 86_400 };

/** Unix time has no leap seconds, so UTC days, hours and minutes are plain multiples. */
export const floorTo = (seconds: number, unit: Unit) => Math.floor(seconds / UNIT_SECONDS[unit]) * UNIT_SECONDS[unit];
export const ceilTo = (seconds: number, unit: Unit) => Math.ceil(seconds / UNIT_SECONDS[unit]) * UNIT_SECONDS[unit];

/**
 * The segments covering [start, end), coarsest first where aligned. `units` lists the rollup
 * tables that may be used, coarsest first; a series by hour may not use day rollups.
 */
export function planSegments(start: number, end: number, units: readonly Unit[]): Segment[] {
  if (start >= end) return [];
  const [unit, ...finer] = units;
  if (!unit) return [{ source: 'raw', from: start, to: end }];
  const alignedStart = ceilTo(start, unit);
  const alignedEnd = floorTo(end, unit);
  if (alignedStart >= alignedEnd) return planSegments(start, end, finer);
  return [
    ...planSegments(start, alignedStart, finer),
    { source: unit, from: alignedStart, to: alignedEnd },
    ...planSegments(alignedEnd, end, finer),
  ];
}

/** The rollup tables a grouping may read: never coarser than its buckets. */
export function unitsFor(groupBy: 'model' | 'key' | 'day' | 'hour'): Unit[] {
  return groupBy === 'hour' ? ['hour', 'minute'] : ['day', 'hour', 'minute'];
}
