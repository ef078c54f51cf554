// Defensive readers for untrusted JSON (contexts, results).

export type JsonRecord = Record<string, unknown>;

export function asRecord(value: unknown): JsonRecord | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : null;
}

export function str(obj: JsonRecord | null, key: string): string | null {
  const v = obj?.[key];
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

export function rec(obj: JsonRecord | null, key: string): JsonRecord | null {
  return asRecord(obj?.[key]);
}

export function arr(obj: JsonRecord | null, key: string): unknown[] {
  const v = obj?.[key];
  return Array.isArray(v) ? v : [];
}

export function contextType(value: unknown): string | null {
  return str(asRecord(value), 'type');
}
