import { z } from 'zod';
import { meteringError } from '../common/metering-errors';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const UNIX_SECONDS = /^\d{1,12}$/;
/** Nothing was metered before this (2000-01-01). */
const EARLIEST = 946_684_800;
const DAY = 86_400;

/** RFC 3339 or unix seconds → unix seconds; undefined when it is neither. Sub-second parts are dropped (rounded down). */
export function parseTime(value: string): number | undefined {
  const text = value.trim();
  if (UNIX_SECONDS.test(text)) return Number(text);
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

const time = z.string().transform((value, ctx) => {
  const seconds = parseTime(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be unix seconds or an RFC 3339 timestamp such as 2025-07-01T00:00:00Z' });
    return z.NEVER;
  }
  if (seconds < EARLIEST) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not be before 2000-01-01' });
    return z.NEVER;
  }
  return seconds;
});

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const id = (what: string) => z.string().regex(ID, `must be a ${what} id`);
const model = z.string().min(1).max(256);

export const GROUP_BY = ['model', 'key', 'day', 'hour'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** The longest range each grouping may ask for. */
export const MAX_SPAN_DAYS: Record<GroupBy, number> = { hour: 31, day: 400, model: 400, key: 400 };
export const MAX_EXPORT_SPAN_DAYS = { hourly: 400, events: 31 } as const;

const rangeFields = {
  start: time,
  end: time.optional(),
  key_id: id('key').optional(),
  model: model.optional(),
  tenant_id: id('tenant').optional(),
};

export const usageQuery = z.object({ ...rangeFields, group_by: z.enum(GROUP_BY).default('day') }).strict();
export const exportQuery = z
  .object({ ...rangeFields, format: z.enum(['csv']).default('csv'), rows: z.enum(['hourly', 'events']).default('hourly') })
  .strict();

export type UsageQuery = z.infer<typeof usageQuery>;
export type ExportQuery = z.infer<typeof exportQuery>;

export interface TimeRange {
  readonly start: number;
  readonly end: number;
}

/** `end` defaults to now; start before end; at most `maxDays` long → otherwise 400 naming `end` (or `start`). */
export function checkRange(start: number, end: number | undefined, maxDays: number, what: string, now = Date.now()): TimeRange {
  const resolvedEnd = end ?? Math.ceil(now / 1000);
  if (start >= resolvedEnd) {
    throw meteringError('invalid_value', end === undefined ? "'start' must be in the past when 'end' is omitted." : "'end' must be after 'start'.", end === undefined ? 'start' : 'end');
  }
  if (resolvedEnd - start > maxDays * DAY) {
    throw meteringError('invalid_value', `The range from 'start' to 'end' may span at most ${maxDays} days for ${what}.`, 'end');
  }
  return { start, end: resolvedEnd };
}
