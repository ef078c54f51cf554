import '../common/sample.css';
import type { DesktopAgent } from '../common/types';
import { startSample } from '../common/agent';
import { byId, el, setChildren } from '../common/dom';
import { describeError } from '../common/errors';
import { initials } from '../common/format';
import { raiseAndWait, showOutcome, showPending } from '../common/outcome';
import { Listbox } from './listbox';
import { PEOPLE, contactOf, type Person } from './people';

const shareStatus = byId('share-status');
const detail = byId('contact-detail');
const viewButton = byId('view-interactions', HTMLButtonElement);
const viewStatus = byId('view-status');
let agent: DesktopAgent | null = null;
let current: Person | null = null;

function setShareStatus(state: 'ok' | 'warn' | 'error', text: string): void {
  shareStatus.dataset['state'] = state;
  shareStatus.textContent = text;
  shareStatus.hidden = false;
}

async function share(fdc3: DesktopAgent, p: Person): Promise<void> {
  try {
    const channel = await fdc3.getCurrentChannel();
    if (channel === null) {
      setShareStatus('warn', 'Join a channel (the badge in the corner) to share your selection');
      return;
    }
    await fdc3.broadcast(contactOf(p));
    const channelName = channel.displayMetadata?.name ?? channel.id;
    setShareStatus('ok', `Shared ${p.name} on channel ${channelName}`);
  } catch (e) {
    setShareStatus('error', `Could not share ${p.name}: ${describeError(e).words}`);
  }
}

function showDetail(p: Person): void {
  setChildren(detail, [
    el('span', { class: 'avatar avatar-large', text: initials(p.name), attrs: { 'aria-hidden': 'true' } }),
    el('div', {}, [
      el('strong', { class: 'detail-name', text: p.name }),
      el('div', { class: 'muted', text: p.role }),
      el('a', { text: p.email, attrs: { href: `mailto:${p.email}` } }),
    ]),
  ]);
  detail.dataset['contactEmail'] = p.email;
}

function choose(p: Person): void {
  current = p;
  showDetail(p);
  viewStatus.hidden = true;
  viewButton.disabled = agent === null;
  if (agent) void share(agent, p);
}

async function viewInteractions(fdc3: DesktopAgent, p: Person): Promise<void> {
  viewButton.disabled = true;
  showPending(viewStatus, 'Waiting for the app you choose…');
  try {
    const outcome = await raiseAndWait(fdc3, 'ViewInteractions', contactOf(p), app =>
      showPending(viewStatus, `Waiting for ${app}…`));
    showOutcome(viewStatus, outcome);
  } finally {
    viewButton.disabled = false;
  }
}

new Listbox(
  byId('contacts', HTMLUListElement),
  PEOPLE.map(p => ({
    key: p.email.replace(/[^a-z0-9]+/gi, '-'),
    attrs: { 'data-contact-email': p.email },
    content: [
      el('span', { class: 'avatar', text: initials(p.name), attrs: { 'aria-hidden': 'true' } }),
      el('span', { class: 'option-text' }, [
        el('span', { class: 'option-name', text: p.name }),
        el('span', { class: 'option-email muted', text: p.email }),
      ]),
    ],
  })),
  i => {
    const p = PEOPLE[i];
    if (p) choose(p);
  },
);

void startSample(async fdc3 => {
  viewButton.addEventListener('click', () => {
    if (current) void viewInteractions(fdc3, current);
  });
}).then(fdc3 => {
  if (fdc3 === null) return;
  agent = fdc3;
  viewButton.disabled = current === null;
  // A contact chosen while the agent was starting is shared now, on the channel just joined.
  if (current) void share(fdc3, current);
});
