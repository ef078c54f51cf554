// The sample CRMs (Harbor and Summit): one implementation, set up per app. Each handles
// CreateInteraction for an fdc3.interaction or an fdc3.contactList, stores a record and
// answers with an fdc3.transactionResult.

import type { Context, ContextMetadata, DesktopAgent, TransactionResult } from './types';
import { startSample } from './agent';
import { byId, el, setChildren } from './dom';
import { clip, clockTime, dateTime, plural } from './format';
import { CrmStore, type CrmRecord } from './crm-store';

export interface CrmConfig {
  appId: string;
  /** Shown to users and in results, e.g. "Harbor CRM". */
  name: string;
  /** The key this CRM adds to a context's `id`, e.g. "harborId". */
  idKey: string;
  /** The CRM's id for its n-th record (n from 1). */
  formatId: (n: number) => string;
}

const HIGHLIGHT_MS = 2500;

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** "Jane Doe", else the contact's email, for each contact of a contact list. */
function contactNames(list: unknown): string[] {
  const contacts = obj(list)?.['contacts'];
  if (!Array.isArray(contacts)) return [];
  return contacts.map(c => text(obj(c)?.['name']) ?? text(obj(obj(c)?.['id'])?.['email']) ?? 'Unnamed contact');
}

function withId(context: Context, key: string, value: string): Context {
  return { ...context, id: { ...(obj(context.id) ?? {}), [key]: value } };
}

/** What a record says about the context it was made from. */
function summarise(context: Context): Pick<CrmRecord, 'title' | 'participants' | 'description' | 'startTime' | 'endTime'> {
  const isInteraction = context.type === 'fdc3.interaction';
  const participants = contactNames(isInteraction ? context['participants'] : context);
  const range = obj(context['timeRange']);
  return {
    title: isInteraction
      ? text(context['interactionType']) ?? 'Interaction'
      : `Contact list: ${plural(participants.length, 'contact')}`,
    participants,
    description: clip(text(context['description']) ?? text(context.name) ?? '', 1000),
    startTime: text(range?.['startTime']),
    endTime: text(range?.['endTime']),
  };
}

export function startCrm(config: CrmConfig): void {
  const store = new CrmStore(config.appId);
  const list = byId('records', HTMLOListElement);
  const empty = byId('records-empty');
  const count = byId('record-count');
  const rejectNext = byId('reject-next', HTMLInputElement);
  const clear = byId('clear-records', HTMLButtonElement);
  let highlightKey: string | null = null;
  let highlightTimer = 0;

  function render(): void {
    const records = store.all();
    empty.hidden = records.length > 0;
    count.textContent = records.length > 0 ? plural(records.length, 'entry', 'entries') : '';
    clear.disabled = records.length === 0;
    setChildren(list, records.map(r => recordItem(r, r.key === highlightKey)));
  }

  function remember(record: CrmRecord): void {
    store.add(record);
    highlightKey = record.key;
    window.clearTimeout(highlightTimer);
    highlightTimer = window.setTimeout(() => {
      highlightKey = null;
      list.querySelector('.is-new')?.classList.remove('is-new');
    }, HIGHLIGHT_MS);
    render();
  }

  function newKey(): string {
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  }

  function reject(context: Context, raisedBy: string): TransactionResult {
    const message = `${config.name} rejected this interaction (reject next was on)`;
    rejectNext.checked = false;
    remember({
      key: newKey(), state: 'failed', recordId: null, ...summarise(context),
      raisedBy, loggedAt: new Date().toISOString(), message,
    });
    return { type: 'fdc3.transactionResult', status: 'Failed', message };
  }

  function create(context: Context, raisedBy: string): TransactionResult {
    const recordId = config.formatId(store.nextNumber());
    remember({
      key: newKey(), state: 'created', recordId, ...summarise(context),
      raisedBy, loggedAt: new Date().toISOString(), message: null,
    });
    return {
      type: 'fdc3.transactionResult',
      status: 'Created',
      context: withId(context, config.idKey, recordId),
      message: `Logged in ${config.name}`,
    };
  }

  async function handle(context: Context, metadata?: ContextMetadata): Promise<TransactionResult> {
    const raisedBy = metadata?.source?.appId ?? 'an unknown app';
    if (rejectNext.checked) return reject(context, raisedBy);
    if (context.type === 'fdc3.interaction' || context.type === 'fdc3.contactList') return create(context, raisedBy);
    return {
      type: 'fdc3.transactionResult',
      status: 'Failed',
      message: `${config.name} can log an fdc3.interaction or an fdc3.contactList, not a ${context.type}`,
    };
  }

  clear.addEventListener('click', () => {
    store.clear();
    render();
  });
  render();

  void startSample(async (fdc3: DesktopAgent) => {
    await fdc3.addIntentListener('CreateInteraction', handle);
  });
}

function timeSpan(r: CrmRecord): string {
  if (r.startTime === null) return '';
  const start = dateTime(r.startTime);
  const end = r.endTime === null ? '' : clockTime(r.endTime);
  return end && end !== clockTime(r.startTime) ? `${start}–${end}` : start;
}

function recordItem(r: CrmRecord, isNew: boolean): HTMLLIElement {
  const attrs: Record<string, string> = { 'data-state': r.state };
  if (r.recordId !== null) attrs['data-record-id'] = r.recordId;
  const when = timeSpan(r);
  const meta = [when && `When: ${when}`, `From: ${r.raisedBy}`].filter(Boolean).join(' · ');
  return el('li', { class: `record${isNew ? ' is-new' : ''}`, attrs }, [
    el('div', { class: 'record-head' }, [
      el('span', { class: `badge badge-${r.state}`, text: r.state === 'created' ? 'Created' : 'Rejected' }),
      r.recordId !== null && el('code', { class: 'record-id', text: r.recordId }),
      el('strong', { class: 'record-title', text: r.title }),
      el('time', { class: 'record-logged muted', text: clockTime(r.loggedAt), attrs: { datetime: r.loggedAt } }),
    ]),
    r.participants.length > 0 && el('div', { class: 'record-participants', text: r.participants.join(', ') }),
    r.description !== '' && el('p', { class: 'record-description', text: r.description }),
    r.message !== null && el('p', { class: 'record-message', text: r.message }),
    el('div', { class: 'record-meta muted', text: meta }),
  ]);
}
