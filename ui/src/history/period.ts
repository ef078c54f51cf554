// The history's period filter ("what did we log with Jane Doe last quarter"): named periods in
// local time, turned into the [sinceMs, untilMs) range the ledger filters raises by.

export const PERIODS = [
  { id: 'all', label: 'Any time' },
  { id: 'today', label: 'Today' },
  { id: 'last7', label: 'Last 7 days' },
  { id: 'last30', label: 'Last 30 days' },
  { id: 'thisQuarter', label: 'This quarter' },
  { id: 'lastQuarter', label: 'Last quarter' },
  { id: 'thisYear', label: 'This year' },
  { id: 'lastYear', label: 'Last year' },
] as const;

export type PeriodId = (typeof PERIODS)[number]['id'];

/** Raise times from `sinceMs` (inclusive) to `untilMs` (exclusive); null is unbounded. */
export interface TimeRange {
  sinceMs: number | null;
  untilMs: number | null;
}

export function isPeriodId(value: string): value is PeriodId {
  return PERIODS.some((p) => p.id === value);
}

export function periodLabel(id: PeriodId): string {
  return PERIODS.find((p) => p.id === id)?.label ?? id;
}

/** Local midnight `days` days from `now`'s date (negative: before). */
function midnight(now: Date, days = 0): number {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + days).getTime();
}

/** The first moment of the quarter `offset` quarters from `now`'s (Date rolls months over years). */
function quarterStart(now: Date, offset = 0): number {
  const firstMonth = Math.floor(now.getMonth() / 3) * 3 + offset * 3;
  return new Date(now.getFullYear(), firstMonth, 1).getTime();
}

/**
 * The range a period covers as of `now`. Periods that reach the present are open-ended, so raises
 * logged while the window is open keep appearing; "last 7 days" counts today as one of the seven.
 */
export function periodRange(id: PeriodId, now: Date): TimeRange {
  const open = (sinceMs: number): TimeRange => ({ sinceMs, untilMs: null });
  switch (id) {
    case 'all':
      return { sinceMs: null, untilMs: null };
    case 'today':
      return open(midnight(now));
    case 'last7':
      return open(midnight(now, -6));
    case 'last30':
      return open(midnight(now, -29));
    case 'thisQuarter':
      return open(quarterStart(now));
    case 'lastQuarter':
      return { sinceMs: quarterStart(now, -1), untilMs: quarterStart(now) };
    case 'thisYear':
      return open(new Date(now.getFullYear(), 0, 1).getTime());
    case 'lastYear':
      return { sinceMs: new Date(now.getFullYear() - 1, 0, 1).getTime(), untilMs: new Date(now.getFullYear(), 0, 1).getTime() };
  }
}
