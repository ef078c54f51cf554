// Interlog's channel selector in an app window: a small badge in the bottom-right corner with
// the window's user channel (colour and name). Clicking it, or focusing it and pressing Enter,
// opens the list of user channels; arrows move, Enter joins, Escape closes. It lives in a
// shadow root so the page's styles cannot reach it, and it is the official proxy's
// ChannelSelector: a choice here goes through the proxy (`joinUserChannel`), and every change
// the agent reports (including the app's own joins and leaves) is shown here.

import type { Channel, ChannelSelector } from '@finos/fdc3-standard';

const STYLE = `
:host { all: initial; }
.wrap { position: fixed; right: 10px; bottom: 10px; z-index: 2147483647;
  font: 13px/1.3 system-ui, -apple-system, "Segoe UI", Roboto, Cantarell, sans-serif; color: #1f2430; }
button.badge { display: flex; align-items: center; gap: 7px; padding: 5px 11px 5px 8px;
  border: 1px solid #c9ced8; border-radius: 999px; background: #fff; color: inherit; font: inherit;
  box-shadow: 0 1px 4px rgba(0,0,0,.18); cursor: pointer; }
button.badge:focus-visible, li:focus-visible { outline: 2px solid #2f6fde; outline-offset: 2px; }
.dot { width: 12px; height: 12px; border-radius: 50%; border: 1px solid rgba(0,0,0,.25); flex: none; }
.dot.none { background: repeating-linear-gradient(45deg, #e3e6ec 0 3px, #fff 3px 6px); }
ul { position: absolute; right: 0; bottom: 38px; margin: 0; padding: 4px; list-style: none; min-width: 190px;
  background: #fff; border: 1px solid #c9ced8; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.22); }
ul[hidden] { display: none; }
li { display: flex; align-items: center; gap: 8px; padding: 6px 8px; border-radius: 5px; cursor: pointer; }
li[aria-selected="true"] { background: #e8effc; }
li .check { margin-left: auto; color: #2f6fde; font-weight: 600; }
.title { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: #697080; padding: 4px 8px 2px; }
`;

interface Choice {
  id: string | null;
  name: string;
  color: string | null;
}

export class WindowChannelSelector implements ChannelSelector {
  private callback: (channelId: string | null) => void = () => {};
  private channels: Channel[] = [];
  private current: string | null = null;
  private host: HTMLElement | null = null;
  private badge: HTMLButtonElement | null = null;
  private list: HTMLUListElement | null = null;
  private active = 0;

  constructor(private readonly loadChannels: () => Promise<Channel[]>) {}

  async connect(): Promise<void> {
    const mount = () => this.mount();
    if (document.documentElement) mount();
    else document.addEventListener('readystatechange', mount, { once: true });
    try {
      this.channels = await this.loadChannels();
      this.render();
    } catch (e) {
      console.error('Interlog: could not read the user channels', e);
    }
  }

  async disconnect(): Promise<void> {
    this.host?.remove();
  }

  async updateChannel(channelId: string | null, availableChannels: Channel[]): Promise<void> {
    this.current = channelId;
    if (availableChannels.length > 0) this.channels = availableChannels;
    this.render();
  }

  setChannelChangeCallback(callback: (channelId: string | null) => void): void {
    this.callback = callback;
  }

  private choices(): Choice[] {
    const user = this.channels.map(c => ({
      id: c.id,
      name: c.displayMetadata?.name ?? c.id,
      color: c.displayMetadata?.color ?? null,
    }));
    return [...user, { id: null, name: 'No channel', color: null }];
  }

  private mount(): void {
    if (this.host) return;
    const host = document.createElement('interlog-channel-selector');
    const root = host.attachShadow({ mode: 'open' });
    const wrap = document.createElement('div');
    wrap.className = 'wrap';
    const badge = document.createElement('button');
    badge.className = 'badge';
    badge.type = 'button';
    badge.setAttribute('aria-haspopup', 'listbox');
    badge.setAttribute('aria-expanded', 'false');
    badge.addEventListener('click', () => this.toggle());
    badge.addEventListener('keydown', e => {
      if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
        e.preventDefault();
        this.open();
      }
    });
    const list = document.createElement('ul');
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', 'User channel');
    list.tabIndex = -1;
    list.hidden = true;
    list.addEventListener('keydown', e => this.onListKey(e));
    wrap.append(list, badge);
    // A constructed sheet, not a <style>: a page's CSP may forbid inline styles.
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
    } catch {
      const style = document.createElement('style');
      style.textContent = STYLE;
      root.append(style);
    }
    root.append(wrap);
    document.documentElement.append(host);
    this.host = host;
    this.badge = badge;
    this.list = list;
    this.render();
  }

  private render(): void {
    const { badge, list } = this;
    if (!badge || !list) return;
    const choices = this.choices();
    const current = choices.find(c => c.id === this.current) ?? choices[choices.length - 1]!;
    badge.replaceChildren(dot(current), document.createTextNode(current.id ? current.name : 'No channel'));
    badge.title = 'User channel: ' + current.name + ' (click to change)';
    badge.dataset['channel'] = current.id ?? '';
    const title = document.createElement('li');
    title.className = 'title';
    title.setAttribute('role', 'presentation');
    title.textContent = 'Join a channel';
    const items = choices.map((c, i) => {
      const li = document.createElement('li');
      li.setAttribute('role', 'option');
      li.dataset['channel'] = c.id ?? '';
      li.setAttribute('aria-selected', String(i === this.active));
      li.append(dot(c), document.createTextNode(c.name));
      if (c.id === this.current) {
        const check = document.createElement('span');
        check.className = 'check';
        check.textContent = '✓';
        li.append(check);
      }
      li.addEventListener('click', () => this.choose(c.id));
      li.addEventListener('mousemove', () => this.highlight(i));
      return li;
    });
    list.replaceChildren(title, ...items);
  }

  private toggle(): void {
    if (this.list?.hidden) this.open();
    else this.close();
  }

  private open(): void {
    if (!this.list || !this.badge) return;
    const choices = this.choices();
    this.active = Math.max(0, choices.findIndex(c => c.id === this.current));
    this.list.hidden = false;
    this.badge.setAttribute('aria-expanded', 'true');
    this.render();
    this.list.focus();
  }

  private close(): void {
    if (!this.list || !this.badge) return;
    this.list.hidden = true;
    this.badge.setAttribute('aria-expanded', 'false');
    this.badge.focus();
  }

  private highlight(i: number): void {
    this.active = i;
    this.list?.querySelectorAll('li[role="option"]').forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
  }

  private onListKey(e: KeyboardEvent): void {
    const n = this.choices().length;
    if (e.key === 'ArrowDown') this.highlight((this.active + 1) % n);
    else if (e.key === 'ArrowUp') this.highlight((this.active + n - 1) % n);
    else if (e.key === 'Home') this.highlight(0);
    else if (e.key === 'End') this.highlight(n - 1);
    else if (e.key === 'Enter' || e.key === ' ') this.choose(this.choices()[this.active]?.id ?? null);
    else if (e.key === 'Escape' || e.key === 'Tab') this.close();
    else return;
    e.preventDefault();
    e.stopPropagation();
  }

  private choose(id: string | null): void {
    this.close();
    if (id !== this.current) this.callback(id);
  }
}

function dot(c: Choice): HTMLSpanElement {
  const d = document.createElement('span');
  d.className = c.color ? 'dot' : 'dot none';
  if (c.color) d.style.background = c.color;
  return d;
}
