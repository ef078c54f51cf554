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

/** What each way of resolving a raise means, in words. */
const RESOLUTION_TEXT: Record<string, string> = {
  single_candidate: 'Only one app could handle it',
  targeted: 'The raiser named the app',
  user_choice: 'Chosen in the resolver',
  remembered: 'Chosen by a remembered choice (no dialog)',
  cancelled: 'The user cancelled the resolver',
  timed_out: 'Nobody chose in time',
  unavailable: 'No resolver was available',
  no_candidates: 'No app could handle it',
  over_budget: 'Refused: the raiser was over its budget',
  disk_low: 'Refused: the ledger’s disk was nearly full',
};

/** A button that copies `text` to the clipboard, saying so for a moment. */
export function copyButton(text: string, what: string): HTMLButtonElement {
  const button = el('button', { class: 'copy-button', text: 'Copy', title: `Copy ${what}`, attrs: { type: 'button', 'aria-label': `Copy ${what}` } });
  button.addEventListener('click', () => {
    void copyText(text).then(
      (ok) => {
        button.textContent = ok ? 'Copied' : 'Copy failed';
        setTimeout(() => (button.textContent = 'Copy'), 1500);
      },
    );
  });
  return button;
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // WebKit without the async clipboard: the old way, through a selected text area.
    const area = el('textarea', { attrs: { readonly: '', 'aria-hidden': 'true' } });
    area.value = text;
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/** A record id: a link when it is a web address, with a copy button. */
function recordIdNode(recordId: string | null): HTMLElement | null {
  if (recordId === null) return null;
  const isWeb = /^https?:\/\/\S+$/i.test(recordId);
  const text = isWeb
    ? el('a', { class: 'mono record-link', text: recordId, attrs: { href: recordId, target: '_blank', rel: 'noopener noreferrer' } })
    : el('span', { class: 'mono', text: recordId });
  return el('span', { class: 'with-copy' }, [text, copyButton(recordId, 'the record id')]);
}

/** One step of the timeline. */
function step(label: string, at: number | null, raisedAt: number, what: Child | null, state: 'done' | 'missing' | 'failed' = at === null ? 'missing' : 'done'): HTMLLIElement {
  return el('li', { class: `timeline-step ${state}` }, [
    el('span', { class: 'timeline-dot', attrs: { 'aria-hidden': 'true' } }),
    el('span', { class: 'timeline-label', text: label }),
    el('span', { class: 'timeline-time mono', text: at === null ? '—' : formatTimeOfDay(at), title: at === null ? '' : formatDateTime(at, true) }),
    el('span', { class: 'timeline-delta mono', text: at !== null && at !== raisedAt ? formatDelta(at - raisedAt) : '' }),
    el('div', { class: 'timeline-what' }, [what]),
  ]);
}

/** The exchange as it happened: raised → candidates → resolved → delivered → result. */
function timeline(d: HistoryDetail, openRaise: (id: number) => void): HTMLOListElement {
  const row = d.row;
  const raisedAt = row.raisedAtMs;
  const link = (id: number, text: string): HTMLButtonElement => {
    const b = el('button', { class: 'link-button resend-link', text, attrs: { type: 'button', 'data-raise-id': String(id) } });
    b.addEventListener('click', () => openRaise(id));
    return b;
  };
  const raisedBy = el('span', {}, [
    'by ',
    appWithInstance(row.raiserApp, row.raiserInstance),
    d.resentFrom !== null ? el('span', {}, [' · ', link(d.resentFrom, `re-sent from #${d.resentFrom}`)]) : null,
  ]);
  const resolution = row.resolution === null ? null : (RESOLUTION_TEXT[row.resolution] ?? row.resolution);
  const resolvedWhat = el('span', {}, [resolution, row.handlerApp !== null ? el('span', {}, [': ', appWithInstance(row.handlerApp, row.handlerInstance)]) : null]);
  const failed = row.state === 'failed';
  const status = statusOf(row);
  const resultWhat = d.completedAtMs === null && !failed ? el('span', { class: 'muted', text: `waiting (${row.state})` }) : el('span', {}, [statusBadge(status, 60), d.resultMessage !== null ? el('span', { class: 'small', text: ` ${d.resultMessage}` }) : null]);
  const list = el('ol', { class: 'timeline', attrs: { 'aria-label': 'Timeline' } }, [
    step('Raised', raisedAt, raisedAt, raisedBy),
    step('Candidates', raisedAt, raisedAt, candidatesText(d.candidates)),
    step('Resolved', d.resolvedAtMs, raisedAt, resolvedWhat, row.resolution !== null && ['cancelled', 'timed_out', 'unavailable', 'no_candidates', 'over_budget', 'disk_low'].includes(row.resolution) ? 'failed' : undefined),
    step('Delivered', d.deliveredAtMs, raisedAt, row.handlerApp !== null && d.deliveredAtMs !== null ? el('span', {}, ['to ', row.handlerApp]) : null),
    step('Result', d.completedAtMs ?? (failed ? row.raisedAtMs : null), raisedAt, resultWhat, status.tone === 'fail' ? 'failed' : undefined),
  ]);
  if (d.resentAs.length > 0) {
    list.append(el('li', { class: 'timeline-step resent' }, [el('span', { class: 'timeline-dot', attrs: { 'aria-hidden': 'true' } }), el('span', { class: 'timeline-label', text: 'Re-sent' }), el('span', {}, []), el('span', {}, []), el('div', { class: 'timeline-what' }, d.resentAs.map((id) => link(id, `as #${id}`)))]));
  }
  return list;
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
      ['Record id', recordIdNode(row.recordId)],
      ['Result type', row.resultStatus === null ? contextType(d.result) : null],
    ]),
  ]);
}

/** What the pane's buttons ask of the window. */
export interface DetailActions {
  /** Shows another raise (a re-send's original, or its re-send). */
  openRaise(id: number): void;
  /** Re-sends this unconfirmed interaction (offered only for those). */
  resend(id: number): void;
}

/** Whether the user may re-send it: a CreateInteraction no handler confirmed, now over. */
export function canResend(d: HistoryDetail): boolean {
  const r = d.row;
  return r.intent === 'CreateInteraction' && r.outcome !== 'created' && r.outcome !== 'updated' && r.outcome !== 'pending';
}

/** Builds the pane's content for one interaction. */
export function renderDetail(d: HistoryDetail, actions: DetailActions): HTMLElement[] {
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
  const resend = canResend(d)
    ? el('div', { class: 'resend-row' }, [
        (() => {
          const b = el('button', { class: 'button primary', id: 'resend', text: 'Re-send…', title: 'Raise it again: the resolver offers every handler', attrs: { type: 'button' } });
          b.addEventListener('click', () => actions.resend(row.id));
          return b;
        })(),
        el('span', { class: 'muted small', text: 'No handler confirmed this interaction. Re-send it to another handler; both stay in the history, linked.' }),
      ])
    : null;
  return [
    header,
    ...(resend === null ? [] : [resend]),
    section('Timeline', [timeline(d, actions.openRaise)]),
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
        ['Seal', d.seal === null ? el('span', { class: 'muted', text: 'sealed when it finishes' }) : el('span', { class: 'with-copy' }, [el('span', { class: 'mono small seal', text: d.seal, title: 'Hash chain (interlog verify)' }), copyButton(d.seal, 'the seal')])],
      ]),
    ]),
    resultSection(d),
    section('Raw data', [
      el('div', { class: 'copy-row' }, [copyButton(prettyJson(d.context), 'the context JSON'), el('span', { class: 'muted small', text: 'context JSON' })]),
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
