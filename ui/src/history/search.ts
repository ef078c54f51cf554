// Search box: debounced server-side search, "/" to focus, Esc to clear.
import { isTextInput } from '../common/dom';
import { debounce } from '../common/text';

export const SEARCH_DEBOUNCE_MS = 150;

export function normaliseSearch(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function setupSearch(input: HTMLInputElement, onSearch: (search: string | null) => void): void {
  let last = normaliseSearch(input.value);
  const fire = (): void => {
    const next = normaliseSearch(input.value);
    if (next === last) return;
    last = next;
    onSearch(next);
  };
  const debounced = debounce(fire, SEARCH_DEBOUNCE_MS);
  input.addEventListener('input', debounced);
  // Enter searches at once.
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') fire();
  });

  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === '/' && !isTextInput(event.target)) {
      event.preventDefault();
      input.focus();
      input.select();
    } else if (event.key === 'Escape' && (event.target === input || input.value !== '')) {
      event.preventDefault();
      input.value = '';
      fire();
      input.blur();
    }
  });
}
