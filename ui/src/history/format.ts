import type { HistoryRow } from '../ipc';

export const DESCRIPTION_MAX = 80;

export function typeLabel(row: HistoryRow): string {
  return row.interactionType ?? row.contextType;
}

export function participantsText(row: HistoryRow): string {
  return row.participants.join(', ');
}

/** "12 interactions", "100+ interactions matching", "3 interactions last quarter". */
export function countText(shown: number, hasMore: boolean, search: string | null, period: string | null): string {
  const noun = shown === 1 ? 'interaction' : 'interactions';
  const more = hasMore ? '+' : '';
  const words = [`${shown}${more}`, noun];
  if (search !== null) words.push('matching');
  if (period !== null) words.push(period.toLowerCase());
  return words.join(' ');
}
