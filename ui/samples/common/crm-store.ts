// A sample CRM's records, kept in localStorage under the app's own keys (all sample apps share
// one origin, so the keys carry the app id).

export const MAX_RECORDS = 200;

export interface CrmRecord {
  /** Unique within the app, also for rejected entries. */
  key: string;
  state: 'created' | 'failed';
  /** The CRM's id for a created record ("HB-000042"); null for a rejection. */
  recordId: string | null;
  /** "Instant Message", "Contact list: 3 contacts", … */
  title: string;
  participants: string[];
  description: string;
  /** When the interaction happened (ISO start and end), if the context said. */
  startTime: string | null;
  endTime: string | null;
  raisedBy: string;
  loggedAt: string;
  /** Why it failed, for a rejection. */
  message: string | null;
}

function isRecord(v: unknown): v is CrmRecord {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return typeof r['key'] === 'string' && (r['state'] === 'created' || r['state'] === 'failed')
    && typeof r['title'] === 'string' && Array.isArray(r['participants']) && typeof r['loggedAt'] === 'string';
}

export class CrmStore {
  private records: CrmRecord[];
  private seq: number;

  constructor(private readonly appId: string) {
    const stored = this.read(`${appId}.records`);
    this.records = Array.isArray(stored) ? stored.filter(isRecord).slice(0, MAX_RECORDS) : [];
    const seq = this.read(`${appId}.seq`);
    this.seq = typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 ? seq : this.records.length;
  }

  /** Newest first. */
  all(): readonly CrmRecord[] {
    return this.records;
  }

  /** The next record number (1, 2, …), counted across restarts and clears. */
  nextNumber(): number {
    this.seq += 1;
    this.write(`${this.appId}.seq`, this.seq);
    return this.seq;
  }

  add(record: CrmRecord): void {
    this.records = [record, ...this.records].slice(0, MAX_RECORDS);
    this.write(`${this.appId}.records`, this.records);
  }

  clear(): void {
    this.records = [];
    this.write(`${this.appId}.records`, this.records);
  }

  private read(key: string): unknown {
    try {
      const text = localStorage.getItem(key);
      return text === null ? null : (JSON.parse(text) as unknown);
    } catch {
      return null;
    }
  }

  private write(key: string, value: unknown): void {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      console.warn(`Could not save ${key}; records are kept for this session only`, e);
    }
  }
}
