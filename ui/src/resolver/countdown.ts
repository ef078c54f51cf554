// Seconds left until the agent times the request out. Does nothing at zero:
// the agent ends the request and sends resolver-changed.

const TICK_MS = 250;
const URGENT_BELOW_S = 10;

export class Countdown {
  private timer: ReturnType<typeof setInterval> | undefined;
  private deadlineMs = 0;
  private timeoutMs = 1;

  constructor(
    private readonly label: HTMLElement,
    private readonly fill: HTMLElement | null,
  ) {}

  start(deadlineMs: number, timeoutMs: number): void {
    this.deadlineMs = deadlineMs;
    this.timeoutMs = Math.max(1, timeoutMs);
    if (this.timer === undefined) this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const leftMs = Math.max(0, this.deadlineMs - Date.now());
    const seconds = Math.ceil(leftMs / 1000);
    const text = `${seconds} s`;
    if (this.label.textContent !== text) this.label.textContent = text;
    const urgent = seconds < URGENT_BELOW_S;
    this.label.classList.toggle('urgent', urgent);
    this.label.title = `${seconds} seconds left to choose`;
    if (this.fill !== null) {
      // CSSOM writes are allowed under style-src 'self' (style attributes in markup are not).
      this.fill.style.width = `${Math.min(100, (leftMs / this.timeoutMs) * 100).toFixed(1)}%`;
      this.fill.classList.toggle('urgent', urgent);
    }
  }
}
