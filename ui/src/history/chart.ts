// The history's picture: interactions per day over the period shown, stacked by interaction type
// or by outcome. A day's bar (click, or Enter on it) filters the list to that day; again, removes it.
import { type ChartStack, type DayCount, type HistoryOutcome, type HistoryQuery, historyChart } from '../ipc';
import { OUTCOMES, dayOf, dayRange, outcomeLabel } from './filters';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 84;
/** Room under the bars for the dates. */
const AXIS = 14;
/** Days shown when the period has no start ("Any time"). */
const DEFAULT_DAYS = 90;
/** The most days one chart shows: a longer period shows its last year. */
const MAX_DAYS = 366;
const STACK_KEY = 'interlog.history.chart.stack';
const HIDDEN_KEY = 'interlog.history.chart.hidden';
/** Types beyond the most frequent ones share one colour, "Other". */
const TYPE_COLOURS = ['#2563c9', '#0f9d8a', '#d97706', '#7c3aed', '#db2777', '#65a30d', '#0891b2'];
const OTHER_COLOUR = '#9aa3ad';
const OUTCOME_COLOURS: Record<HistoryOutcome, string> = {
  created: '#16a34a',
  updated: '#0d9488',
  deleted: '#64748b',
  failed: '#dc2626',
  rejected: '#ea580c',
  no_result: '#ca8a04',
  delivery_failed: '#9f1239',
  cancelled: '#94a3b8',
  timed_out: '#7c3aed',
  pending: '#f59e0b',
};

export interface ChartHost {
  /** The rows shown, every day of the period (the day picked aside). */
  query(): HistoryQuery;
  /** The day picked (`YYYY-MM-DD`), or null. */
  pickedDay(): string | null;
  pickDay(day: string | null): void;
  reportError(err: unknown, what: string): void;
}

interface Series {
  key: string;
  label: string;
  colour: string;
}

/** The days the chart shows for a query: its raise period, bounded to at most a year. */
export function chartDays(query: HistoryQuery, now: Date): string[] {
  const end = query.untilMs ?? dayRange(dayOf(now)).untilMs;
  let start = query.sinceMs ?? end - DEFAULT_DAYS * 86_400_000;
  start = Math.max(start, end - MAX_DAYS * 86_400_000);
  const days: string[] = [];
  const first = new Date(start);
  for (let d = new Date(first.getFullYear(), first.getMonth(), first.getDate()); d.getTime() < end; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) {
    days.push(dayOf(d));
  }
  return days;
}

/** A store day (days since 1970 in local time) as `YYYY-MM-DD`. */
export function storeDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export class HistoryChart {
  private stack: ChartStack = loadStack();
  private seq = 0;
  private timer: number | null = null;
  private readonly svg: SVGSVGElement;
  private readonly legend: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly body: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private last: { days: string[]; counts: DayCount[] } | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: ChartHost,
  ) {
    root.replaceChildren();
    const head = el('div', 'chart-head');
    const title = el('span', 'chart-title');
    title.textContent = 'Interactions per day';
    this.caption = el('span', 'chart-caption');
    const stacks = el('div', 'chart-stacks');
    stacks.setAttribute('role', 'group');
    stacks.setAttribute('aria-label', 'Stack the bars by');
    for (const [stack, label] of [
      ['interactionType', 'Type'],
      ['outcome', 'Outcome'],
    ] as const) {
      const b = el('button', 'chart-stack') as HTMLButtonElement;
      b.type = 'button';
      b.textContent = label;
      b.dataset['stack'] = stack;
      b.addEventListener('click', () => this.setStack(stack));
      stacks.append(b);
    }
    this.toggle = el('button', 'chart-toggle button') as HTMLButtonElement;
    this.toggle.type = 'button';
    this.toggle.addEventListener('click', () => this.setHidden(!root.classList.contains('collapsed')));
    head.append(title, this.caption, stacks, this.toggle);
    this.body = el('div', 'chart-body');
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.classList.add('chart-svg');
    this.svg.setAttribute('height', String(HEIGHT + AXIS));
    this.svg.setAttribute('role', 'group');
    this.svg.setAttribute('aria-label', 'Interactions per day: pick a day to list only it');
    this.legend = el('div', 'chart-legend');
    this.body.append(this.svg, this.legend);
    root.append(head, this.body);
    this.svg.addEventListener('click', (e) => this.onPick(e));
    this.svg.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.onPick(e);
        return;
      }
      // One stop in the tab order; the arrows move along the days.
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      const here = (e.target as Element | null)?.closest('[data-day]');
      const next = e.key === 'ArrowLeft' ? here?.previousElementSibling : here?.nextElementSibling;
      if (!(here instanceof SVGElement) || !(next instanceof SVGElement)) return;
      e.preventDefault();
      here.setAttribute('tabindex', '-1');
      next.setAttribute('tabindex', '0');
      next.focus();
    });
    new ResizeObserver(() => {
      if (this.last !== null) this.draw(this.last.days, this.last.counts);
    }).observe(this.body);
    this.setHidden(localStorage.getItem(HIDDEN_KEY) === '1', false);
    this.renderStacks();
  }

  /** Reads the counts again: soon when the query changed, within a second when only the ledger did
   *  (a burst of raises is one read). */
  refresh(soon: boolean): void {
    if (this.timer !== null) {
      if (!soon) return;
      window.clearTimeout(this.timer);
    }
    this.timer = window.setTimeout(
      () => {
        this.timer = null;
        void this.load();
      },
      soon ? 50 : 1_000,
    );
  }

  private async load(): Promise<void> {
    if (this.root.classList.contains('collapsed')) return;
    const seq = ++this.seq;
    const query = this.host.query();
    const days = chartDays(query, new Date());
    const first = days[0];
    if (first === undefined) {
      this.draw([], []);
      return;
    }
    const bounded: HistoryQuery = { ...query, sinceMs: dayRange(first).sinceMs, untilMs: dayRange(days[days.length - 1] ?? first).untilMs };
    try {
      const counts = await historyChart(bounded, this.stack);
      if (seq !== this.seq) return;
      this.last = { days, counts };
      this.draw(days, counts);
    } catch (err) {
      if (seq === this.seq) this.host.reportError(err, 'Cannot draw the chart');
    }
  }

  private setStack(stack: ChartStack): void {
    this.stack = stack;
    try {
      localStorage.setItem(STACK_KEY, stack);
    } catch {
      // Kept for this session only.
    }
    this.renderStacks();
    void this.load();
  }

  private setHidden(hidden: boolean, save = true): void {
    this.root.classList.toggle('collapsed', hidden);
    this.toggle.textContent = hidden ? 'Show chart' : 'Hide chart';
    this.toggle.setAttribute('aria-expanded', String(!hidden));
    if (save) {
      try {
        localStorage.setItem(HIDDEN_KEY, hidden ? '1' : '0');
      } catch {
        // Kept for this session only.
      }
    }
    if (!hidden) void this.load();
  }

  private renderStacks(): void {
    for (const b of this.root.querySelectorAll<HTMLButtonElement>('.chart-stack')) {
      const on = b.dataset['stack'] === this.stack;
      b.classList.toggle('pressed', on);
      b.setAttribute('aria-pressed', String(on));
    }
  }

  private onPick(e: Event): void {
    const target = (e.target as Element | null)?.closest('[data-day]');
    const day = target?.getAttribute('data-day');
    if (day === null || day === undefined) return;
    this.host.pickDay(this.host.pickedDay() === day ? null : day);
  }

  private series(counts: DayCount[]): { series: Series[]; keyOf: (key: string) => string } {
    if (this.stack === 'outcome') {
      const present = new Set(counts.map((c) => c.key));
      const series = OUTCOMES.filter((o) => present.has(o.id)).map((o) => ({ key: o.id, label: outcomeLabel(o.id), colour: OUTCOME_COLOURS[o.id] }));
      return { series, keyOf: (k) => k };
    }
    const totals = new Map<string, number>();
    for (const c of counts) totals.set(c.key, (totals.get(c.key) ?? 0) + c.count);
    const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
    const named = ranked.length <= TYPE_COLOURS.length + 1 ? ranked : ranked.slice(0, TYPE_COLOURS.length);
    const series: Series[] = named.map((k, i) => ({ key: k, label: k === '' ? 'No type' : k, colour: TYPE_COLOURS[i] ?? OTHER_COLOUR }));
    const keep = new Set(named);
    if (ranked.length > named.length) series.push({ key: '\u0000other', label: 'Other types', colour: OTHER_COLOUR });
    return { series, keyOf: (k) => (keep.has(k) ? k : '\u0000other') };
  }

  private draw(days: string[], counts: DayCount[]): void {
    const { series, keyOf } = this.series(counts);
    const byDay = new Map<string, Map<string, number>>();
    let total = 0;
    for (const c of counts) {
      const day = storeDay(c.day);
      const m = byDay.get(day) ?? new Map<string, number>();
      const k = keyOf(c.key);
      m.set(k, (m.get(k) ?? 0) + c.count);
      byDay.set(day, m);
      total += c.count;
    }
    let max = 0;
    for (const m of byDay.values()) max = Math.max(max, [...m.values()].reduce((a, b) => a + b, 0));
    const first = days[0];
    const lastDay = days[days.length - 1];
    this.caption.textContent = first === undefined || lastDay === undefined ? '' : `${short(first)} – ${short(lastDay)} · ${total.toLocaleString()} in all · busiest day ${max.toLocaleString()}`;

    const width = Math.max(200, this.body.clientWidth);
    this.svg.setAttribute('width', String(width));
    this.svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT + AXIS}`);
    const slot = days.length === 0 ? width : width / days.length;
    const gap = slot > 6 ? 1 : 0;
    const picked = this.host.pickedDay();
    const nodes: SVGElement[] = [];
    days.forEach((day, i) => {
      const g = document.createElementNS(SVG, 'g');
      g.classList.add('chart-day');
      if (day === picked) g.classList.add('picked');
      g.setAttribute('data-day', day);
      g.setAttribute('role', 'button');
      g.setAttribute('tabindex', day === picked || (picked === null && i === days.length - 1) ? '0' : '-1');
      const m = byDay.get(day);
      const n = m === undefined ? 0 : [...m.values()].reduce((a, b) => a + b, 0);
      const breakdown = series.filter((s) => (m?.get(s.key) ?? 0) > 0).map((s) => `${s.label}: ${(m?.get(s.key) ?? 0).toLocaleString()}`);
      const words = `${long(day)}: ${n.toLocaleString()} interaction${n === 1 ? '' : 's'}`;
      g.setAttribute('aria-label', words);
      const tip = document.createElementNS(SVG, 'title');
      tip.textContent = [words, ...breakdown].join('\n');
      const hit = rect(i * slot, 0, slot, HEIGHT, 'chart-hit');
      g.append(tip, hit);
      let y = HEIGHT;
      for (const s of series) {
        const v = m?.get(s.key) ?? 0;
        if (v === 0 || max === 0) continue;
        const h = Math.max(1, (v / max) * (HEIGHT - 4));
        y -= h;
        const r = rect(i * slot + gap / 2, y, Math.max(1, slot - gap), h, 'chart-bar');
        r.setAttribute('fill', s.colour);
        g.append(r);
      }
      nodes.push(g);
    });
    for (const i of tickDays(days)) {
      const t = document.createElementNS(SVG, 'text');
      t.classList.add('chart-tick');
      t.setAttribute('x', (i * slot + 1).toFixed(1));
      t.setAttribute('y', String(HEIGHT + AXIS - 3));
      t.textContent = tickLabel(days[i] ?? '', days.length);
      nodes.push(t);
    }
    this.svg.replaceChildren(...nodes);
    this.legend.replaceChildren(
      ...series.map((s) => {
        const item = el('span', 'chart-key');
        const swatch = el('span', 'chart-swatch');
        swatch.style.background = s.colour;
        item.append(swatch, document.createTextNode(s.label));
        return item;
      }),
    );
    this.root.dataset['total'] = String(total);
  }
}

/** Where the dates go: each month's first day over a long period, each Monday over a short one. */
function tickDays(days: string[]): number[] {
  const long = days.length > 45;
  const ticks: number[] = [];
  days.forEach((day, i) => {
    const date = new Date(dayRange(day).sinceMs);
    if (long ? date.getDate() === 1 : date.getDay() === 1) ticks.push(i);
  });
  return ticks;
}

function tickLabel(day: string, span: number): string {
  const date = new Date(dayRange(day).sinceMs);
  return span > 45 ? date.toLocaleDateString(undefined, { month: 'short', year: date.getMonth() === 0 ? 'numeric' : undefined }) : date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

function loadStack(): ChartStack {
  try {
    return localStorage.getItem(STACK_KEY) === 'outcome' ? 'outcome' : 'interactionType';
  } catch {
    return 'interactionType';
  }
}

function el(tag: string, className: string): HTMLElement {
  const e = document.createElement(tag);
  e.className = className;
  return e;
}

function rect(x: number, y: number, w: number, h: number, className: string): SVGRectElement {
  const r = document.createElementNS(SVG, 'rect');
  r.setAttribute('x', x.toFixed(1));
  r.setAttribute('y', y.toFixed(1));
  r.setAttribute('width', w.toFixed(1));
  r.setAttribute('height', h.toFixed(1));
  r.classList.add(className);
  return r;
}

function short(day: string): string {
  return new Date(dayRange(day).sinceMs).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

function long(day: string): string {
  return new Date(dayRange(day).sinceMs).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
}
