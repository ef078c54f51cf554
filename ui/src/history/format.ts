import type { HistoryRow } from '../ipc';

export const DESCRIPTION_MAX = 80;

export function typeLabel(row: HistoryRow): string {
  return row.interactionType ?? row.contextType;
}

export function participantsText(row: HistoryRow): string {
  return row.participants.join(', ');
}

export function countText(shown: number, hasMore: boolean, search: string | null): string {
  const noun = shown === 1 ? 'interaction' : 'interactions';
  const more = hasMore ? '+' : '';
  return search !== null ? `${shown}${more} ${noun} matching` : `${shown}${more} ${noun}`;
}
