// The options listbox: apps as groups, one option per ResolverOption.
// Focus stays on the listbox; the selected option is its aria-activedescendant.
import type { ResolverApp, ResolverOption, ResolverView } from '../ipc';
import { el } from '../common/dom';
import { shorten } from '../common/text';
import { appAvatar } from '../common/avatar';

export interface ListboxHandlers {
  onPick(option: number): void;
  onCancel(): void;
}

function optionId(option: number): string {
  return `resolver-opt-${option}`;
}

function optionElement(app: ResolverApp, opt: ResolverOption, showIntent: boolean): HTMLElement {
  const isNew = opt.instanceId === null;
  return el(
    'div',
    {
      class: 'resolver-option',
      id: optionId(opt.option),
      title: isNew ? `${opt.label}\nStart a new ${app.title}` : `${opt.label}\nInstance ${opt.instanceId ?? ''}`,
      attrs: { role: 'option', tabindex: '-1', 'aria-selected': 'false', 'data-option': String(opt.option), 'data-app-id': app.appId },
    },
    [
      el('span', { class: 'option-label', text: opt.label }),
      showIntent ? el('span', { class: 'tag tag-intent', text: opt.intent }) : null,
      el('span', { class: `tag ${isNew ? 'tag-new' : 'tag-running'}`, text: isNew ? 'new' : 'running' }),
    ],
  );
}

function groupElement(app: ResolverApp, index: number, showIntent: boolean): HTMLElement {
  const headerId = `resolver-app-${index}`;
  const description = app.description ?? '';
  return el('div', { class: 'resolver-group', attrs: { role: 'group', 'aria-labelledby': headerId } }, [
    el('div', { class: 'app-header', id: headerId, attrs: { role: 'presentation' } }, [
      appAvatar(app.title, app.appId, app.icon),
      el('div', { class: 'app-text' }, [
        el('div', { class: 'app-title-line' }, [el('span', { class: 'app-title', text: app.title }), el('span', { class: 'app-id', text: app.appId })]),
        description !== '' ? el('div', { class: 'app-description', text: shorten(description, 110), title: description }) : null,
      ]),
    ]),
    ...app.options.map((opt) => optionElement(app, opt, showIntent)),
  ]);
}

export class OptionList {
  private options: HTMLElement[] = [];
  private index = -1;
  disabled = false;

  constructor(
    readonly root: HTMLElement,
    private readonly handlers: ListboxHandlers,
  ) {
    root.addEventListener('keydown', (event) => this.onKey(event));
    // Keep focus on the listbox when clicking an option; a click picks it.
    root.addEventListener('mousedown', (event) => {
      if ((event.target as Element | null)?.closest('.resolver-option') !== null) event.preventDefault();
    });
    root.addEventListener('click', (event) => {
      const node = (event.target as Element | null)?.closest('.resolver-option');
      const i = node instanceof HTMLElement ? this.options.indexOf(node) : -1;
      if (i < 0) return;
      this.select(i);
      this.root.focus();
      this.pickSelected();
    });
  }

  render(view: ResolverView): void {
    const showIntent = view.intent === null;
    this.root.replaceChildren(...view.apps.map((app, i) => groupElement(app, i, showIntent)));
    this.options = Array.from(this.root.querySelectorAll<HTMLElement>('.resolver-option'));
    if (this.options.length === 0) {
      this.root.append(el('p', { class: 'muted listbox-empty', text: 'No app can handle this request.' }));
    }
    this.index = -1;
    this.select(0);
    this.root.scrollTop = 0;
  }

  get count(): number {
    return this.options.length;
  }

  selectedOption(): number | null {
    const node = this.options[this.index];
    const value = node === undefined ? NaN : Number(node.dataset['option']);
    return Number.isFinite(value) ? value : null;
  }

  select(i: number): void {
    if (this.options.length === 0) {
      this.index = -1;
      this.root.removeAttribute('aria-activedescendant');
      return;
    }
    const n = this.options.length;
    this.index = ((i % n) + n) % n;
    this.options.forEach((node, k) => {
      const selected = k === this.index;
      node.setAttribute('aria-selected', String(selected));
      node.classList.toggle('selected', selected);
    });
    const current = this.options[this.index];
    if (current !== undefined) {
      this.root.setAttribute('aria-activedescendant', current.id);
      current.scrollIntoView({ block: 'nearest' });
    }
  }

  pickSelected(): void {
    const option = this.selectedOption();
    if (option !== null && !this.disabled) this.handlers.onPick(option);
  }

  /** Keys for the listbox; also used for keys that land on <body>. */
  onKey(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    switch (event.key) {
      case 'ArrowDown':
        this.select(this.index + 1);
        break;
      case 'ArrowUp':
        this.select(this.index - 1);
        break;
      case 'Home':
        this.select(0);
        break;
      case 'End':
        this.select(this.options.length - 1);
        break;
      case 'Enter':
        this.pickSelected();
        break;
      case 'Escape':
        if (!this.disabled) this.handlers.onCancel();
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  }
}
