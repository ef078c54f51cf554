// The launcher (home window): the directory's apps, searchable and keyboard-operable; Enter or
// a click opens one (a new window, a new instance); each app's running instances are listed
// under it with their channel, and can be focused or closed.
import {
  type LauncherApp,
  type LauncherView,
  instanceClose,
  instanceFocus,
  launcherOpen,
  launcherView,
  onAppsChanged,
  sourcesAdd,
  windowShow,
} from '../ipc';
import { appAvatar } from '../common/avatar';
import { byId, isTextInput } from '../common/dom';
import { clearError, reportError } from '../common/error-banner';
import { debounce } from '../common/text';
import { matches, openErrorText } from './filter';
import { renderApp } from './row';

const SAMPLES_SOURCE = 'interlog:samples';

const search = byId<HTMLInputElement>('app-search');
const list = byId<HTMLUListElement>('app-list');
const empty = byId('empty-state');
const emptyTitle = byId('empty-title');
const emptyText = byId('empty-text');
const addSamples = byId<HTMLButtonElement>('add-samples');

let view: LauncherView = { apps: [], samplesListed: true };
let selectedAppId: string | null = null;
/** Apps being opened right now (their row says so and ignores another Enter). */
const opening = new Set<string>();

function visibleApps(): LauncherApp[] {
  return view.apps.filter((app) => matches(app, search.value));
}

function render(): void {
  const apps = visibleApps();
  if (selectedAppId === null || !apps.some((a) => a.appId === selectedAppId)) selectedAppId = apps[0]?.appId ?? null;
  list.replaceChildren(
    ...apps.map((app) =>
      renderApp(app, {
        selected: app.appId === selectedAppId,
        opening: opening.has(app.appId),
        avatar: appAvatar(app.title, app.appId, app.icon),
        onOpen: () => void open(app.appId),
        onSelect: () => select(app.appId),
        onFocus: (id) => void instanceFocus(id).catch((err) => reportError(err, 'Cannot bring the window to the front')),
        onClose: (id) => void instanceClose(id).catch((err) => reportError(err, 'Cannot close the window')),
      }),
    ),
  );
  list.setAttribute('aria-activedescendant', selectedAppId === null ? '' : `app-${selectedAppId}`);
  const noApps = view.apps.length === 0;
  list.hidden = apps.length === 0;
  empty.hidden = apps.length > 0;
  addSamples.hidden = !noApps || view.samplesListed;
  if (noApps) {
    emptyTitle.textContent = 'No apps yet';
    emptyText.textContent = view.samplesListed
      ? 'The app directory lists no apps. Add a directory in Settings.'
      : 'Interlog comes with sample apps (a chat, two CRMs and a contact list) to try it with. Add them, or add your own app directory in Settings.';
  } else {
    emptyTitle.textContent = 'No app matches';
    emptyText.textContent = `Nothing matches “${search.value.trim()}”.`;
  }
}

function select(appId: string): void {
  selectedAppId = appId;
  render();
  document.getElementById(`app-${appId}`)?.scrollIntoView({ block: 'nearest' });
}

async function open(appId: string): Promise<void> {
  if (opening.has(appId)) return;
  selectedAppId = appId;
  opening.add(appId);
  render();
  try {
    await launcherOpen(appId);
    clearError('open');
  } catch (err) {
    const title = view.apps.find((a) => a.appId === appId)?.title ?? appId;
    reportError(new Error(openErrorText(err)), `Cannot open ${title}`, 'open');
  } finally {
    opening.delete(appId);
    render();
  }
}

async function refresh(): Promise<void> {
  try {
    view = await launcherView();
    clearError('view');
  } catch (err) {
    reportError(err, 'Cannot read the app directory', 'view');
  }
  render();
}

function move(delta: number): void {
  const apps = visibleApps();
  if (apps.length === 0) return;
  const current = apps.findIndex((a) => a.appId === selectedAppId);
  const next = apps[Math.min(apps.length - 1, Math.max(0, current + delta))];
  if (next !== undefined) select(next.appId);
}

function onKeyDown(event: KeyboardEvent): void {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const inSearch = event.target === search;
  if (event.key === '/' && !isTextInput(event.target)) {
    event.preventDefault();
    search.focus();
    search.select();
  } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    move(event.key === 'ArrowDown' ? 1 : -1);
  } else if (event.key === 'Enter' && (inSearch || event.target === list || event.target === document.body)) {
    event.preventDefault();
    if (selectedAppId !== null) void open(selectedAppId);
  } else if (event.key === 'Escape' && inSearch && search.value !== '') {
    event.preventDefault();
    search.value = '';
    render();
  } else if ((event.key === 'h' || event.key === 'H') && !isTextInput(event.target)) {
    void windowShow('history');
  }
}

async function onAddSamples(): Promise<void> {
  addSamples.disabled = true;
  try {
    await sourcesAdd(SAMPLES_SOURCE);
    clearError('samples');
    await refresh();
  } catch (err) {
    reportError(err, 'Cannot add the sample apps', 'samples');
  } finally {
    addSamples.disabled = false;
  }
}

async function start(): Promise<void> {
  byId('show-history').addEventListener('click', () => void windowShow('history').catch((err) => reportError(err, 'Cannot show the history')));
  byId('show-settings').addEventListener('click', () => void windowShow('settings').catch((err) => reportError(err, 'Cannot show the settings')));
  addSamples.addEventListener('click', () => void onAddSamples());
  search.addEventListener('input', debounce(render, 60));
  document.addEventListener('keydown', onKeyDown);
  try {
    await onAppsChanged(debounce(() => void refresh(), 50));
  } catch (err) {
    reportError(err, 'Live updates are off');
  }
  await refresh();
  search.focus();
}

void start();
