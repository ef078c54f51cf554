// The official proxy's transport inside an Interlog window: requests go to the agent through
// one Tauri command; the agent's messages come back through `deliver`, which the window's Rust
// side calls. The window, not anything in a message, tells the agent which app instance this is.

import { AbstractMessaging, type RegisterableListener } from '@finos/fdc3-agent-proxy';
import type { AppIdentifier } from '@finos/fdc3-standard';

type Outgoing = Parameters<AbstractMessaging['post']>[0];
type Incoming = Parameters<RegisterableListener['action']>[0];
type Meta = ReturnType<AbstractMessaging['createMeta']>;

/** Tauri's IPC entry point, taken before any script of the page can replace it. */
export type Invoke = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;

/** A random RFC 4122 v4 UUID; `crypto.randomUUID` exists only in secure contexts. */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class WindowMessaging extends AbstractMessaging {
  private readonly listeners = new Map<string, RegisterableListener>();
  /** The agent must see messages in the order the page sent them, and separate invokes may be
   *  handled out of order: one invoke is in flight at a time, carrying every message queued
   *  behind the previous one (one round trip for a burst). */
  private queue: Outgoing[] = [];
  private inFlight = false;
  private idle: (() => void)[] = [];

  constructor(
    appIdentifier: AppIdentifier,
    private readonly invoke: Invoke,
  ) {
    super(appIdentifier);
  }

  override createUUID(): string {
    return uuid();
  }

  override createMeta(): Meta {
    // `source` is informational: the agent takes the identity from the window.
    return { requestUuid: this.createUUID(), timestamp: new Date(), source: this.getAppIdentifier() };
  }

  override register(l: RegisterableListener): void {
    if (l.id == null) throw new Error('cannot register a listener without an id');
    this.listeners.set(l.id, l);
  }

  override unregister(id: string): void {
    this.listeners.delete(id);
  }

  // The proxy does not await post() inside exchange(): it must never reject. A message that
  // cannot be handed over ends in the exchange's own timeout.
  override post(message: Outgoing): Promise<void> {
    this.queue.push(message);
    this.pump();
    return Promise.resolve();
  }

  private pump(): void {
    if (this.inFlight) return;
    if (this.queue.length === 0) {
      for (const f of this.idle.splice(0)) f();
      return;
    }
    const messages = this.queue.splice(0);
    this.inFlight = true;
    this.invoke('hosted_post', { messages })
      .catch(e => console.error('Interlog: the agent refused a message', e))
      .finally(() => {
        this.inFlight = false;
        this.pump();
      });
  }

  /** Runs `fn` once every message posted so far has been handed to the agent. */
  afterPending(fn: () => unknown): void {
    if (!this.inFlight && this.queue.length === 0) fn();
    else this.idle.push(() => void fn());
  }

  override async disconnect(): Promise<void> {
    // A window's instance ends with its window; a page cannot leave it half-connected.
  }

  /** Every message from the agent, offered to each listener whose filter accepts it. A
   *  listener that throws does not keep the others from it; its error is reported as uncaught,
   *  as it would be from a browser's message event (test frameworks catch it there). */
  deliver(message: Incoming): void {
    for (const l of [...this.listeners.values()]) {
      try {
        if (l.filter(message)) l.action(message);
      } catch (e) {
        setTimeout(() => {
          throw e;
        }, 0);
      }
    }
  }
}
