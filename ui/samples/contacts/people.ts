// The sample address book.

import type { Contact } from '../common/types';

export interface Person {
  name: string;
  email: string;
  role: string;
}

export const PEOPLE: readonly Person[] = [
  { name: 'Jane Doe', email: 'jane.doe@mail.com', role: 'Syndicate desk' },
  { name: 'John Doe', email: 'john.doe@mail.com', role: 'Sales trading' },
  { name: 'Alex Morgan', email: 'alex.morgan@interlog.example', role: 'Client coverage' },
  { name: 'Priya Raman', email: 'priya.raman@mail.com', role: 'Portfolio manager' },
  { name: 'Marcus Chen', email: 'marcus.chen@mail.com', role: 'Credit research' },
  { name: 'Sofia Rossi', email: 'sofia.rossi@mail.com', role: 'Operations' },
];

export function contactOf(p: Person): Contact {
  return { type: 'fdc3.contact', name: p.name, id: { email: p.email } };
}
