// Tiny DOM helpers. Text always goes in through textContent / text nodes:
// context data comes from untrusted apps and must never be parsed as HTML.

export type Child = Node | string | number | null | undefined | false;

export interface ElOptions {
  class?: string;
  text?: string;
  title?: string;
  id?: string;
  /** Plain attributes (set with setAttribute). Never pass `style` here. */
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  opts: ElOptions = {},
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (opts.class !== undefined) node.className = opts.class;
  if (opts.id !== undefined) node.id = opts.id;
  if (opts.title !== undefined) node.title = opts.title;
  if (opts.attrs !== undefined) {
    for (const [name, value] of Object.entries(opts.attrs)) node.setAttribute(name, value);
  }
  if (opts.text !== undefined) node.textContent = opts.text;
  append(node, children);
  return node;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** getElementById that fails loudly when the page and the code disagree. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`missing #${id}`);
  return node as T;
}

export function isTextInput(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target.isContentEditable;
}
