// The current history query: rows loaded so far, keyset paging, live refresh.
// Responses that arrive after the query changed are dropped.
import { type HistoryQuery, type HistoryRow, historyList } from '../ipc';
import { type Filters, dayRange, noFilters, queryFields } from './filters';
import { type PeriodId, type TimeRange, periodRange } from './period';

export const PAGE_SIZE = 100;

/** Why the rows changed: a new search, a live refresh of the same query, or another page. */
export type RowsChange = 'search' | 'refresh' | 'more';

export interface StoreListener {
  onRows(rows: HistoryRow[], change: RowsChange): void;
  onError(err: unknown, what: string): void;
}

export class HistoryStore {
  rows: HistoryRow[] = [];
  hasMore = false;
  search: string | null = null;
  period: PeriodId = 'all';
  /** Only the unconfirmed interactions (no Created/Updated result). */
  unconfirmed = false;
  /** The chips: type, participant, apps, outcome, when it happened. */
  filters: Filters = noFilters();
  loaded = false;

  /**
   * The period's range as of the last fetch from the top; later pages reuse it so a page never
   * straddles two readings of the clock (say, across midnight for "Today").
   */
  private range: TimeRange = { sinceMs: null, untilMs: null };
  /** The filters' query fields as of the last fetch from the top (their period read then too). */
  private filterFields = queryFields(noFilters(), new Date());

  /** Bumped whenever the row set is replaced; stale responses compare against it. */
  private generation = 0;
  private refreshing = false;
  private refreshAgain = false;
  private loadingMore = false;

  constructor(private readonly listener: StoreListener) {}

  /** Runs a new search from the top. */
  async setSearch(search: string | null): Promise<void> {
    this.search = search;
    await this.fetchTop(PAGE_SIZE, 'search');
  }

  /** Narrows the rows to a period, from the top. */
  async setPeriod(period: PeriodId): Promise<void> {
    this.period = period;
    await this.fetchTop(PAGE_SIZE, 'search');
  }

  /** Shows only the unconfirmed interactions, or all again, from the top. */
  async setUnconfirmed(unconfirmed: boolean): Promise<void> {
    this.unconfirmed = unconfirmed;
    await this.fetchTop(PAGE_SIZE, 'search');
  }

  /** Replaces the filters, from the top. */
  async setFilters(filters: Filters): Promise<void> {
    this.filters = filters;
    await this.fetchTop(PAGE_SIZE, 'search');
  }

  /** The query for the chart: the rows as shown, every day of the period (not only the day picked). */
  chartQuery(): HistoryQuery {
    const now = new Date();
    return { ...this.currentQuery(0), ...periodRange(this.period, now), ...queryFields(this.filters, now) };
  }

  /** The query for the rows as shown (the count line counts it; export writes it). */
  currentQuery(limit: number): HistoryQuery {
    return { search: this.search, limit, beforeId: null, ...this.range, unconfirmed: this.unconfirmed, ...this.filterFields };
  }

  /** Re-runs the current query over at least the rows already shown. Coalesces bursts. */
  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        await this.fetchTop(Math.max(PAGE_SIZE, this.rows.length), 'refresh');
      } while (this.refreshAgain);
    } finally {
      this.refreshing = false;
    }
  }

  /** Appends the next page (rows older than the last one shown). */
  async loadMore(): Promise<void> {
    const last = this.rows[this.rows.length - 1];
    if (!this.hasMore || this.loadingMore || last === undefined) return;
    this.loadingMore = true;
    const generation = this.generation;
    try {
      const page = await historyList({ ...this.currentQuery(PAGE_SIZE), beforeId: last.id });
      if (generation !== this.generation) return;
      const known = new Set(this.rows.map((r) => r.id));
      this.rows = [...this.rows, ...page.filter((r) => !known.has(r.id))];
      this.hasMore = page.length >= PAGE_SIZE;
      this.listener.onRows(this.rows, 'more');
    } catch (err) {
      this.listener.onError(err, 'Could not load more interactions');
    } finally {
      this.loadingMore = false;
    }
  }

  private async fetchTop(limit: number, change: RowsChange): Promise<void> {
    const generation = ++this.generation;
    const now = new Date();
    const range = raisedRange(this.period, this.filters, now);
    const filterFields = queryFields(this.filters, now);
    try {
      const rows = await historyList({ search: this.search, limit, beforeId: null, ...range, unconfirmed: this.unconfirmed, ...filterFields });
      if (generation !== this.generation) return;
      this.range = range;
      this.filterFields = filterFields;
      this.rows = rows;
      this.hasMore = rows.length >= limit;
      this.loaded = true;
      this.listener.onRows(rows, change);
    } catch (err) {
      if (generation === this.generation) this.listener.onError(err, 'Could not load the history');
    }
  }
}

/** When the rows were raised: the period, narrowed to the day picked in the chart, if any. */
export function raisedRange(period: PeriodId, filters: Filters, now: Date): TimeRange {
  const range = periodRange(period, now);
  if (filters.day === null) return range;
  const day = dayRange(filters.day);
  return {
    sinceMs: range.sinceMs === null ? day.sinceMs : Math.max(range.sinceMs, day.sinceMs),
    untilMs: range.untilMs === null ? day.untilMs : Math.min(range.untilMs, day.untilMs),
  };
}
