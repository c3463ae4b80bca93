/**
 * Heartbeat and liveness for one open connection. A ping goes out every `intervalMs`
 * (its pong gives the RTT); the connection is dead when no frame at all arrived for
 * two intervals. Liveness is judged by the time since the last frame, not by counting
 * ticks, and a tick that fires very late (throttled background tab, frozen page) or a
 * page that becomes visible again opens a grace period with a fresh ping instead of
 * declaring a healthy socket dead.
 */
export interface LivenessOptions {
  intervalMs: number;
  sendPing: () => void;
  onDead: (silentForMs: number) => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class Liveness {
  private lastFrameAt: number;
  private lastPingAt = -Infinity;
  private graceUntil = 0;
  private expectedAt = 0;
  private timer: unknown = undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly tickMs: number;

  constructor(private readonly options: LivenessOptions) {
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    this.tickMs = Math.max(50, Math.floor(options.intervalMs / 4));
    this.lastFrameAt = this.now();
  }

  /** Starts the loop and sends the first ping at once (RTT early). */
  start(): void {
    this.lastFrameAt = this.now();
    this.ping();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
  }

  frameReceived(): void {
    this.lastFrameAt = this.now();
  }

  /** The page came back (visible again, resumed): give the socket time to prove itself. */
  grace(): void {
    if (this.stopped) return;
    this.graceUntil = this.now() + this.options.intervalMs;
    this.ping();
  }

  private ping(): void {
    this.lastPingAt = this.now();
    this.options.sendPing();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.expectedAt = this.now() + this.tickMs;
    this.timer = this.setTimer(() => this.tick(), this.tickMs);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.now();
    const interval = this.options.intervalMs;
    if (now - this.expectedAt > interval) {
      // The timer fired far too late: the page was frozen or throttled, not the socket.
      this.graceUntil = now + interval;
      this.ping();
    } else {
      const silentFor = now - this.lastFrameAt;
      if (silentFor > 2 * interval && now >= this.graceUntil) {
        this.stop();
        this.options.onDead(silentFor);
        return;
      }
      if (now - this.lastPingAt >= interval) this.ping();
    }
    this.schedule();
  }
}
