// History window: live table of interactions + detail pane.
import { HISTORY_COUNT_CAP, type HistoryRow, type HistorySearch, historyCount, historyDetail, historyResend, historyUnconfirmed, ledgerHealth, onHistoryChanged, onHistorySearch, onLedgerHealth, raiseExample, windowShow } from '../ipc';
import { byId, isTextInput } from '../common/dom';
import { clearError, reportError, showError } from '../common/error-banner';
import { countText } from './format';
import { type DetailActions, openDetails, renderDetail, renderDetailPlaceholder, restoreDetails } from './detail';
import { PERIODS, isPeriodId, periodLabel } from './period';
import { FilterBar } from './filter-bar';
import { type Filters, isEmpty, loadFilters, saveFilters, withFilter, withoutFilter } from './filters';
import { HistoryChart } from './chart';
import { ExportDialog } from './export-dialog';
import { setupSearch } from './search';
import { HistoryStore, type RowsChange } from './store';
import { HistoryTable } from './table';

const EMPTY_TEXT = "No interactions yet. Raise one from an app, or press 'Raise example interaction'.";
const LOAD_MORE_MARGIN_PX = 240;
const PAGE_STEP = 10;

const searchInput = byId<HTMLInputElement>('search');
const periodSelect = byId<HTMLSelectElement>('period');
const raiseButton = byId<HTMLButtonElement>('raise-example');
const countLabel = byId('row-count');
const tablePane = byId('table-pane');
const emptyState = byId('empty-state');
const loadMoreButton = byId<HTMLButtonElement>('load-more');
const detailPane = byId('detail');

let selectedId: number | null = null;
/** The selected row as last rendered; its detail is re-read when the row changes. */
let selectedRowJson: string | null = null;
/** raiseKey of an example we raised; selected as soon as its row shows up. */
let pendingRaiseKey: string | null = null;
let detailSeq = 0;

const table = new HistoryTable(byId<HTMLTableElement>('history-table'), (id) => select(id, false));
const store = new HistoryStore({ onRows: renderRows, onError: (err, what) => reportError(err, what, 'list') });

function renderRows(rows: HistoryRow[], change: RowsChange): void {
  clearError('list');
  // A new search or period that leaves the selected row out drops the selection with it, so
  // the detail pane never shows a row the list does not.
  if (change === 'search' && selectedId !== null && !rows.some((r) => r.id === selectedId)) {
    selectedId = null;
    selectedRowJson = null;
    detailPane.replaceChildren(...renderDetailPlaceholder('Select an interaction to see its details.'));
  }
  table.render(rows, selectedId);
  const selectedRow = rows.find((r) => r.id === selectedId);
  if (selectedRow !== undefined) {
    const json = JSON.stringify(selectedRow);
    // The selected raise moved on (delivered, answered, failed): its detail is stale.
    if (selectedRowJson !== null && json !== selectedRowJson) void loadDetail(selectedRow.id, true);
    selectedRowJson = json;
  }
  if (change === 'search') tablePane.scrollTop = 0;
  if (change !== 'more') chart?.refresh(change === 'search');
  const period = store.period === 'all' ? null : periodLabel(store.period);
  const matching = store.search !== null || !isEmpty(store.filters) || store.unconfirmed;
  // The rows shown until the count comes (a page that is not full is all there is).
  if (change !== 'more' || !store.hasMore) {
    countLabel.textContent = countText(rows.length, store.hasMore, matching, period);
    if (store.hasMore) void showCount(matching, period);
  }
  emptyState.hidden = rows.length > 0;
  emptyState.textContent = emptyText(store.search, period, !isEmpty(store.filters) || store.unconfirmed);
  table.table.hidden = rows.length === 0;
  loadMoreButton.hidden = !store.hasMore;
  detailPane.hidden = rows.length === 0 && selectedId === null;

  if (pendingRaiseKey !== null) {
    const raised = table.findByRaiseKey(pendingRaiseKey);
    if (raised !== undefined) {
      pendingRaiseKey = null;
      select(raised.id, true);
      return;
    }
  }
  if (selectedId === null && rows[0] !== undefined) select(rows[0].id, false);
  maybeLoadMore();
}

function emptyText(search: string | null, period: string | null, filtered: boolean): string {
  if (search === null && period === null && !filtered) return EMPTY_TEXT;
  const when = period === null ? '' : ` ${period.toLowerCase()}`;
  const these = filtered ? ' with these filters' : '';
  return search === null ? `No interactions${when}${these}.` : `No interactions${when}${these} match “${search}”.`;
}

let countSeq = 0;

/** How many rows the query selects in all (the page shows the first of them). */
async function showCount(matching: boolean, period: string | null): Promise<void> {
  const seq = ++countSeq;
  try {
    const n = await historyCount(store.currentQuery(0));
    if (seq !== countSeq) return;
    countLabel.textContent = countText(n, n >= HISTORY_COUNT_CAP, matching, period);
  } catch (err) {
    reportError(err, 'Cannot count the interactions');
  }
}

let filterBar: FilterBar | null = null;
let chart: HistoryChart | null = null;

function setFilters(next: Filters): void {
  saveFilters(next);
  void store.setFilters(next);
  filterBar?.render();
}

/** While the ledger cannot write, the user must know: raises wait for it, none goes unrecorded. */
function showLedgerHealth(problem: string | null): void {
  if (problem === null) clearError('ledger');
  else showError(`Interlog cannot write its history (${problem}). Raises are held, not lost, until it can: check the disk and other programs using the database.`, 'ledger');
}

async function watchLedgerHealth(): Promise<void> {
  try {
    await onLedgerHealth(showLedgerHealth);
    showLedgerHealth(await ledgerHealth());
  } catch (err) {
    reportError(err, 'Cannot watch the ledger');
  }
}

function setupPeriod(): void {
  periodSelect.replaceChildren(...PERIODS.map((p) => new Option(p.label, p.id)));
  periodSelect.value = store.period;
  periodSelect.addEventListener('change', () => {
    const value = periodSelect.value;
    if (isPeriodId(value)) void store.setPeriod(value);
  });
}

function select(id: number, scroll: boolean): void {
  const changed = id !== selectedId;
  selectedId = id;
  selectedRowJson = JSON.stringify(table.rowAt(table.indexOf(id)) ?? null);
  table.highlight(id, scroll);
  if (changed) void loadDetail(id, false);
}

/** The raise just re-sent: its detail is read again as the history changes, to show the link. */
let resentFrom: number | null = null;

const detailActions: DetailActions = {
  openRaise(id: number): void {
    if (table.indexOf(id) !== -1) {
      select(id, true);
      return;
    }
    // Not on the page loaded (filtered out, or further down): its detail all the same.
    selectedId = id;
    selectedRowJson = null;
    table.highlight(null, false);
    void loadDetail(id, false);
  },
  resend(id: number): void {
    void historyResend(id).then(
      () => {
        resentFrom = id;
        clearError('detail');
      },
      (err: unknown) => reportError(err, 'Could not re-send the interaction', 'detail'),
    );
  },
};

async function loadDetail(id: number, keepOpen: boolean): Promise<void> {
  const seq = ++detailSeq;
  const open = keepOpen ? openDetails(detailPane) : new Set<string>();
  const scrollTop = detailPane.scrollTop;
  try {
    const detail = await historyDetail(id);
    if (seq !== detailSeq) return;
    clearError('detail');
    detailPane.replaceChildren(...(detail === null ? renderDetailPlaceholder('This interaction is no longer in the history.') : renderDetail(detail, detailActions)));
    if (keepOpen) {
      restoreDetails(detailPane, open);
      detailPane.scrollTop = scrollTop;
    } else {
      detailPane.scrollTop = 0;
    }
  } catch (err) {
    if (seq === detailSeq) reportError(err, 'Could not load the interaction', 'detail');
  }
}

function moveSelection(delta: number | 'first' | 'last'): void {
  if (table.length === 0) return;
  const current = table.indexOf(selectedId);
  let index: number;
  if (delta === 'first') index = 0;
  else if (delta === 'last') index = table.length - 1;
  else if (current === -1) index = 0;
  else index = Math.min(table.length - 1, Math.max(0, current + delta));
  const row = table.rowAt(index);
  if (row !== undefined) select(row.id, true);
  if (index >= table.length - 1) void store.loadMore();
}

function onKeyDown(event: KeyboardEvent): void {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const inSearch = event.target === searchInput;
  // The period list keeps its own arrow keys.
  if ((isTextInput(event.target) && !inSearch) || event.target instanceof HTMLSelectElement) return;
  const moves: Record<string, number | 'first' | 'last'> = { ArrowDown: 1, ArrowUp: -1, PageDown: PAGE_STEP, PageUp: -PAGE_STEP };
  // Home/End stay with the search box's caret while it has focus.
  if (!inSearch) Object.assign(moves, { Home: 'first', End: 'last' });
  const move = moves[event.key];
  if (move === undefined) return;
  event.preventDefault();
  moveSelection(move);
}

function maybeLoadMore(): void {
  const remaining = tablePane.scrollHeight - tablePane.scrollTop - tablePane.clientHeight;
  if (store.hasMore && remaining < LOAD_MORE_MARGIN_PX) void store.loadMore();
}

async function onRaiseExample(): Promise<void> {
  raiseButton.disabled = true;
  try {
    const { raiseKey } = await raiseExample();
    pendingRaiseKey = raiseKey;
    const row = table.findByRaiseKey(raiseKey);
    if (row !== undefined) {
      pendingRaiseKey = null;
      select(row.id, true);
    }
  } catch (err) {
    reportError(err, 'Could not raise the example interaction');
  } finally {
    raiseButton.disabled = false;
  }
}

const unconfirmedButton = byId<HTMLButtonElement>('unconfirmed');

/** The badge: how many interactions no handler confirmed; pressed, only they are listed. */
async function showUnconfirmed(): Promise<void> {
  try {
    const n = await historyUnconfirmed();
    unconfirmedButton.textContent = `${n} unconfirmed`;
    unconfirmedButton.hidden = n === 0 && !store.unconfirmed;
    unconfirmedButton.setAttribute('aria-pressed', String(store.unconfirmed));
    unconfirmedButton.classList.toggle('pressed', store.unconfirmed);
  } catch (err) {
    reportError(err, 'Cannot count the unconfirmed interactions');
  }
}

/** An app asked for a contact's interactions (ViewInteractions): search for it, any time. */
function showSearch(asked: HistorySearch): void {
  searchInput.value = asked.search;
  periodSelect.value = 'all';
  void store.setPeriod('all').then(() => store.setSearch(asked.search));
  searchInput.title = asked.title === null ? '' : `Interactions with ${asked.title}`;
}

async function start(): Promise<void> {
  unconfirmedButton.addEventListener('click', () => {
    void store.setUnconfirmed(!store.unconfirmed).then(showUnconfirmed);
  });
  void showUnconfirmed();
  byId('show-launcher').addEventListener('click', () => void windowShow('launcher').catch((err) => reportError(err, 'Cannot show the apps')));
  try {
    await onHistorySearch(showSearch);
  } catch (err) {
    reportError(err, 'Apps cannot open the history on a contact');
  }
  detailPane.replaceChildren(...renderDetailPlaceholder('Select an interaction to see its details.'));
  store.filters = loadFilters();
  let clearSearch = (): void => undefined;
  filterBar = new FilterBar(byId('filter-bar'), searchInput, {
    filters: () => store.filters,
    setFilters,
    rows: () => store.rows,
    clearSearch: () => clearSearch(),
    reportError: (err, what) => reportError(err, what),
  });
  clearSearch = setupSearch(searchInput, (search) => void store.setSearch(search), () => filterBar?.takeSearchAsPerson() ?? false);
  setupPeriod();
  chart = new HistoryChart(byId('chart'), {
    query: () => store.chartQuery(),
    pickedDay: () => store.filters.day,
    pickDay: (day) => setFilters(day === null ? withoutFilter(store.filters, 'day', '') : withFilter(store.filters, 'day', day)),
    reportError: (err, what) => reportError(err, what),
  });
  new ExportDialog(byId<HTMLButtonElement>('export'), {
    query: () => store.currentQuery(0),
    describe: () => countLabel.textContent ?? '',
  });
  void watchLedgerHealth();
  document.addEventListener('keydown', onKeyDown);
  tablePane.addEventListener('scroll', maybeLoadMore, { passive: true });
  loadMoreButton.addEventListener('click', () => void store.loadMore());
  raiseButton.addEventListener('click', () => void onRaiseExample());
  const applyChange = (): void => {
    void store.refresh();
    void showUnconfirmed();
    if (resentFrom !== null && resentFrom === selectedId) void loadDetail(resentFrom, true);
  };
  // While the window is hidden nobody reads it: it catches up when shown. Re-reading a large ledger
  // at every raise would also hold up the resolver dialog, whose page shares this one's process.
  let changedWhileHidden = false;
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && changedWhileHidden) {
      changedWhileHidden = false;
      applyChange();
    }
  });
  try {
    await onHistoryChanged(() => {
      if (document.visibilityState === 'hidden') changedWhileHidden = true;
      else applyChange();
    });
  } catch (err) {
    reportError(err, 'Live updates are off');
  }
  await store.setSearch(null);
}

void start();
