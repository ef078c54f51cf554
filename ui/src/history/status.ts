import type { HistoryRow } from '../ipc';
import { el } from '../common/dom';
import { shorten } from '../common/text';

export type StatusTone = 'ok' | 'fail' | 'pending' | 'neutral';

export interface RowStatus {
  text: string;
  tone: StatusTone;
  /** Full text for the title attribute (errors can be long). */
  title: string;
}

const OK_STATUSES = new Set(['created', 'updated', 'deleted', 'success', 'ok']);

/** Status shown for a row: resultStatus if any, else error, else the state. */
export function statusOf(row: HistoryRow): RowStatus {
  if (row.resultStatus !== null) {
    const lower = row.resultStatus.toLowerCase();
    const tone: StatusTone = lower === 'failed' ? 'fail' : OK_STATUSES.has(lower) ? 'ok' : 'neutral';
    return { text: row.resultStatus, tone, title: row.resultStatus };
  }
  if (row.error !== null) return { text: row.error, tone: 'fail', title: row.error };
  switch (row.state) {
    case 'failed':
      return { text: 'failed', tone: 'fail', title: 'failed' };
    case 'completed':
      return { text: 'completed', tone: 'neutral', title: 'completed without a result status' };
    default:
      return { text: row.state, tone: 'pending', title: `pending: ${row.state}` };
  }
}

export function statusBadge(status: RowStatus, maxChars = 28): HTMLElement {
  return el('span', { class: `badge badge-${status.tone}`, text: shorten(status.text, maxChars), title: status.title });
}
