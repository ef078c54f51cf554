// A wire transcript of one test: every DACP message each connected app sent and received (from
// the taps WebSocketMessaging offers: events 'send' and 'message'), labelled with the app, so a
// failing check can show exactly what the client sent and what the agent answered. Heartbeats
// are left out. Also answers wire-level questions ("how many broadcastEvents did B get?").

import fs from 'node:fs';

const QUIET = new Set(['heartbeatEvent', 'heartbeatAcknowledgementRequest']);

export class Transcript {
  constructor() {
    /** @type {{at: number, label: string, dir: '->'|'<-', msg: object}[]} */
    this.entries = [];
    this.t0 = Date.now();
  }

  /** Starts a new transcript (call before each test). */
  reset() {
    this.entries = [];
    this.t0 = Date.now();
  }

  /** Records everything `app` (a connectApp() result) sends ('->') and receives ('<-'). */
  attach(app, label) {
    const add = dir => msg => {
      if (QUIET.has(msg?.type)) return;
      // Serialise now: the proxy may hold on to the object, and Dates become ISO strings.
      const entry = { at: Date.now() - this.t0, label, dir, msg: JSON.parse(JSON.stringify(msg)) };
      this.entries.push(entry);
      if (process.env.API_SURFACE_TRACE === '1') console.log(`trace ${label} ${dir} ${JSON.stringify(entry.msg)}`);
    };
    app.messaging.events.on('send', add('->'));
    app.messaging.events.on('message', add('<-'));
  }

  /** Messages `label` received (dir '<-') or sent ('->') of `type`, optionally filtered. */
  messages(label, dir, type, predicate = () => true) {
    return this.entries
      .filter(e => e.label === label && e.dir === dir && e.msg.type === type && predicate(e.msg))
      .map(e => e.msg);
  }

  /** The response `label` received to its request with this requestUuid. */
  responseTo(label, requestUuid) {
    return this.entries.find(e => e.label === label && e.dir === '<-' && e.msg.meta?.requestUuid === requestUuid && /Response$/.test(e.msg.type))?.msg;
  }

  /** The latest request of `type` that `label` sent. */
  lastSent(label, type) {
    const found = this.entries.filter(e => e.label === label && e.dir === '->' && e.msg.type === type);
    return found.at(-1)?.msg;
  }

  /** The transcript as text, one message per line: `+ms LABEL -> {json}`. */
  format() {
    return this.entries.map(e => `+${String(e.at).padStart(5)}ms ${e.label.padEnd(5)} ${e.dir} ${JSON.stringify(e.msg)}`).join('\n');
  }

  /** Prints the transcript for a failure (and appends it to $API_SURFACE_WIRE_LOG if set). */
  dump(title, err) {
    const text =
      `\n===== wire transcript: ${title}\n` +
      `failure: ${String(err?.message ?? err).split('\n').slice(0, 6).join('\n         ')}\n` +
      `${this.format()}\n===== end of transcript: ${title}\n`;
    console.log(text);
    if (process.env.API_SURFACE_WIRE_LOG) fs.appendFileSync(process.env.API_SURFACE_WIRE_LOG, text);
  }
}
