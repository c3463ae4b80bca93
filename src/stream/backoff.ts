/**
 * Reconnect delays: "full jitter" exponential backoff. The delay for attempt n (0-based)
 * is uniform in [0, min(cap, base * 2^n)), so a thousand pages dropped at once spread
 * their retries over the whole window instead of coming back in lockstep.
 * Pure: the random source is injected.
 */
export interface BackoffOptions {
  /** Base delay (ms). Default 500. */
  baseMs?: number;
  /** Largest delay (ms). Default 30,000. */
  capMs?: number;
  /** Uniform random in [0, 1). Default Math.random. */
  random?: () => number;
}

export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_CAP_MS = 30_000;

/** The ceiling of the delay window for `attempt`: min(cap, base * 2^attempt). */
export function backoffCeiling(attempt: number, baseMs = DEFAULT_BACKOFF_BASE_MS, capMs = DEFAULT_BACKOFF_CAP_MS): number {
  const n = Math.max(0, Math.floor(attempt));
  // 2^n overflows to Infinity for large n; min() caps it.
  return Math.min(capMs, baseMs * Math.pow(2, Math.min(n, 1024)));
}

/** Full-jitter delay for `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const random = options.random ?? Math.random;
  const ceiling = backoffCeiling(attempt, options.baseMs ?? DEFAULT_BACKOFF_BASE_MS, options.capMs ?? DEFAULT_BACKOFF_CAP_MS);
  const r = random();
  // A bad random source must not produce negative or over-cap delays.
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}

/** Counts failed attempts and hands out the next delay. */
export class Backoff {
  attempt = 0;
  constructor(private readonly options: BackoffOptions = {}) {}

  /** Delay before the next try; counts the attempt. */
  next(): number {
    const delay = backoffDelay(this.attempt, this.options);
    this.attempt++;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}
