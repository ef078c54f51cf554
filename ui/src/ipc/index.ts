// The only module that talks to Tauri. Everything else goes through these
// typed functions, so the contract with the Rust side lives in one place.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  HistoryDetail,
  HistoryQuery,
  HistoryRow,
  IpcErrorPayload,
  RaiseExampleResult,
  ResolverChoice,
  ResolverView,
} from './types';

export type * from './types';
export type { UnlistenFn };

/** A rejected command, normalised to `{ code, message }`. */
export class IpcError extends Error implements IpcErrorPayload {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'IpcError';
    this.code = code;
  }
}

function isErrorPayload(value: unknown): value is IpcErrorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['code'] === 'string' && typeof v['message'] === 'string';
}

/** Turns whatever a command rejected with into an IpcError. */
export function toIpcError(reason: unknown): IpcError {
  if (reason instanceof IpcError) return reason;
  if (isErrorPayload(reason)) return new IpcError(reason.code, reason.message);
  // Tauri itself rejects with a plain string (unknown command, denied by ACL, ...).
  if (typeof reason === 'string') return new IpcError('ipc', reason);
  if (reason instanceof Error) return new IpcError('ipc', reason.message);
  return new IpcError('ipc', 'Unexpected error from the agent');
}

async function call<T>(command: string, args: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toIpcError(reason);
  }
}

// ---- commands -------------------------------------------------------------

export function historyList(query: HistoryQuery): Promise<HistoryRow[]> {
  return call<HistoryRow[]>('history_list', { query });
}

export function historyDetail(id: number): Promise<HistoryDetail | null> {
  return call<HistoryDetail | null>('history_detail', { id });
}

/** Why the ledger cannot write right now (raises are held until it can), or null. */
export function ledgerHealth(): Promise<string | null> {
  return call<string | null>('ledger_health', {});
}

export function resolverCurrent(): Promise<ResolverView | null> {
  return call<ResolverView | null>('resolver_current', {});
}

export async function resolverChoose(id: string, choice: ResolverChoice): Promise<void> {
  await call<null>('resolver_choose', { id, choice });
}

export function raiseExample(): Promise<RaiseExampleResult> {
  return call<RaiseExampleResult>('raise_example', {});
}

// ---- events ---------------------------------------------------------------

/** The ledger changed (a raise recorded or moved on); the event carries nothing: re-read. */
export function onHistoryChanged(cb: () => void): Promise<UnlistenFn> {
  return listen<null>('history-changed', () => cb());
}

export function onLedgerHealth(cb: (problem: string | null) => void): Promise<UnlistenFn> {
  return listen<string | null>('ledger-health', (event) => cb(event.payload));
}

export function onResolverChanged(cb: (view: ResolverView | null) => void): Promise<UnlistenFn> {
  return listen<ResolverView | null>('resolver-changed', (event) => cb(event.payload));
}
