// The filter bar under the search: the chips of the filters in force (each removable), a way to
// add one (field, then value, with suggestions), and the people the search box's text may mean.
import { type HistoryRow, type Person, historyPeople } from '../ipc';
import { el } from '../common/dom';
import { debounce } from '../common/text';
import { FIELD_LABELS, type FilterField, type Filters, MENU_FIELDS, OUTCOMES, chips, isEmpty, noFilters, withFilter, withoutFilter } from './filters';
import { PERIODS } from './period';

/** The interaction types FDC3 names in its examples, offered before any are in the ledger. */
const COMMON_TYPES = ['Instant Message', 'Call', 'Email', 'Meeting'];
const SUGGEST_DEBOUNCE_MS = 120;

export interface FilterBarHost {
  filters(): Filters;
  setFilters(next: Filters): void;
  /** The rows loaded now: their apps and types are offered as values. */
  rows(): readonly HistoryRow[];
  /** Clears the search box (its words became a participant chip). */
  clearSearch(): void;
  reportError(err: unknown, what: string): void;
}

export function personLabel(p: Person): string {
  return p.name ?? p.email ?? '';
}

export class FilterBar {
  private readonly chipList: HTMLElement;
  private readonly field: HTMLSelectElement;
  private readonly value: HTMLInputElement;
  private readonly choice: HTMLSelectElement;
  private readonly values: HTMLDataListElement;
  private readonly clear: HTMLButtonElement;
  private readonly people: HTMLElement;
  /** The people the search box's text may mean, as last suggested. */
  private suggested: Person[] = [];
  private suggestSeq = 0;

  constructor(root: HTMLElement, private readonly searchInput: HTMLInputElement, private readonly host: FilterBarHost) {
    this.chipList = el('ul', { class: 'filter-chips', id: 'filter-chips', attrs: { 'aria-label': 'Filters in force' } });
    this.field = el('select', { class: 'filter-field', id: 'filter-field', attrs: { 'aria-label': 'Add a filter on' } });
    this.field.append(new Option('Add filter…', ''), ...MENU_FIELDS.map((f) => new Option(FIELD_LABELS[f], f)));
    this.value = el('input', { class: 'filter-value', id: 'filter-value', attrs: { type: 'text', list: 'filter-values', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Filter value' } });
    this.values = el('datalist', { id: 'filter-values' });
    this.choice = el('select', { class: 'filter-choice', id: 'filter-choice', attrs: { 'aria-label': 'Filter value' } });
    const add = el('button', { class: 'button', id: 'filter-add', text: 'Add', attrs: { type: 'button' } });
    this.clear = el('button', { class: 'button link-button', id: 'filter-clear', text: 'Clear filters', attrs: { type: 'button' } });
    this.people = el('div', { class: 'people-suggest', id: 'people-suggest', attrs: { role: 'group', 'aria-label': 'People' } });
    root.replaceChildren(this.chipList, this.field, this.value, this.values, this.choice, add, this.clear);
    this.searchInput.closest('.search-wrap')?.append(this.people);

    this.field.addEventListener('change', () => this.showValueInput());
    add.addEventListener('click', () => this.addFromInputs());
    this.value.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.addFromInputs();
      }
    });
    this.value.addEventListener('input', debounce(() => void this.offerValues(), SUGGEST_DEBOUNCE_MS));
    this.choice.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.addFromInputs();
      }
    });
    this.clear.addEventListener('click', () => this.host.setFilters(noFilters()));
    this.chipList.addEventListener('click', (event) => {
      const button = (event.target as Element | null)?.closest('button[data-field]');
      if (!(button instanceof HTMLButtonElement)) return;
      this.host.setFilters(withoutFilter(this.host.filters(), button.dataset['field'] as FilterField, button.dataset['value'] ?? ''));
    });
    this.searchInput.addEventListener('input', debounce(() => void this.suggestPeople(), SUGGEST_DEBOUNCE_MS));
    this.people.addEventListener('click', (event) => {
      const button = (event.target as Element | null)?.closest('button[data-person]');
      if (button instanceof HTMLButtonElement) this.choosePerson(button.dataset['person'] ?? '');
    });
    this.showValueInput();
    this.render();
  }

  /**
   * Enter in the search box: when its words are all of a person's name or address, that person
   * becomes the participant filter (and the words leave the search). True when it did.
   */
  takeSearchAsPerson(): boolean {
    const exact = this.suggested.find((p) => p.exact);
    if (exact === undefined) return false;
    this.choosePerson(personLabel(exact));
    return true;
  }

  render(): void {
    const filters = this.host.filters();
    this.chipList.replaceChildren(
      ...chips(filters).map((chip) =>
        el('li', { class: 'chip', attrs: { 'data-field': chip.field } }, [
          el('span', { class: 'chip-text', text: chip.text }),
          el('button', { class: 'chip-remove', text: '×', title: `Remove ${chip.text}`, attrs: { type: 'button', 'aria-label': `Remove ${chip.text}`, 'data-field': chip.field, 'data-value': chip.value } }),
        ]),
      ),
    );
    this.clear.hidden = isEmpty(filters);
  }

  private selectedField(): FilterField | null {
    const f = this.field.value;
    return f === '' ? null : (f as FilterField);
  }

  private showValueInput(): void {
    const field = this.selectedField();
    const fixed = field === 'outcomes' || field === 'happened';
    this.value.hidden = field === null || fixed;
    this.choice.hidden = !fixed;
    if (field === 'outcomes') this.choice.replaceChildren(...OUTCOMES.map((o) => new Option(o.label, o.id)));
    if (field === 'happened') this.choice.replaceChildren(...PERIODS.filter((p) => p.id !== 'all').map((p) => new Option(p.label, p.id)));
    this.value.value = '';
    this.value.placeholder = field === 'participants' ? 'Name or e-mail' : field === null ? '' : FIELD_LABELS[field];
    if (field !== null) {
      void this.offerValues();
      (fixed ? this.choice : this.value).focus();
    }
  }

  private addFromInputs(): void {
    const field = this.selectedField();
    if (field === null) return;
    const value = field === 'outcomes' || field === 'happened' ? this.choice.value : this.value.value;
    const next = withFilter(this.host.filters(), field, value);
    this.value.value = '';
    this.field.value = '';
    this.showValueInput();
    if (next !== this.host.filters()) this.host.setFilters(next);
  }

  /** The values offered for the field being added: people from the ledger, apps and types seen. */
  private async offerValues(): Promise<void> {
    const field = this.selectedField();
    let offered: string[] = [];
    if (field === 'participants') {
      const typed = this.value.value.trim();
      try {
        offered = typed === '' ? [] : (await historyPeople(typed)).flatMap((p) => [p.name, p.email]).filter((v): v is string => v !== null);
      } catch (err) {
        this.host.reportError(err, 'Cannot suggest people');
      }
    } else if (field === 'raisers' || field === 'handlers' || field === 'interactionTypes') {
      const seen = new Set<string>(field === 'interactionTypes' ? COMMON_TYPES : []);
      for (const row of this.host.rows()) {
        const v = field === 'raisers' ? row.raiserApp : field === 'handlers' ? row.handlerApp : row.interactionType;
        if (v !== null) seen.add(v);
      }
      offered = [...seen].sort((a, b) => a.localeCompare(b));
    }
    this.values.replaceChildren(...[...new Set(offered)].map((v) => el('option', { attrs: { value: v } })));
  }

  /** Offers, under the search box, the people its text may mean. */
  private async suggestPeople(): Promise<void> {
    const seq = ++this.suggestSeq;
    const typed = this.searchInput.value.trim();
    let people: Person[] = [];
    if (typed.length >= 2) {
      try {
        people = await historyPeople(typed);
      } catch (err) {
        this.host.reportError(err, 'Cannot suggest people');
      }
    }
    if (seq !== this.suggestSeq) return;
    // Only people not filtered on already.
    const current = new Set(this.host.filters().participants.map((p) => p.toLowerCase()));
    this.suggested = people.filter((p) => !current.has(personLabel(p).toLowerCase())).slice(0, 4);
    this.people.replaceChildren(
      ...this.suggested.map((p) =>
        el('button', { class: `person-suggestion${p.exact ? ' exact' : ''}`, attrs: { type: 'button', 'data-person': personLabel(p) }, title: p.exact ? 'Press Enter in the search box, or click: only interactions with this person' : 'Only interactions with this person' }, [
          el('span', { class: 'person-name', text: personLabel(p) }),
          p.name !== null && p.email !== null ? el('span', { class: 'person-email', text: p.email }) : null,
          el('span', { class: 'person-count', text: `${p.raises}` }),
        ]),
      ),
    );
    this.people.hidden = this.suggested.length === 0;
  }

  private choosePerson(label: string): void {
    if (label === '') return;
    this.suggested = [];
    this.people.replaceChildren();
    this.people.hidden = true;
    this.host.clearSearch();
    this.host.setFilters(withFilter(this.host.filters(), 'participants', label));
  }
}
