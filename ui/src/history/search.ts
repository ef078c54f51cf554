// Search box: debounced server-side search, "/" to focus, Esc to clear.
import { isTextInput } from '../common/dom';
import { debounce } from '../common/text';

export const SEARCH_DEBOUNCE_MS = 150;

export function normaliseSearch(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * Wires the search box. `onEnter` may take Enter for itself (true: the words became a filter).
 * Returns a function that empties the box and searches for nothing.
 */
export function setupSearch(input: HTMLInputElement, onSearch: (search: string | null) => void, onEnter: () => boolean = () => false): () => void {
  let last = normaliseSearch(input.value);
  const fire = (): void => {
    const next = normaliseSearch(input.value);
    if (next === last) return;
    last = next;
    onSearch(next);
  };
  const debounced = debounce(fire, SEARCH_DEBOUNCE_MS);
  input.addEventListener('input', debounced);
  // Enter searches at once (unless the words are a person, who becomes a filter).
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !onEnter()) fire();
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
  return () => {
    input.value = '';
    fire();
  };
}
