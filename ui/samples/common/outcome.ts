// Raising an intent and reporting what came of it, for the apps that raise intents.

import type { AppIdentifier, Context, DesktopAgent, IntentResult } from './types';
import { el, setChildren } from './dom';
import { describeError } from './errors';
import { idPairs } from './format';

export type OutcomeState = 'ok' | 'failed' | 'error';

export interface Outcome {
  state: OutcomeState;
  /** Headline for the user, e.g. "Created in Harbor CRM". */
  headline: string;
  /** The app that handled the intent, once one was chosen. */
  appId: string | null;
  appTitle: string | null;
  /** A transaction result's status ("Created", "Failed", …). */
  status: string | null;
  /** The returned record's ids as "key: value" pairs. */
  recordId: string | null;
  /** The handler's message, a description of another result, or the raw error string. */
  detail: string | null;
}

interface Handler {
  appId: string;
  appTitle: string;
}

async function handlerOf(fdc3: DesktopAgent, source: AppIdentifier): Promise<Handler> {
  try {
    const meta = await fdc3.getAppMetadata(source);
    return { appId: source.appId, appTitle: meta.title || meta.name || source.appId };
  } catch {
    return { appId: source.appId, appTitle: source.appId };
  }
}

function isContext(result: IntentResult): result is Context {
  return typeof result === 'object' && result !== null && typeof (result as { type?: unknown }).type === 'string'
    && typeof (result as { broadcast?: unknown }).broadcast !== 'function';
}

function fromResult(result: IntentResult, h: Handler): Outcome {
  const base = { appId: h.appId, appTitle: h.appTitle, status: null, recordId: null, detail: null };
  if (result === undefined || result === null) {
    return { ...base, state: 'ok', headline: `Handled by ${h.appTitle}` };
  }
  if (!isContext(result)) {
    return { ...base, state: 'ok', headline: `${h.appTitle} returned a channel`, detail: `Channel ${result.id}` };
  }
  if (result.type !== 'fdc3.transactionResult') {
    return { ...base, state: 'ok', headline: `Handled by ${h.appTitle}`, detail: `It returned a ${result.type}` };
  }
  const status = typeof result['status'] === 'string' ? (result['status'] as string) : 'Unknown';
  const message = typeof result['message'] === 'string' && result['message'] ? (result['message'] as string) : null;
  const inner: unknown = result['context'];
  const recordId = inner !== null && typeof inner === 'object' ? idPairs((inner as Context).id) || null : null;
  if (status === 'Failed') {
    return { ...base, state: 'failed', headline: `${h.appTitle} did not accept it`, status, detail: message };
  }
  return { ...base, state: 'ok', headline: `${status} in ${h.appTitle}`, status, recordId, detail: message };
}

/**
 * Raises `intent` with `context`, lets the user choose an app, and waits for its result.
 * `onChosen` hears the chosen app's title while its result is awaited.
 */
export async function raiseAndWait(
  fdc3: DesktopAgent,
  intent: string,
  context: Context,
  onChosen?: (appTitle: string) => void,
): Promise<Outcome> {
  let handler: Handler | null = null;
  try {
    const resolution = await fdc3.raiseIntent(intent, context);
    handler = await handlerOf(fdc3, resolution.source);
    onChosen?.(handler.appTitle);
    return fromResult(await resolution.getResult(), handler);
  } catch (e) {
    const { words, code } = describeError(e);
    return {
      state: 'error',
      headline: words,
      appId: handler?.appId ?? null,
      appTitle: handler?.appTitle ?? null,
      status: null,
      recordId: null,
      detail: words.includes(code) ? null : code,
    };
  }
}

function line(label: string, value: string, cls: string): HTMLElement {
  return el('div', { class: `outcome-line ${cls}` }, [el('span', { class: 'outcome-label', text: label }), value]);
}

/** Shows `outcome` in `target`, whose `data-state` becomes ok, failed or error. */
export function showOutcome(target: HTMLElement, outcome: Outcome): void {
  target.dataset['state'] = outcome.state;
  setAttr(target, 'data-app-id', outcome.appId);
  setAttr(target, 'data-status', outcome.status);
  const app = outcome.appId === null ? null
    : outcome.appTitle && outcome.appTitle !== outcome.appId ? `${outcome.appTitle} (${outcome.appId})` : outcome.appId;
  setChildren(target, [
    el('strong', { class: 'outcome-headline', text: outcome.headline }),
    app !== null && line('App', app, 'outcome-app'),
    outcome.status !== null && line('Status', outcome.status, 'outcome-status'),
    outcome.recordId !== null && line('Record', outcome.recordId, 'outcome-record'),
    outcome.detail !== null && line(outcome.state === 'error' ? 'Error' : 'Message', outcome.detail, 'outcome-detail'),
  ]);
  target.hidden = false;
}

export function showPending(target: HTMLElement, text: string): void {
  target.dataset['state'] = 'pending';
  target.removeAttribute('data-app-id');
  target.removeAttribute('data-status');
  setChildren(target, [el('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }), el('span', { text })]);
  target.hidden = false;
}

/** One line for a history list, e.g. "Created in Harbor CRM — harborId: HB-000042". */
export function outcomeSummary(outcome: Outcome): string {
  const extra = outcome.recordId ?? (outcome.state === 'error' ? null : outcome.detail);
  return extra ? `${outcome.headline} — ${extra}` : outcome.headline;
}

function setAttr(target: HTMLElement, name: string, value: string | null): void {
  if (value === null) target.removeAttribute(name);
  else target.setAttribute(name, value);
}
