// Mirror of the Rust serde types exchanged with the backend (camelCase).
// Keep in sync with the command and event definitions in src-tauri.

export interface AppRef {
  appId: string;
  instanceId: string | null;
}

export type HistoryState = 'raised' | 'resolved' | 'delivered' | 'completed' | 'failed';

export interface HistoryRow {
  id: number;
  raiseKey: string;
  raisedAtMs: number;
  intent: string | null;
  contextType: string;
  interactionType: string | null;
  participants: string[];
  description: string | null;
  raiserApp: string;
  raiserInstance: string;
  handlerApp: string | null;
  handlerInstance: string | null;
  resolution: string | null;
  state: HistoryState;
  resultStatus: string | null;
  error: string | null;
  recordId: string | null;
}

export interface HistoryDetail {
  row: HistoryRow;
  context: unknown;
  target: unknown | null;
  candidates: unknown;
  result: unknown | null;
  resultMessage: string | null;
  resolvedAtMs: number | null;
  deliveredAtMs: number | null;
  completedAtMs: number | null;
  requestUuid: string;
}

export interface HistoryQuery {
  search: string | null;
  limit: number;
  /** Keyset paging: only rows with an id below this one. */
  beforeId: number | null;
}

export interface ResolverRaiser {
  appId: string;
  title: string;
  instanceId: string;
}

export interface ResolverOption {
  /** Opaque index to send back in resolver_choose. */
  option: number;
  intent: string;
  /** null: start a new instance. */
  instanceId: string | null;
  label: string;
}

export interface ResolverApp {
  appId: string;
  title: string;
  description: string | null;
  icon: string | null;
  options: ResolverOption[];
}

export interface ResolverView {
  id: string;
  /** null for raiseIntentForContext: each option carries its own intent. */
  intent: string | null;
  raiser: ResolverRaiser;
  context: unknown;
  /** Epoch milliseconds. */
  deadlineMs: number;
  timeoutMs: number;
  /** Further requests waiting behind this one. */
  queued: number;
  apps: ResolverApp[];
}

export type ResolverChoice = { kind: 'pick'; option: number } | { kind: 'cancel' };

export interface RaiseExampleResult {
  raiseKey: string;
}

export interface HistoryChangedEvent {
  id: number;
}

/** The shape every command rejects with. */
export interface IpcErrorPayload {
  code: string;
  message: string;
}
