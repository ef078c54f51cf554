import type { HistoryRow } from '../ipc';

export const DESCRIPTION_MAX = 80;

export function typeLabel(row: HistoryRow): string {
  return row.interactionType ?? row.contextType;
}

export function participantsText(row: HistoryRow): string {
  return row.participants.join(', ');
}

/** "12 interactions", "10,000+ interactions matching", "3 interactions last quarter". */
export function countText(count: number, atLeast: boolean, matching: boolean, period: string | null): string {
  const noun = count === 1 ? 'interaction' : 'interactions';
  const words = [`${count.toLocaleString('en-US')}${atLeast ? '+' : ''}`, noun];
  if (matching) words.push('matching');
  if (period !== null) words.push(period.toLowerCase());
  return words.join(' ');
}
