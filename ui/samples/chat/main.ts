import '../common/sample.css';
import type { Context, DesktopAgent } from '../common/types';
import { startSample } from '../common/agent';
import { byId, el, setChildren } from '../common/dom';
import { clockTime, initials } from '../common/format';
import { outcomeSummary, raiseAndWait, showOutcome, showPending, type Outcome } from '../common/outcome';
import { ME, PARTICIPANTS, TITLE, interactionOf, openingMessages, type ChatMessage } from './conversation';

const MAX_HISTORY = 10;

const messages: ChatMessage[] = openingMessages();
const messageList = byId('messages', HTMLOListElement);
const composer = byId('composer', HTMLFormElement);
const input = byId('message-input', HTMLInputElement);
const logButton = byId('log-interaction', HTMLButtonElement);
const logStatus = byId('log-status');
const history = byId('log-history', HTMLOListElement);
const historyEmpty = byId('log-history-empty');
const selected = byId('selected-contact');

function renderParticipants(): void {
  setChildren(byId('participants', HTMLUListElement), PARTICIPANTS.map(p =>
    el('li', { class: 'participant', attrs: { title: p.email, 'data-contact-email': p.email } }, [
      el('span', { class: 'avatar', text: initials(p.name), attrs: { 'aria-hidden': 'true' } }),
      p === ME ? `${p.name} (you)` : p.name,
    ])));
}

function messageItem(m: ChatMessage): HTMLLIElement {
  const own = m.from === ME;
  return el('li', { class: `message${own ? ' is-own' : ''}` }, [
    el('div', { class: 'message-meta' }, [
      el('span', { class: 'message-author', text: own ? 'You' : m.from.name }),
      el('time', { class: 'muted', text: clockTime(m.at), attrs: { datetime: m.at.toISOString() } }),
    ]),
    el('div', { class: 'message-text', text: m.text }),
  ]);
}

function renderMessages(): void {
  setChildren(messageList, messages.map(messageItem));
  messageList.scrollTop = messageList.scrollHeight;
}

function send(): void {
  const text = input.value.trim();
  if (text === '') return;
  messages.push({ from: ME, text, at: new Date() });
  input.value = '';
  renderMessages();
}

function addToHistory(outcome: Outcome): void {
  const now = new Date();
  history.prepend(el('li', { attrs: { 'data-state': outcome.state } }, [
    el('time', { class: 'muted', text: clockTime(now), attrs: { datetime: now.toISOString() } }),
    el('span', { text: outcomeSummary(outcome) }),
  ]));
  while (history.children.length > MAX_HISTORY) history.lastElementChild?.remove();
  historyEmpty.hidden = true;
}

async function logInteraction(fdc3: DesktopAgent): Promise<void> {
  logButton.disabled = true;
  showPending(logStatus, 'Waiting for the app you choose…');
  try {
    const outcome = await raiseAndWait(fdc3, 'CreateInteraction', interactionOf(messages), app =>
      showPending(logStatus, `Waiting for ${app}…`));
    showOutcome(logStatus, outcome);
    addToHistory(outcome);
  } finally {
    logButton.disabled = false;
  }
}

function showSelectedContact(contact: Context): void {
  const name = typeof contact.name === 'string' ? contact.name.trim() : '';
  const rawEmail: unknown = contact.id?.['email'];
  const email = typeof rawEmail === 'string' ? rawEmail.trim() : '';
  if (name === '' && email === '') return;
  const who = name && email ? `${name} (${email})` : name || email;
  selected.textContent = `Selected in Contacts: ${who}`;
  if (email) selected.dataset['contactEmail'] = email;
  else delete selected.dataset['contactEmail'];
  selected.hidden = false;
}

byId('conversation-title').textContent = TITLE;
renderParticipants();
renderMessages();
composer.addEventListener('submit', e => {
  e.preventDefault();
  send();
});

void startSample(async fdc3 => {
  logButton.addEventListener('click', () => void logInteraction(fdc3));
  logButton.disabled = false;
  await fdc3.addContextListener('fdc3.contact', contact => showSelectedContact(contact));
});
