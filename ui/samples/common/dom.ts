// Small DOM helpers. Text goes in as text, never as HTML: contexts come from other apps.

export type Child = Node | string | null | undefined | false;

export interface ElOptions {
  id?: string;
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  opts: ElOptions = {},
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (opts.id !== undefined) node.id = opts.id;
  if (opts.class !== undefined) node.className = opts.class;
  if (opts.attrs !== undefined) {
    for (const [name, value] of Object.entries(opts.attrs)) node.setAttribute(name, value);
  }
  if (opts.text !== undefined) node.textContent = opts.text;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

/** The element with this id, of the expected kind; throws if the page lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(
  id: string,
  kind: new () => T = HTMLElement as unknown as new () => T,
): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`The page has no #${id} element of the expected kind`);
  return node;
}

/** Replaces the children of `parent`. */
export function setChildren(parent: Element, children: readonly Child[]): void {
  parent.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}
