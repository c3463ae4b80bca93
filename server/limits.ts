/**
 * Per-connection limits that need state: the token bucket on client frames and
 * the rules for when a flood turns into a close.
 */

import { OPTIONS } from './options.js';

/** Option defaults live in server/options.ts; this one is re-exported for the limit tests. */
export const DEFAULT_MAX_SUBSCRIPTIONS = OPTIONS.maxSubscriptions.default;

/** A flood that drops this many frames, or lasts this long, closes the connection (4429). */
export const FLOOD_CLOSE_DROPPED = 100;
export const FLOOD_CLOSE_MS = 2000;
/** At most one `rate_limited` error frame per this interval, so a flood is not amplified. */
export const RATE_LIMITED_NOTICE_MS = 1000;

/** What to do with one client frame. */
export type RateVerdict = 'accept' | 'drop' | 'drop-and-notify' | 'close';

/**
 * Token bucket of `burst` frames refilled at `rate` frames per second. A frame that
 * finds the bucket empty is dropped unread. Dropped frames start a flood, which ends
 * when the bucket is full again (the client slowed down for long enough); a flood
 * that drops FLOOD_CLOSE_DROPPED frames or lasts FLOOD_CLOSE_MS asks for a close.
 * `rate` 0 disables the limiter.
 */
export class FrameRateLimiter {
  private tokens: number;
  private last: number;
  private floodStart: number | undefined;
  private floodDropped = 0;
  private lastNotice = -Infinity;
  /** Frames dropped over the connection's life. */
  dropped = 0;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): RateVerdict {
    if (this.rate <= 0) return 'accept';
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
    if (this.floodStart !== undefined && this.tokens >= this.burst) {
      this.floodStart = undefined;
      this.floodDropped = 0;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'accept';
    }
    this.dropped += 1;
    if (this.floodStart === undefined) {
      this.floodStart = now;
      this.floodDropped = 0;
    }
    this.floodDropped += 1;
    if (this.floodDropped >= FLOOD_CLOSE_DROPPED || now - this.floodStart >= FLOOD_CLOSE_MS) return 'close';
    if (now - this.lastNotice >= RATE_LIMITED_NOTICE_MS) {
      this.lastNotice = now;
      return 'drop-and-notify';
    }
    return 'drop';
  }
}
