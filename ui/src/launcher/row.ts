// One app in the launcher: its avatar, title and description, an Open button, and its running
// instances (channel colour and name; focus and close when it is in an Interlog window).
import type { LauncherApp, LauncherInstance } from '../ipc';
import { el } from '../common/dom';

export interface RowOptions {
  selected: boolean;
  opening: boolean;
  avatar: HTMLElement;
  onOpen: () => void;
  onSelect: () => void;
  onFocus: (instanceId: string) => void;
  onClose: (instanceId: string) => void;
}

const KIND_LABEL: Record<LauncherApp['kind'], string> = {
  web: 'opens in an Interlog window',
  native: 'starts a program',
  other: 'connects by itself',
};

export function renderApp(app: LauncherApp, o: RowOptions): HTMLLIElement {
  const openButton = el('button', {
    class: 'button open-button',
    text: o.opening ? 'Opening…' : 'Open',
    attrs: { type: 'button', 'aria-label': `Open ${app.title}`, tabindex: '-1', 'data-open': app.appId },
  });
  openButton.disabled = o.opening || app.kind === 'other';
  openButton.addEventListener('click', (event) => {
    event.stopPropagation();
    o.onOpen();
  });
  const running = app.instances.length;
  const row = el('li', {
    class: `app-row${o.selected ? ' selected' : ''}`,
    id: `app-${app.appId}`,
    attrs: { role: 'option', 'aria-selected': String(o.selected), 'data-app-id': app.appId },
  }, [
    el('div', { class: 'app-main' }, [
      o.avatar,
      el('div', { class: 'app-text' }, [
        el('div', { class: 'app-title-line' }, [
          el('span', { class: 'app-title', text: app.title }),
          running > 0 ? el('span', { class: 'badge badge-ok', text: `${running} running` }) : null,
        ]),
        el('p', { class: 'app-description muted', text: app.description ?? KIND_LABEL[app.kind] }),
      ]),
      openButton,
    ]),
    running > 0 ? el('ul', { class: 'instance-list', attrs: { 'aria-label': `Running ${app.title} instances` } }, app.instances.map((i) => renderInstance(app, i, o))) : null,
  ]);
  row.addEventListener('click', o.onSelect);
  row.addEventListener('dblclick', o.onOpen);
  return row;
}

function renderInstance(app: LauncherApp, i: LauncherInstance, o: RowOptions): HTMLLIElement {
  const dot = el('span', { class: 'channel-dot', attrs: { 'aria-hidden': 'true' } });
  if (i.channel?.color != null) dot.style.backgroundColor = i.channel.color;
  else dot.classList.add('channel-none');
  const channel = i.channel === null ? 'No channel' : i.channel.name;
  const buttons = i.inWindow
    ? [
        button('Focus', `Bring ${app.title} to the front`, () => o.onFocus(i.instanceId)),
        button('Close', `Close this ${app.title} window`, () => o.onClose(i.instanceId)),
      ]
    : [el('span', { class: 'muted small', text: 'outside Interlog' })];
  return el('li', { class: 'instance', attrs: { 'data-instance-id': i.instanceId } }, [
    dot,
    el('span', { class: 'instance-channel', text: channel }),
    el('span', { class: 'instance-id mono small muted', text: i.instanceId.slice(0, 8), title: i.instanceId }),
    i.notResponding ? el('span', { class: 'badge badge-pending', text: 'not responding' }) : null,
    el('span', { class: 'instance-actions' }, buttons),
  ]);
}

function button(text: string, label: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { class: 'link-button', text, attrs: { type: 'button', 'aria-label': label } });
  b.addEventListener('click', (event) => {
    event.stopPropagation();
    onClick();
  });
  return b;
}
