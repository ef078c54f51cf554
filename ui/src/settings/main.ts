// The settings window: the app directory's sources, listed, checked, added and removed; the
// remembered resolver choices; how long records are kept (retention.ts). Every change is saved
// and applied to the running agent at once.
import {
  type RememberedChoice,
  type SourceCheck,
  type SourcesView,
  onRememberedChanged,
  rememberedList,
  rememberedRemove,
  sourcesAdd,
  sourcesCheck,
  sourcesList,
  sourcesRemove,
} from '../ipc';
import { byId, el } from '../common/dom';
import { clearError, reportError } from '../common/error-banner';
import { refreshRetention } from './retention';

const list = byId<HTMLUListElement>('source-list');
const noSources = byId('no-sources');
const form = byId<HTMLFormElement>('add-form');
const input = byId<HTMLInputElement>('new-source');
const checkButton = byId<HTMLButtonElement>('check-source');
const addButton = byId<HTMLButtonElement>('add-source');
const report = byId('report');
const problems = byId('problems');
const problemList = byId<HTMLUListElement>('problem-list');

function render(view: SourcesView): void {
  list.replaceChildren(
    ...view.sources.map((s) => {
      const actions: HTMLElement[] = [button('Check', `Check ${s.source}`, () => void check(s.source))];
      if (s.origin === 'settings') actions.push(button('Remove', `Remove ${s.source}`, () => void remove(s.source)));
      return el('li', { class: 'source', attrs: { 'data-source': s.source } }, [
        el('span', { class: 'source-name mono', text: s.source }),
        el('span', { class: 'badge badge-neutral', text: s.origin === 'settings' ? 'saved' : 'command line' }),
        el('span', { class: 'source-actions' }, actions),
      ]);
    }),
  );
  noSources.hidden = view.sources.length > 0;
  byId('settings-file').textContent = view.settingsFile;
  problems.hidden = view.problems.length === 0;
  problemList.replaceChildren(...view.problems.map((p) => el('li', { text: p })));
}

function button(text: string, label: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { class: 'link-button', text, attrs: { type: 'button', 'aria-label': label } });
  b.addEventListener('click', onClick);
  return b;
}

function showReport(r: SourceCheck, added: boolean): void {
  const apps = r.apps.length === 0 ? 'no apps' : `${r.apps.length} app${r.apps.length === 1 ? '' : 's'}: ${r.apps.join(', ')}`;
  const lines: HTMLElement[] = [el('p', { class: 'report-summary', text: `${added ? 'Added' : 'Checked'} ${r.source}: ${apps}.` })];
  if (r.problems.length > 0) lines.push(el('ul', { class: 'report-problems' }, r.problems.map((p) => el('li', { text: p }))));
  report.dataset['state'] = r.problems.length > 0 ? 'warn' : 'ok';
  report.replaceChildren(...lines);
  report.hidden = false;
}

async function busy<T>(work: () => Promise<T>): Promise<T | undefined> {
  checkButton.disabled = addButton.disabled = true;
  try {
    const result = await work();
    clearError();
    return result;
  } catch (err) {
    reportError(err, 'Not done');
    return undefined;
  } finally {
    checkButton.disabled = addButton.disabled = false;
  }
}

async function check(source: string): Promise<void> {
  if (source.trim() === '') {
    input.focus();
    return;
  }
  const r = await busy(() => sourcesCheck(source));
  if (r !== undefined) showReport(r, false);
}

async function add(): Promise<void> {
  const source = input.value.trim();
  if (source === '') {
    input.focus();
    return;
  }
  const r = await busy(() => sourcesAdd(source));
  if (r === undefined) return;
  input.value = '';
  showReport(r, true);
  await refresh();
}

async function remove(source: string): Promise<void> {
  const view = await busy(() => sourcesRemove(source));
  if (view === undefined) return;
  report.hidden = true;
  render(view);
}

function renderRemembered(list: RememberedChoice[]): void {
  byId('remembered-list').replaceChildren(
    ...list.map((c) =>
      el('li', { class: 'source remembered-choice', attrs: { 'data-app-id': c.appId, 'data-raiser': c.raiserAppId } }, [
        el('span', { class: 'source-name', text: `${c.intent} with ${c.contextType} from ${c.raiserAppId} → ${c.appId}` }),
        el('span', { class: 'source-actions' }, [button('Remove', `Forget ${c.intent} from ${c.raiserAppId}`, () => void forget(c))]),
      ]),
    ),
  );
  byId('no-remembered').hidden = list.length > 0;
}

async function forget(choice: RememberedChoice): Promise<void> {
  const list = await busy(() => rememberedRemove(choice));
  if (list !== undefined) renderRemembered(list);
}

async function refresh(): Promise<void> {
  try {
    render(await sourcesList());
    renderRemembered(await rememberedList());
  } catch (err) {
    reportError(err, 'Cannot read the settings');
  }
}

void refreshRetention();

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void add();
});
checkButton.addEventListener('click', () => void check(input.value));
window.addEventListener('focus', () => void refresh());
void onRememberedChanged(renderRemembered).catch((err) => reportError(err, 'Live updates are off'));
void refresh();
