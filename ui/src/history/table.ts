// The history table: renders rows, tracks the highlighted one.
import type { HistoryRow } from '../ipc';
import { el } from '../common/dom';
import { shorten } from '../common/text';
import { formatDateTime } from '../common/time';
import { DESCRIPTION_MAX, participantsText, typeLabel } from './format';
import { statusBadge, statusOf } from './status';

function cell(cls: string, text: string, title?: string): HTMLTableCellElement {
  const td = el('td', { class: cls, text });
  if (title !== undefined && title !== '') td.title = title;
  return td;
}

function appCell(cls: string, appId: string | null, instance: string | null): HTMLTableCellElement {
  if (appId === null) return el('td', { class: `${cls} muted`, text: '—' });
  return cell(cls, appId, instance !== null ? `${appId}\ninstance ${instance}` : appId);
}

function rowElement(row: HistoryRow): HTMLTableRowElement {
  const description = row.description ?? '';
  const participants = participantsText(row);
  const tr = el('tr', { class: 'history-row', attrs: { 'data-id': String(row.id), 'data-raise-key': row.raiseKey, 'data-resolution': row.resolution ?? '', 'aria-selected': 'false' } }, [
    cell('time', formatDateTime(row.raisedAtMs), formatDateTime(row.raisedAtMs, true)),
    cell('type', typeLabel(row), row.intent !== null ? `${typeLabel(row)}\nintent ${row.intent}` : row.contextType),
    cell('participants', participants, participants),
    cell('description', shorten(description, DESCRIPTION_MAX), description),
    appCell('raiser', row.raiserApp, row.raiserInstance),
    appCell('handler', row.handlerApp, row.handlerInstance),
    el('td', { class: 'status' }, [
      // First: the error beside it is often long, and the cell cuts what does not fit.
      row.resent ? el('span', { class: 'badge badge-neutral resent-marker', text: 're-sent', title: 'Re-sent from the history: open it to follow the link to the new raise' }) : null,
      statusBadge(statusOf(row)),
      // Chosen by a remembered choice: no dialog was shown for it.
      row.resolution === 'remembered' ? el('span', { class: 'badge badge-neutral remembered-marker', text: 'remembered', title: 'The app was chosen by a choice you asked Interlog to remember' }) : null,
    ]),
    cell('record', row.recordId ?? '', row.recordId ?? undefined),
  ]);
  return tr;
}

export class HistoryTable {
  private readonly body: HTMLTableSectionElement;
  private rows: HistoryRow[] = [];
  private selectedId: number | null = null;

  constructor(
    readonly table: HTMLTableElement,
    private readonly onPick: (id: number) => void,
  ) {
    const body = table.tBodies[0];
    if (body === undefined) throw new Error('history table has no tbody');
    this.body = body;
    this.body.addEventListener('click', (event) => {
      const tr = (event.target as Element | null)?.closest('tr.history-row');
      const id = tr instanceof HTMLElement ? Number(tr.dataset['id']) : NaN;
      if (Number.isFinite(id)) this.onPick(id);
    });
  }

  render(rows: HistoryRow[], selectedId: number | null): void {
    this.rows = rows;
    this.body.replaceChildren(...rows.map(rowElement));
    this.highlight(selectedId, false);
  }

  get length(): number {
    return this.rows.length;
  }

  indexOf(id: number | null): number {
    return id === null ? -1 : this.rows.findIndex((r) => r.id === id);
  }

  rowAt(index: number): HistoryRow | undefined {
    return this.rows[index];
  }

  findByRaiseKey(raiseKey: string): HistoryRow | undefined {
    return this.rows.find((r) => r.raiseKey === raiseKey);
  }

  highlight(id: number | null, scroll: boolean): void {
    this.selectedId = id;
    for (const tr of this.body.rows) {
      const selected = id !== null && tr.dataset['id'] === String(id);
      tr.setAttribute('aria-selected', String(selected));
      tr.classList.toggle('selected', selected);
      if (selected && scroll) tr.scrollIntoView({ block: 'nearest' });
    }
  }

  get selected(): number | null {
    return this.selectedId;
  }
}
