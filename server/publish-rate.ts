/**
 * The rate limit on publishing requests (`--publish-rate`): one token bucket for the whole
 * server, `rate` requests per second with a burst of one second's worth. Past it a publish
 * gets 429 before its body is read. Rate 0 turns it off.
 */
export class PublishRateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    now = Date.now(),
  ) {
    this.tokens = this.burst;
    this.last = now;
  }

  get burst(): number {
    return Math.max(1, this.rate);
  }

  /** Takes one request's token; false when publishing too fast. */
  take(now = Date.now()): boolean {
    if (this.rate <= 0) return true;
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Seconds until a token is back (for `Retry-After`). */
  retryAfter(): number {
    return Math.max(1, Math.ceil((1 - this.tokens) / Math.max(this.rate, 1e-9)));
  }
}
