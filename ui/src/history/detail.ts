// The detail pane: the interaction in a readable form, how it was resolved,
// the result, and the raw JSON.
import type { HistoryDetail } from '../ipc';
import { type Child, el } from '../common/dom';
import { contextFields, fieldList, jsonDetails } from '../common/context-preview';
import { asRecord, contextType, str } from '../common/data';
import { prettyJson, shorten } from '../common/text';
import { formatDateTime, formatDelta, formatTimeOfDay } from '../common/time';
import { typeLabel } from './format';
import { statusBadge, statusOf } from './status';

function section(title: string, children: readonly Child[]): HTMLElement {
  return el('section', { class: 'detail-section' }, [el('h3', { text: title }), ...children]);
}

function appWithInstance(appId: string | null, instance: string | null): HTMLElement | null {
  if (appId === null) return null;
  return el('span', {}, [el('span', { text: appId }), instance !== null ? el('span', { class: 'muted mono small', text: ` ${instance}` }) : null]);
}

function mono(text: string | null): HTMLElement | null {
  return text === null ? null : el('span', { class: 'mono', text });
}

function targetText(target: unknown): string | null {
  if (target === null || target === undefined) return null;
  const t = asRecord(target);
  const appId = str(t, 'appId');
  if (appId === null) return shorten(prettyJson(target).replace(/\s+/g, ' '), 120);
  const instance = str(t, 'instanceId');
  return instance !== null ? `${appId} (instance ${instance})` : appId;
}

function candidatesText(candidates: unknown): string | null {
  if (!Array.isArray(candidates)) return null;
  const names = candidates.map((c) => str(asRecord(c), 'appId') ?? str(asRecord(asRecord(c)?.['app'] ?? null), 'appId'));
  const known = names.filter((n): n is string => n !== null);
  const count = `${candidates.length} candidate${candidates.length === 1 ? '' : 's'}`;
  return known.length > 0 ? `${count}: ${known.join(', ')}` : count;
}

function timings(d: HistoryDetail): HTMLTableElement {
  const steps: Array<[string, number | null]> = [
    ['Raised', d.row.raisedAtMs],
    ['Resolved', d.resolvedAtMs],
    ['Delivered', d.deliveredAtMs],
    ['Completed', d.completedAtMs],
  ];
  const body = el('tbody');
  let previous: number | null = null;
  for (const [label, at] of steps) {
    const sinceRaised = at !== null && label !== 'Raised' ? formatDelta(at - d.row.raisedAtMs) : '';
    const sinceStep = at !== null && previous !== null && label !== 'Raised' ? formatDelta(at - previous) : '';
    body.append(
      el('tr', { class: at === null ? 'muted' : '' }, [
        el('th', { text: label, attrs: { scope: 'row' } }),
        el('td', { class: 'mono', text: at !== null ? formatTimeOfDay(at) : '—', title: at !== null ? formatDateTime(at, true) : '' }),
        el('td', { class: 'mono num', text: sinceRaised }),
        el('td', { class: 'mono num', text: sinceStep }),
      ]),
    );
    if (at !== null) previous = at;
  }
  return el('table', { class: 'timings' }, [
    el('thead', {}, [
      el('tr', {}, [el('th', { text: '' }), el('th', { text: 'Time' }), el('th', { class: 'num', text: 'Since raised' }), el('th', { class: 'num', text: 'Step' })]),
    ]),
    body,
  ]);
}

function resultSection(d: HistoryDetail): HTMLElement {
  const row = d.row;
  if (row.error !== null) {
    return section('Result', [
      fieldList([
        ['Status', statusBadge(statusOf(row))],
        ['Error', el('span', { class: 'error-text', text: row.error })],
      ]),
    ]);
  }
  if (row.resultStatus === null && d.result === null && d.resultMessage === null && row.recordId === null) {
    const waiting = row.state === 'completed' ? 'The handler returned no result.' : `Waiting for the handler (${row.state}).`;
    return section('Result', [el('p', { class: 'muted', text: waiting })]);
  }
  return section('Result', [
    fieldList([
      ['Status', statusBadge(statusOf(row), 60)],
      ['Message', d.resultMessage],
      ['Record id', mono(row.recordId)],
      ['Result type', row.resultStatus === null ? contextType(d.result) : null],
    ]),
  ]);
}

/** Builds the pane's content for one interaction. */
export function renderDetail(d: HistoryDetail): HTMLElement[] {
  const row = d.row;
  const isInteraction = row.contextType === 'fdc3.interaction';
  const header = el('header', { class: 'detail-header' }, [
    el('h2', { text: typeLabel(row) }),
    el('div', { class: 'detail-sub' }, [
      statusBadge(statusOf(row)),
      el('span', { class: 'muted', text: formatDateTime(row.raisedAtMs) }),
      el('span', { class: 'muted mono small', text: `#${row.id}` }),
    ]),
  ]);
  return [
    header,
    section(isInteraction ? 'Interaction' : `Context (${row.contextType})`, [contextFields(d.context, { descriptionMax: null })]),
    section('Resolution', [
      fieldList([
        ['Intent', row.intent ?? el('span', { class: 'muted', text: 'by context (raiseIntentForContext)' })],
        ['Raised by', appWithInstance(row.raiserApp, row.raiserInstance)],
        ['Resolved', row.resolution],
        ['Handler', appWithInstance(row.handlerApp, row.handlerInstance)],
        ['Target', targetText(d.target)],
        ['Candidates', candidatesText(d.candidates)],
        ['Raise key', mono(row.raiseKey)],
        ['Request', mono(d.requestUuid)],
        ['Seal', d.seal === null ? el('span', { class: 'muted', text: 'sealed when it finishes' }) : el('span', { class: 'mono small', text: d.seal, title: 'Hash chain (interlog verify)' })],
      ]),
      timings(d),
    ]),
    resultSection(d),
    section('Raw data', [
      jsonDetails('Context JSON', d.context),
      d.result !== null ? jsonDetails('Result JSON', d.result) : el('p', { class: 'muted small', text: 'No result JSON.' }),
    ]),
  ];
}

export function renderDetailPlaceholder(text: string): HTMLElement[] {
  return [el('p', { class: 'detail-placeholder', text })];
}

/** Which <details> blocks are open, by summary text, so a live refresh keeps them open. */
export function openDetails(container: HTMLElement): Set<string> {
  const open = new Set<string>();
  for (const d of container.querySelectorAll('details')) {
    if (d.open) open.add(d.querySelector('summary')?.textContent ?? '');
  }
  return open;
}

export function restoreDetails(container: HTMLElement, open: Set<string>): void {
  for (const d of container.querySelectorAll('details')) {
    if (open.has(d.querySelector('summary')?.textContent ?? '')) d.open = true;
  }
}
