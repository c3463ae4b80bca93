/**
 * Tokens: which one each `hello`, `refresh` and polling round sends, when a JWT is
 * refreshed on the open socket (token.ts has the timing), the server's clock offset,
 * the refusal streak (4401 closes and 401 polls) and the redaction of every token we
 * know from any text the stream emits.
 */
import { Backoff } from './backoff.js';
import type { Clock } from './clock.js';
import { describe } from './emitter.js';
import { MIN_REFRESH_RETRY_MS, REFRESH_LEAD_MS, jwtExpiryMs, redactSecrets, refreshDelayMs } from './token.js';
import type { StreamError, StreamOptions } from './types.js';

/** Refusals in a row (4401 closes, 401 poll rounds) after which the stream reports `unauthorized` (to `error` listeners and every topic). */
export const UNAUTHORIZED_REPORT_AFTER = 3;

export interface AuthHost {
  /** True while the socket of `generation` is open (welcomed) and the stream not closed. */
  isOpen(generation: number): boolean;
  sendRefresh(token: string): void;
  error(error: StreamError): void;
}

export class Auth {
  /** Token sent in the `hello` of the socket being opened. */
  private helloToken: string | undefined;
  /** Token in force on the open socket (hello or last refresh). */
  private activeToken: string | undefined;
  /** The token last obtained (connect, refresh or poll), reused by polling rounds while it is fresh. */
  private latestToken: string | undefined;
  /** Recent tokens, so no text the stream emits can carry one. */
  private readonly knownTokens: string[] = [];
  private refreshTimer: unknown;
  /** Server clock minus ours, from `welcome` (token `exp` is in the server's clock). */
  private clockSkewMs = 0;
  /** Refusals in a row (reset by `welcome` or an accepted poll). */
  private failures = 0;
  private lastReason = '';
  /** Set once UNAUTHORIZED_REPORT_AFTER refusals came in a row; cleared by `welcome`. */
  private refusal: StreamError | undefined;
  /** Waits between polling rounds whose token was refused (401). */
  private readonly pollBackoff: Backoff;

  constructor(
    private readonly token: StreamOptions['token'],
    private readonly clock: Clock,
    backoff: { baseMs: number; capMs: number },
    private readonly host: AuthHost,
  ) {
    this.pollBackoff = new Backoff({ ...backoff, random: clock.random });
  }

  /** The streak's `unauthorized` error while the server keeps refusing us (a new topic is refused too). */
  get error(): StreamError | undefined {
    return this.refusal;
  }

  /** Asks the token option (a string or a function) for a token; undefined for none. May throw. */
  async resolve(): Promise<string | undefined> {
    const token = this.token;
    const value = typeof token === 'function' ? await token() : token;
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  /** `token` goes in the `hello` of a socket just opened. */
  usedForHello(token: string | undefined): void {
    this.helloToken = token;
    this.latestToken = token;
    this.remember(token);
  }

  /**
   * The token a polling round sends: the one last obtained (by a connect, a refresh or an
   * earlier round) while it is not refused and not within REFRESH_LEAD_MS of its JWT `exp`;
   * otherwise the token function is asked again (a string token is simply used).
   */
  async forPolling(): Promise<string | undefined> {
    const cached = this.latestToken;
    if (typeof this.token === 'function' && cached !== undefined) {
      const expMs = jwtExpiryMs(cached);
      if (expMs === undefined || expMs - this.serverNow() > REFRESH_LEAD_MS) return cached;
    }
    const token = await this.resolve();
    this.latestToken = token;
    this.remember(token);
    return token;
  }

  /** The wait after a polling round answered 401: like a 4401, a growing full-jitter wait. */
  pollRetryDelayMs(pollIntervalMs: number): number {
    return Math.max(pollIntervalMs, this.pollBackoff.next());
  }

  /** `welcome` on the socket of `generation`: the hello token is in force; a refusal streak is over. */
  welcomed(serverTime: number, generation: number): void {
    this.accepted();
    this.clockSkewMs = Number.isFinite(serverTime) ? serverTime - this.clock.now() : 0;
    this.activeToken = this.helloToken;
    this.scheduleRefresh(generation);
  }

  /** The server took our token (welcome, or a polled snapshot): a refusal streak is over. */
  accepted(): void {
    this.failures = 0;
    this.refusal = undefined;
    this.pollBackoff.reset();
  }

  /** The socket ended: no token is in force and no refresh is due. */
  socketEnded(): void {
    this.clearRefresh();
    this.activeToken = undefined;
  }

  /** The `hello` was refused with an `error unauthorized`; the 4401 close that follows is what counts. */
  helloRefused(text: string): void {
    this.lastReason = text.slice(0, 100);
  }

  /**
   * A refused token: a 4401 close (no, bad or expired token), or a polling round answered
   * 401. The next connect (or round) asks the token function again and waits its backoff,
   * so a refused token cannot hot-loop. Returns the `unauthorized` error once per streak,
   * when it is time to tell (UNAUTHORIZED_REPORT_AFTER in a row).
   */
  refused(reason: string): StreamError | undefined {
    this.failures++;
    this.latestToken = undefined; // refused: polling asks the token function again too
    this.lastReason = this.redact(reason || this.lastReason || 'unauthorized').slice(0, 100);
    if (this.failures < UNAUTHORIZED_REPORT_AFTER || this.refusal) return undefined;
    this.refusal = { code: 'unauthorized', message: `Not authorized (${this.lastReason}); retrying.` };
    return this.refusal;
  }

  /** Text that may reach listeners or the page, with any token we know replaced. */
  redact(text: string): string {
    return redactSecrets(text, this.knownTokens);
  }

  dispose(): void {
    this.clearRefresh();
  }

  /**
   * With a token function and a JWT in force, fetch a fresh token before the current one
   * expires and send it as `refresh` on the open socket.
   */
  private scheduleRefresh(generation: number, delayMs?: number): void {
    this.clearRefresh();
    const token = this.activeToken;
    if (typeof this.token !== 'function' || !token) return; // a fixed string cannot be refreshed
    const expMs = jwtExpiryMs(token);
    if (expMs === undefined) return; // opaque token: nothing tells us when it ends
    const delay = delayMs ?? refreshDelayMs(expMs, this.serverNow());
    if (delay === undefined) return; // already expired: the server closes with 4401, the reconnect takes a fresh token
    this.refreshTimer = this.clock.setTimer(() => {
      this.refreshTimer = undefined;
      void this.refresh(generation, expMs);
    }, delay);
  }

  private async refresh(generation: number, currentExpMs: number): Promise<void> {
    if (!this.host.isOpen(generation)) return;
    let fresh: string | undefined;
    let failure: string | undefined;
    try {
      fresh = await this.resolve();
    } catch (error) {
      failure = describe(error);
    }
    if (!this.host.isOpen(generation)) return;
    const freshExpMs = fresh === undefined ? undefined : jwtExpiryMs(fresh);
    const extends_ = fresh !== undefined && fresh !== this.activeToken && (freshExpMs === undefined || freshExpMs > currentExpMs);
    if (fresh !== undefined && extends_) {
      this.remember(fresh);
      this.activeToken = fresh;
      this.latestToken = fresh;
      this.host.sendRefresh(fresh);
      this.scheduleRefresh(generation);
      return;
    }
    if (failure !== undefined) {
      this.host.error({ code: 'token_error', message: `the token function failed: ${this.redact(failure)}` });
    }
    // No better token yet: ask again halfway to expiry, not sooner than MIN_REFRESH_RETRY_MS.
    const remaining = currentExpMs - this.serverNow();
    const retry = Math.max(MIN_REFRESH_RETRY_MS, Math.floor(remaining / 2));
    if (retry < remaining) this.scheduleRefresh(generation, retry);
  }

  private clearRefresh(): void {
    if (this.refreshTimer !== undefined) this.clock.clearTimer(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  private serverNow(): number {
    return this.clock.now() + this.clockSkewMs;
  }

  private remember(token: string | undefined): void {
    if (!token || this.knownTokens.includes(token)) return;
    this.knownTokens.push(token);
    if (this.knownTokens.length > 4) this.knownTokens.shift();
  }
}
