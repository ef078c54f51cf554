// Readable rendering of FDC3 contexts, shared by the history detail pane and
// the resolver. All values are untrusted: text goes through textContent only.
import { type Child, el } from './dom';
import { type JsonRecord, arr, asRecord, rec, str } from './data';
import { prettyJson, shorten } from './text';
import { formatIso } from './time';

export const INTERACTION_TYPE = 'fdc3.interaction';

export interface PreviewOptions {
  /** Shorten the description to this many characters with a "show more" toggle; null: always full. */
  descriptionMax: number | null;
}

/** A two-column list of label / value rows. Rows with a null value are skipped. */
export function fieldList(rows: ReadonlyArray<readonly [string, Child | null]>, extraClass = ''): HTMLDListElement {
  const dl = el('dl', { class: `fields ${extraClass}`.trim() });
  for (const [label, value] of rows) {
    if (value === null || value === undefined || value === false || value === '') continue;
    dl.append(el('dt', { text: label }), el('dd', {}, [value]));
  }
  return dl;
}

/** "Jane Doe <jane@bank.com>" from an fdc3.contact; null when it has nothing to show. */
export function contactNode(contact: unknown): HTMLElement | null {
  const c = asRecord(contact);
  if (c === null) return typeof contact === 'string' ? el('span', { class: 'contact', text: contact }) : null;
  const id = rec(c, 'id');
  const name = str(c, 'name');
  const email = str(id, 'email');
  const otherId = email === null && id !== null ? firstIdValue(id) : null;
  if (name === null && email === null && otherId === null) return null;
  return el('span', { class: 'contact' }, [
    name !== null ? el('span', { class: 'contact-name', text: name }) : null,
    email !== null ? el('span', { class: 'contact-email', text: name !== null ? `<${email}>` : email }) : null,
    otherId !== null ? el('span', { class: 'contact-email', text: otherId }) : null,
  ]);
}

function firstIdValue(id: JsonRecord): string | null {
  for (const [key, value] of Object.entries(id)) {
    if (typeof value === 'string' || typeof value === 'number') return `${key}: ${value}`;
  }
  return null;
}

/** Contacts of an fdc3.contactList (or, leniently, a bare array of contacts). */
export function contactsOf(participants: unknown): unknown[] {
  if (Array.isArray(participants)) return participants;
  const list = asRecord(participants);
  if (list === null) return [];
  if (str(list, 'type') === 'fdc3.contact') return [list];
  return arr(list, 'contacts');
}

function participantsNode(participants: unknown): HTMLElement | null {
  const nodes = contactsOf(participants)
    .map(contactNode)
    .filter((n): n is HTMLElement => n !== null);
  if (nodes.length === 0) return null;
  return el('ul', { class: 'contacts' }, nodes.map((n) => el('li', {}, [n])));
}

function timeRangeNode(range: JsonRecord | null): HTMLElement | null {
  const start = str(range, 'startTime');
  const end = str(range, 'endTime');
  if (start === null && end === null) return null;
  return el('span', { class: 'time-range' }, [
    el('span', { text: start !== null ? formatIso(start) : '…' }),
    el('span', { class: 'muted', text: ' → ' }),
    el('span', { text: end !== null ? formatIso(end) : '…' }),
  ]);
}

/** The description, optionally shortened with a show more / show less toggle. */
export function descriptionNode(text: string, max: number | null): HTMLElement {
  const full = el('span', { class: 'description-text', text });
  if (max === null || text.length <= max) return el('span', { class: 'description' }, [full]);
  const short = shorten(text, max);
  full.textContent = short;
  const toggle = el('button', { class: 'link-button', text: 'show more', attrs: { type: 'button', 'aria-expanded': 'false' } });
  toggle.addEventListener('click', (event) => {
    event.stopPropagation();
    const expanded = toggle.getAttribute('aria-expanded') === 'true';
    full.textContent = expanded ? short : text;
    toggle.textContent = expanded ? 'show more' : 'show less';
    toggle.setAttribute('aria-expanded', String(!expanded));
  });
  return el('span', { class: 'description' }, [full, ' ', toggle]);
}

/** Field list for an fdc3.interaction context. */
export function interactionFields(ctx: JsonRecord, opts: PreviewOptions): HTMLDListElement {
  const description = str(ctx, 'description');
  const origin = str(ctx, 'origin');
  const type = str(ctx, 'interactionType');
  return fieldList([
    ['Participants', participantsNode(ctx['participants'])],
    ['Type', type],
    ['Time', timeRangeNode(rec(ctx, 'timeRange'))],
    ['Initiator', contactNode(ctx['initiator'])],
    ['Origin', origin],
    ['Description', description !== null ? descriptionNode(description, opts.descriptionMax) : null],
  ]);
}

const MAX_GENERIC_ROWS = 12;

function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return shorten(value, 120);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function summaryOf(value: unknown): string {
  const scalar = scalarText(value);
  if (scalar !== null) return scalar;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `${value.length} item${value.length === 1 ? '' : 's'}`;
  const obj = asRecord(value);
  const type = str(obj, 'type');
  const name = str(obj, 'name');
  if (type !== null) return name !== null ? `${name} (${type})` : type;
  return shorten(prettyJson(value).replace(/\s+/g, ' '), 80);
}

/** Compact key/value view for any other context type. */
export function genericFields(ctx: JsonRecord): HTMLDListElement {
  const rows: Array<[string, string]> = [];
  const type = str(ctx, 'type');
  if (type !== null) rows.push(['type', type]);
  const name = str(ctx, 'name');
  if (name !== null) rows.push(['name', shorten(name, 120)]);
  const id = rec(ctx, 'id');
  if (id !== null) {
    for (const [key, value] of Object.entries(id)) rows.push([`id.${key}`, summaryOf(value)]);
  }
  for (const [key, value] of Object.entries(ctx)) {
    if (key === 'type' || key === 'name' || (key === 'id' && id !== null)) continue;
    rows.push([key, summaryOf(value)]);
  }
  const shown = rows.slice(0, MAX_GENERIC_ROWS);
  if (rows.length > MAX_GENERIC_ROWS) shown.push(['…', `${rows.length - MAX_GENERIC_ROWS} more fields in the raw JSON`]);
  return fieldList(shown, 'fields-generic');
}

/** Readable view of any context: the interaction form, or a generic key/value list. */
export function contextFields(context: unknown, opts: PreviewOptions): HTMLElement {
  const ctx = asRecord(context);
  if (ctx === null) return el('p', { class: 'muted', text: `Not an object: ${summaryOf(context)}` });
  return str(ctx, 'type') === INTERACTION_TYPE ? interactionFields(ctx, opts) : genericFields(ctx);
}

/** A collapsible pretty-printed JSON block. */
export function jsonDetails(summary: string, value: unknown, open = false): HTMLDetailsElement {
  const details = el('details', { class: 'json' }, [
    el('summary', { text: summary }),
    el('pre', { class: 'json-body', text: prettyJson(value) }),
  ]);
  details.open = open;
  return details;
}
