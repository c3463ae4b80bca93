/**
 * The stream's clock seam: timers, time and the jitter source. The page's own by
 * default; unit tests pass a fake one (test/stream/fakes.ts) so backoff, timeouts,
 * liveness and token refresh run without waiting.
 */
export interface Clock {
  /** Milliseconds in the same clock as `Date.now()` (token `exp` is compared with it). */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** Uniform in [0, 1): backoff and rate-limit jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};
