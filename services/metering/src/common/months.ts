/** Calendar months in UTC, the unit of raw-event partitions and of budgets. */

export interface Month {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
}

export function monthOf(date: Date): Month {
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1 };
}

export function addMonths(m: Month, delta: number): Month {
  const index = m.year * 12 + (m.month - 1) + delta;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

export function monthStart(m: Month): Date {
  return new Date(Date.UTC(m.year, m.month - 1, 1));
}

/** "2025-07" */
export function monthLabel(m: Month): string {
  return `${String(m.year).padStart(4, '0')}-${String(m.month).padStart(2, '0')}`;
}

/** "202507": the suffix of a month's partition tables. */
export function monthSuffix(m: Month): string {
  return `${String(m.year).padStart(4, '0')}${String(m.month).padStart(2, '0')}`;
}

export function parseMonthLabel(label: string): Month | undefined {
  const match = /^(\d{4})-(\d{2})$/.exec(label);
  if (!match) return undefined;
  const month = Number(match[2]);
  if (month < 1 || month > 12) return undefined;
  return { year: Number(match[1]), month };
}

export function compareMonths(a: Month, b: Month): number {
  return a.year * 12 + a.month - (b.year * 12 + b.month);
}
