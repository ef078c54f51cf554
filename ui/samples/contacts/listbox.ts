// A single-select listbox: focus stays on the list, arrow keys (and Home, End) move the
// highlighted option, Enter or Space or a click chooses it.

import { el, setChildren } from '../common/dom';

export interface ListboxOption {
  /** Unique; also the DOM id suffix. */
  key: string;
  attrs: Record<string, string>;
  content: (Node | string)[];
}

export class Listbox {
  private active = -1;
  private chosen = -1;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: readonly ListboxOption[],
    private readonly onChoose: (index: number) => void,
  ) {
    root.setAttribute('role', 'listbox');
    root.tabIndex = 0;
    setChildren(root, options.map((o, i) => {
      const item = el('li', { id: `${root.id}-option-${o.key}`, class: 'option', attrs: { ...o.attrs, role: 'option', 'aria-selected': 'false' } }, o.content);
      item.addEventListener('click', () => {
        this.moveTo(i);
        this.choose(i);
        root.focus();
      });
      return item;
    }));
    root.addEventListener('keydown', e => this.onKey(e));
    root.addEventListener('focus', () => {
      if (this.active < 0) this.moveTo(Math.max(this.chosen, 0));
    });
  }

  private item(i: number): HTMLElement | undefined {
    return this.root.children[i] as HTMLElement | undefined;
  }

  private moveTo(i: number): void {
    const target = this.item(i);
    if (!target) return;
    this.item(this.active)?.classList.remove('is-active');
    this.active = i;
    target.classList.add('is-active');
    this.root.setAttribute('aria-activedescendant', target.id);
    target.scrollIntoView({ block: 'nearest' });
  }

  private choose(i: number): void {
    const target = this.item(i);
    if (!target) return;
    this.item(this.chosen)?.setAttribute('aria-selected', 'false');
    this.chosen = i;
    target.setAttribute('aria-selected', 'true');
    this.onChoose(i);
  }

  private onKey(e: KeyboardEvent): void {
    const last = this.options.length - 1;
    const moves: Record<string, number> = {
      ArrowDown: Math.min(this.active + 1, last),
      ArrowUp: Math.max(this.active - 1, 0),
      Home: 0,
      End: last,
    };
    const to = moves[e.key];
    if (to !== undefined) {
      e.preventDefault();
      this.moveTo(to);
    } else if ((e.key === 'Enter' || e.key === ' ') && this.active >= 0) {
      e.preventDefault();
      this.choose(this.active);
    }
  }
}
