// App icons reach the window already fetched by the agent, as data:image URLs (the CSP
// allows images only from the app itself and data:, so the window never contacts a host an
// app directory names). Anything else, or an icon that fails to decode, falls back to a
// letter avatar.
import { el } from '../common/dom';

const PALETTE_SIZE = 8;

export function isSafeIconSrc(src: string): boolean {
  return src.trim().toLowerCase().startsWith('data:image/');
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(h);
}

export function letterAvatar(title: string, seed: string): HTMLElement {
  const letter = Array.from(title.trim())[0]?.toUpperCase() ?? '?';
  return el('span', { class: `avatar avatar-letter avatar-c${hash(seed) % PALETTE_SIZE}`, text: letter, attrs: { 'aria-hidden': 'true' } });
}

export function appAvatar(title: string, appId: string, icon: string | null): HTMLElement {
  const fallback = letterAvatar(title, appId);
  if (icon === null || !isSafeIconSrc(icon)) return fallback;
  const img = el('img', { class: 'avatar avatar-img', attrs: { alt: '', 'aria-hidden': 'true', referrerpolicy: 'no-referrer' } });
  img.addEventListener('error', () => img.replaceWith(fallback), { once: true });
  img.src = icon.trim();
  return img;
}
