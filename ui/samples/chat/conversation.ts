// The sample conversation, and the fdc3.interaction that describes it.

import type { Contact, InteractionMessage } from '../common/types';
import { clip } from '../common/format';

export interface Person {
  name: string;
  email: string;
}

export interface ChatMessage {
  from: Person;
  text: string;
  at: Date;
}

export const TITLE = 'Bond allocation follow-up';
export const JANE: Person = { name: 'Jane Doe', email: 'jane.doe@mail.com' };
export const JOHN: Person = { name: 'John Doe', email: 'john.doe@mail.com' };
export const ME: Person = { name: 'Alex Morgan', email: 'alex.morgan@interlog.example' };
export const PARTICIPANTS: readonly Person[] = [JANE, JOHN, ME];

/** The opening messages, spread over the hour before `now`. */
export function openingMessages(now: number = Date.now()): ChatMessage[] {
  const ago = (minutes: number): Date => new Date(now - minutes * 60_000);
  return [
    { from: JANE, at: ago(57), text: 'Morning Alex. Final allocations for the new 2031 bond are in: we got 60% of our order.' },
    { from: ME, at: ago(49), text: 'Thanks Jane. Can you split it pro rata across the three funds, as agreed yesterday?' },
    { from: JOHN, at: ago(38), text: 'One change: the pension fund wants to cap its share at 15 million.' },
    { from: JANE, at: ago(26), text: 'Noted. I will move the excess to the credit fund and resend the breakdown.' },
    { from: ME, at: ago(12), text: 'Perfect. Please confirm once the tickets are booked.' },
    { from: JOHN, at: ago(4), text: 'Booked. Settlement is T+2 and confirmations go out this afternoon.' },
  ];
}

export function contactOf(p: Person): Contact {
  return { type: 'fdc3.contact', name: p.name, id: { email: p.email } };
}

/** The conversation as an fdc3.interaction, for CreateInteraction. */
export function interactionOf(messages: readonly ChatMessage[]): InteractionMessage {
  const first = messages[0];
  const last = messages[messages.length - 1];
  if (!first || !last) throw new Error('The conversation has no messages');
  const summary = `${TITLE}: ${messages.length} messages. Last, from ${last.from.name}: "${last.text}"`;
  return {
    type: 'fdc3.interaction',
    participants: { type: 'fdc3.contactList', contacts: PARTICIPANTS.map(contactOf) },
    interactionType: 'Instant Message',
    timeRange: { type: 'fdc3.timeRange', startTime: first.at.toISOString(), endTime: last.at.toISOString() },
    description: clip(summary, 500),
    initiator: contactOf(ME),
    origin: 'Interlog Chat',
  };
}
