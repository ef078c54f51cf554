// Formatting shared by the samples.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "14:05" for a Date or an ISO string; "" when it is not a time. */
export function clockTime(when: Date | string): string {
  const d = typeof when === 'string' ? new Date(when) : when;
  return Number.isNaN(d.getTime()) ? '' : timeFormat.format(d);
}

export function dateTime(when: Date | string): string {
  const d = typeof when === 'string' ? new Date(when) : when;
  return Number.isNaN(d.getTime()) ? '' : dateTimeFormat.format(d);
}

/** A context's `id` as "key: value" pairs, e.g. "harborId: HB-000042". */
export function idPairs(id: unknown): string {
  if (id === null || typeof id !== 'object') return '';
  return Object.entries(id as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** Cuts text to `max` characters, ending with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "JD" for "Jane Doe". */
export function initials(name: string): string {
  return name.split(/\s+/).map(w => w.charAt(0)).join('').slice(0, 2).toUpperCase();
}
