import { el } from './dom';

// A single visible error banner at the top of the page (never alert()).
// Expects an empty `<div id="error-banner" role="alert" hidden>` in the page.
// Each error has a source, so a later success of the same kind can clear it
// without hiding an unrelated error.

let currentSource: string | null = null;

function banner(): HTMLElement | null {
  return document.getElementById('error-banner');
}

export function showError(message: string, source = 'general'): void {
  const node = banner();
  if (node === null) return;
  const close = el('button', { class: 'banner-close', text: '×', title: 'Dismiss', attrs: { type: 'button', 'aria-label': 'Dismiss error' } });
  close.addEventListener('click', () => clearError());
  node.replaceChildren(el('span', { class: 'banner-text', text: message }), close);
  node.hidden = false;
  currentSource = source;
}

/** Hides the banner; with a source, only if the banner shows an error from that source. */
export function clearError(source?: string): void {
  const node = banner();
  if (node === null || (source !== undefined && source !== currentSource)) return;
  node.hidden = true;
  node.replaceChildren();
  currentSource = null;
}

/** Shows a rejected promise's message (see ipc's IpcError: `{ code, message }`). */
export function reportError(err: unknown, what: string, source = 'general'): void {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : 'unknown error';
  showError(`${what}: ${message}`, source);
}
