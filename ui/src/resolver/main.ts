// Resolver window: pick the app (and intent) that handles a raised intent.
import { type ResolverChoice, type ResolverView, onResolverChanged, resolverChoose, resolverCurrent } from '../ipc';
import { byId } from '../common/dom';
import { clearError, reportError } from '../common/error-banner';
import { Countdown } from './countdown';
import { queuedText, raiserText, titleText } from './header';
import { OptionList } from './listbox';
import { renderPreview } from './preview';

const main = byId('resolver');
const empty = byId('resolver-empty');
const title = byId('resolver-title');
const raiser = byId('resolver-raiser');
const queued = byId('queued');
const preview = byId('context-preview');
const pickButton = byId<HTMLButtonElement>('resolver-pick');
const cancelButton = byId<HTMLButtonElement>('resolver-cancel');
const rememberRow = byId('remember-row');
const remember = byId<HTMLInputElement>('resolver-remember');
const rememberText = byId('remember-text');

const countdown = new Countdown(byId('countdown'), document.getElementById('countdown-fill'));
const list = new OptionList(byId('resolver-options'), {
  onPick: (option) => void choose(remember.checked && !rememberRow.hidden ? { kind: 'pickAndRemember', option } : { kind: 'pick', option }),
  onCancel: () => void choose({ kind: 'cancel' }),
});

let current: ResolverView | null = null;
/** Bumped on every update applied, so a slow resolver_current cannot undo a newer event. */
let version = 0;
/** Id of the request we already answered; its buttons stay disabled until the agent moves on. */
let answeredId: string | null = null;

function setBusy(busy: boolean): void {
  list.disabled = busy;
  pickButton.disabled = busy || list.count === 0;
  cancelButton.disabled = busy;
  list.root.setAttribute('aria-busy', String(busy));
}

function focusList(): void {
  if (current !== null && document.activeElement !== list.root) list.root.focus({ preventScroll: true });
}

function showEmpty(): void {
  current = null;
  countdown.stop();
  main.hidden = true;
  empty.hidden = false;
  document.title = 'Interlog — no pending request';
}

/** Fields that may change while the same request stays open. */
function renderLive(view: ResolverView): void {
  queued.hidden = view.queued <= 0;
  queued.textContent = view.queued > 0 ? queuedText(view.queued) : '';
  countdown.start(view.deadlineMs, view.timeoutMs);
}

function renderNew(view: ResolverView): void {
  clearError();
  title.textContent = titleText(view);
  document.title = `Interlog — ${titleText(view)}`;
  raiser.textContent = raiserText(view);
  raiser.title = `${view.raiser.appId}\ninstance ${view.raiser.instanceId}`;
  list.render(view);
  renderPreview(preview, view.context);
  // One intent asked of one context type: a question worth remembering the answer to.
  const contextType = typeof view.context === 'object' && view.context !== null ? (view.context as { type?: unknown }).type : undefined;
  rememberRow.hidden = view.intent === null || typeof contextType !== 'string';
  remember.checked = false;
  rememberText.textContent = view.intent === null ? '' : `Always use this app for ${view.intent} with ${String(contextType)} from ${view.raiser.title}`;
  // Which request is on screen (tests tell a new request from the previous one by it).
  main.dataset['requestId'] = view.id;
  empty.hidden = true;
  main.hidden = false;
  answeredId = null;
  setBusy(false);
}

function apply(view: ResolverView | null): void {
  version++;
  if (view === null) {
    showEmpty();
    return;
  }
  const isNew = current === null || current.id !== view.id;
  current = view;
  if (isNew) renderNew(view);
  renderLive(view);
  if (isNew) focusList();
}

async function choose(choice: ResolverChoice): Promise<void> {
  const view = current;
  if (view === null || answeredId === view.id) return;
  setBusy(true);
  try {
    await resolverChoose(view.id, choice);
    answeredId = view.id;
  } catch (err) {
    if (current?.id === view.id) {
      setBusy(false);
      focusList();
    }
    reportError(err, choice.kind === 'cancel' ? 'Could not cancel' : 'Could not open the app');
  }
}

/** Re-reads the pending request (on start and whenever the window gains focus). */
async function sync(): Promise<void> {
  const before = version;
  try {
    const view = await resolverCurrent();
    if (version === before) apply(view);
  } catch (err) {
    reportError(err, 'Could not read the pending request');
  }
}

function onDocumentKey(event: KeyboardEvent): void {
  if (current === null) return;
  // Esc cancels and the arrows move the selection wherever the focus is; Enter only
  // picks from the listbox itself (or when focus is nowhere), so buttons keep their Enter.
  const nowhere = event.target === document.body || event.target === document.documentElement;
  if (nowhere || event.key !== 'Enter') {
    list.onKey(event);
    if (event.defaultPrevented && !nowhere) focusList();
  }
}

async function start(): Promise<void> {
  pickButton.addEventListener('click', () => list.pickSelected());
  cancelButton.addEventListener('click', () => void choose({ kind: 'cancel' }));
  document.addEventListener('keydown', onDocumentKey);
  window.addEventListener('focus', () => {
    focusList();
    void sync();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') focusList();
  });
  try {
    await onResolverChanged(apply);
  } catch (err) {
    reportError(err, 'Live updates are off');
  }
  await sync();
}

void start();
