/**
 * Polling fallback: while the WebSocket cannot connect, fetch every topic's snapshot
 * from `GET {httpBase}/api/snapshot?topic=T` each `intervalMs`. Results of a round that
 * started before stop() are discarded, so nothing polled lands after the socket is back.
 * With a token, each round sends it as `Authorization: Bearer` (never in the URL); a 401
 * is reported once per round and the next round waits `unauthorizedDelayMs()`.
 * Every answered request reports its body size and round trip (`onResponse`), so the
 * metrics stay true while polling.
 */
import { validateSnapshotData, type TopicSnapshot } from '../protocol/index.js';
import { STREAM_ERROR_CODES, type StreamErrorCode } from './errors.js';
import type { StreamError } from './types.js';

export interface PollerOptions {
  httpBase: string;
  intervalMs: number;
  /** Topics to poll right now. */
  topics: () => string[];
  onSnapshot: (topic: string, snapshot: TopicSnapshot) => void;
  /** `topic` is set when the server rejected the topic itself (4xx other than 401). */
  onError: (error: StreamError) => void;
  /** The token for a round (asked once per round), or undefined for none. May throw. */
  token?: () => Promise<string | undefined>;
  /** The server refused the token (401), with its reason: once per round. */
  onUnauthorized?: (reason: string) => void;
  /** The wait after a refused round (a backoff), instead of `intervalMs`. */
  unauthorizedDelayMs?: () => number;
  fetch?: typeof fetch;
  /**
   * A request was answered (any status, current round only): the body's length in
   * characters (what the socket counts for a frame) and the round trip in ms, from the
   * request to the whole body read.
   */
  onResponse?: (bytes: number, roundTripMs: number) => void;
}

const perfNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

type PollOutcome = { unauthorized: string } | undefined;

export class Poller {
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(private readonly options: PollerOptions) {}

  get active(): boolean {
    return this.running;
  }

  /** Starts polling with an immediate first round (no-op when already polling). */
  start(): void {
    if (this.running) return;
    this.running = true;
    const generation = ++this.generation;
    void this.round(generation);
  }

  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Polls one topic at once (a topic added while polling should not wait a period). A
   * 401 here is left to the next round to report, so one outage counts once per round.
   */
  pollNow(topic: string): void {
    if (!this.running) return;
    const generation = this.generation;
    void (async () => {
      const token = await this.roundToken(generation);
      if (token !== null && generation === this.generation) await this.pollTopic(topic, generation, token);
    })();
  }

  private async round(generation: number): Promise<void> {
    const token = await this.roundToken(generation);
    if (generation !== this.generation) return;
    let refused: string | undefined;
    if (token !== null) {
      const topics = this.options.topics();
      const outcomes = await Promise.all(topics.map((topic) => this.pollTopic(topic, generation, token)));
      if (generation !== this.generation) return;
      refused = outcomes.find((outcome) => outcome !== undefined)?.unauthorized;
      if (refused !== undefined) this.options.onUnauthorized?.(refused);
    }
    if (generation !== this.generation) return;
    const wait = refused !== undefined && this.options.unauthorizedDelayMs ? this.options.unauthorizedDelayMs() : this.options.intervalMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (generation === this.generation) void this.round(generation);
    }, wait);
  }

  /** The round's token; null when the token function failed (reported; the round is skipped). */
  private async roundToken(generation: number): Promise<string | undefined | null> {
    if (!this.options.token) return undefined;
    try {
      return await this.options.token();
    } catch (error) {
      if (generation === this.generation) this.options.onError({ code: 'token_error', message: `the token function failed: ${describe(error)}` });
      return null;
    }
  }

  private async pollTopic(topic: string, generation: number, token: string | undefined): Promise<PollOutcome> {
    const doFetch = this.options.fetch ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
    if (!doFetch) return;
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    const timeout = setTimeout(() => controller?.abort(), Math.max(1_000, this.options.intervalMs));
    try {
      const started = perfNow();
      const response = await doFetch(`${this.options.httpBase}/api/snapshot?topic=${encodeURIComponent(topic)}`, {
        signal: controller?.signal,
        cache: 'no-store',
        // The token goes in a header, never in the URL (a cross-origin request is preflighted for it).
        ...(token !== undefined ? { headers: { Authorization: `Bearer ${token}` } } : {}),
      });
      const text = await response.text();
      if (generation !== this.generation) return;
      this.options.onResponse?.(text.length, perfNow() - started);
      const body = parseJson(text);
      if (response.status === 401) {
        // The token itself was refused: about every topic, not this one (counted like a 4401 close).
        return { unauthorized: errorBody(body).message ?? 'unauthorized' };
      }
      if (!response.ok) {
        const { code, message } = errorBody(body);
        // 4xx is about the topic; 5xx and others are the server's trouble.
        const aboutTopic = response.status >= 400 && response.status < 500;
        this.options.onError({
          code: code ?? (aboutTopic ? 'unknown_topic' : 'poll_failed'),
          message: message ?? `GET /api/snapshot answered ${response.status}`,
          ...(aboutTopic ? { topic } : {}),
        });
        return;
      }
      const reason = checkSnapshot(topic, body);
      if (reason) {
        this.options.onError({ code: 'bad_frame', message: `polled snapshot of ${topic}: ${reason}` });
        return;
      }
      this.options.onSnapshot(topic, body as TopicSnapshot);
    } catch (error) {
      if (generation !== this.generation) return;
      this.options.onError({ code: 'poll_failed', message: `polling ${topic} failed: ${describe(error)}` });
    } finally {
      clearTimeout(timeout);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function checkSnapshot(topic: string, body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'not a JSON object';
  const b = body as Record<string, unknown>;
  if (b.topic !== topic) return 'topic does not match';
  if (typeof b.epoch !== 'string' || b.epoch.length === 0) return 'missing epoch';
  if (!Number.isSafeInteger(b.seq) || (b.seq as number) < 0) return 'missing seq';
  return validateSnapshotData(topic, b.data);
}

/** The server answers `{error: code, message}`; a nested `{error: {code, message}}` is read too. */
function errorBody(body: unknown): { code?: StreamErrorCode; message?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const nested = typeof b.error === 'object' && b.error !== null ? (b.error as Record<string, unknown>) : undefined;
  const code = typeof b.error === 'string' ? b.error : typeof b.code === 'string' ? b.code : nested?.code;
  const message = typeof b.message === 'string' ? b.message : nested?.message;
  return {
    // A code outside the union falls back to the status's default (StreamError.code is typed).
    ...(isStreamErrorCode(code) ? { code } : {}),
    ...(typeof message === 'string' ? { message: message.slice(0, 300) } : {}),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : 'network error';
}

function isStreamErrorCode(code: unknown): code is StreamErrorCode {
  return typeof code === 'string' && (STREAM_ERROR_CODES as readonly string[]).includes(code);
}
