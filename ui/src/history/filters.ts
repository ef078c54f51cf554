// The history's filters beside the search: interaction type, participant, raiser, handler,
// outcome and when the interaction happened. Shown as removable chips, kept across restarts.
import type { HistoryOutcome } from '../ipc';
import { type PeriodId, isPeriodId, periodLabel, periodRange } from './period';

export interface Filters {
  interactionTypes: string[];
  participants: string[];
  raisers: string[];
  handlers: string[];
  outcomes: HistoryOutcome[];
  /** When the interaction itself happened (its timeRange), as a named period. */
  happened: PeriodId;
  /** The local day it was raised on (`YYYY-MM-DD`), picked in the chart; null for any. */
  day: string | null;
}

export type FilterField = 'interactionTypes' | 'participants' | 'raisers' | 'handlers' | 'outcomes' | 'happened' | 'day';

export const FIELD_LABELS: Record<FilterField, string> = {
  interactionTypes: 'Type',
  participants: 'Participant',
  raisers: 'Raiser',
  handlers: 'Handler',
  outcomes: 'Outcome',
  happened: 'Happened',
  day: 'Raised on',
};

/** The fields the "Add filter…" menu offers (a day is picked in the chart). */
export const MENU_FIELDS: readonly FilterField[] = ['interactionTypes', 'participants', 'raisers', 'handlers', 'outcomes', 'happened'];

/** Every outcome, in the order the menu lists them, with the words the chips show. */
export const OUTCOMES: readonly { id: HistoryOutcome; label: string }[] = [
  { id: 'created', label: 'Created' },
  { id: 'updated', label: 'Updated' },
  { id: 'deleted', label: 'Deleted' },
  { id: 'failed', label: 'Failed' },
  { id: 'rejected', label: 'Rejected' },
  { id: 'no_result', label: 'No result' },
  { id: 'delivery_failed', label: 'Delivery failed' },
  { id: 'cancelled', label: 'Cancelled' },
  { id: 'timed_out', label: 'Timed out' },
  { id: 'pending', label: 'Pending' },
];

export function outcomeLabel(id: HistoryOutcome): string {
  return OUTCOMES.find((o) => o.id === id)?.label ?? id;
}

function isOutcome(value: unknown): value is HistoryOutcome {
  return OUTCOMES.some((o) => o.id === value);
}

export function noFilters(): Filters {
  return { interactionTypes: [], participants: [], raisers: [], handlers: [], outcomes: [], happened: 'all', day: null };
}

export function isEmpty(f: Filters): boolean {
  return chips(f).length === 0;
}

/** One chip: the field, the value it filters on, and the words it shows. */
export interface Chip {
  field: FilterField;
  value: string;
  text: string;
}

export function chips(f: Filters): Chip[] {
  const list: Chip[] = [];
  const add = (field: FilterField, values: readonly string[], show: (v: string) => string = (v) => v): void => {
    for (const value of values) list.push({ field, value, text: `${FIELD_LABELS[field]}: ${show(value)}` });
  };
  add('participants', f.participants);
  add('interactionTypes', f.interactionTypes);
  add('raisers', f.raisers);
  add('handlers', f.handlers);
  add('outcomes', f.outcomes, (v) => outcomeLabel(v as HistoryOutcome));
  if (f.happened !== 'all') add('happened', [f.happened], (v) => periodLabel(v as PeriodId).toLowerCase());
  if (f.day !== null) add('day', [f.day], dayLabel);
  return list;
}

/** `f` with `value` added to `field` (a period replaces the one there). Adding twice is a no-op. */
export function withFilter(f: Filters, field: FilterField, value: string): Filters {
  const v = value.trim();
  if (v === '') return f;
  if (field === 'happened') return isPeriodId(v) ? { ...f, happened: v } : f;
  if (field === 'day') return isDay(v) ? { ...f, day: v } : f;
  if (field === 'outcomes') return isOutcome(v) && !f.outcomes.includes(v) ? { ...f, outcomes: [...f.outcomes, v] } : f;
  const list = f[field];
  return list.some((x) => x.toLowerCase() === v.toLowerCase()) ? f : { ...f, [field]: [...list, v] };
}

export function withoutFilter(f: Filters, field: FilterField, value: string): Filters {
  if (field === 'happened') return { ...f, happened: 'all' };
  if (field === 'day') return { ...f, day: null };
  if (field === 'outcomes') return { ...f, outcomes: f.outcomes.filter((x) => x !== value) };
  return { ...f, [field]: f[field].filter((x) => x !== value) };
}

/** The query fields for these filters, the period read as of `now`. */
export function queryFields(f: Filters, now: Date): {
  interactionTypes: string[];
  participants: string[];
  raisers: string[];
  handlers: string[];
  outcomes: HistoryOutcome[];
  happenedSinceMs: number | null;
  happenedUntilMs: number | null;
} {
  const happened = periodRange(f.happened, now);
  return {
    interactionTypes: f.interactionTypes,
    participants: f.participants,
    raisers: f.raisers,
    handlers: f.handlers,
    outcomes: f.outcomes,
    happenedSinceMs: happened.sinceMs,
    happenedUntilMs: happened.untilMs,
  };
}

/** A local date as `YYYY-MM-DD`. */
export function isDay(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m === null) return false;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getFullYear() === Number(m[1]) && d.getMonth() === Number(m[2]) - 1 && d.getDate() === Number(m[3]);
}

/** The local day `date` falls on, as `YYYY-MM-DD`. */
export function dayOf(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Raise times on the local day `day` (`YYYY-MM-DD`), midnight to midnight. */
export function dayRange(day: string): { sinceMs: number; untilMs: number } {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return { sinceMs: new Date(y, m - 1, d).getTime(), untilMs: new Date(y, m - 1, d + 1).getTime() };
}

function dayLabel(day: string): string {
  const { sinceMs } = dayRange(day);
  return new Date(sinceMs).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
}

const STORAGE_KEY = 'interlog.history.filters';

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '') : []);

/** The filters kept from the last session; anything unreadable is dropped, never trusted. */
export function loadFilters(storage: Storage = localStorage): Filters {
  try {
    const raw: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return noFilters();
    const r = raw as Record<string, unknown>;
    return {
      interactionTypes: strings(r['interactionTypes']),
      participants: strings(r['participants']),
      raisers: strings(r['raisers']),
      handlers: strings(r['handlers']),
      outcomes: Array.isArray(r['outcomes']) ? r['outcomes'].filter(isOutcome) : [],
      happened: typeof r['happened'] === 'string' && isPeriodId(r['happened']) ? r['happened'] : 'all',
      day: typeof r['day'] === 'string' && isDay(r['day']) ? r['day'] : null,
    };
  } catch {
    return noFilters();
  }
}

export function saveFilters(f: Filters, storage: Storage = localStorage): void {
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(f));
  } catch {
    // Storage full or unavailable: the filters still apply, for this session.
  }
}
