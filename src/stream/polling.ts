/**
 * Polling fallback: while the WebSocket cannot connect, fetch every topic's snapshot
 * from `GET {httpBase}/api/snapshot?topic=T` each `intervalMs`. Results of a round that
 * started before stop() are discarded, so nothing polled lands after the socket is back.
 */
import { validateSnapshotData, type TopicSnapshot } from '../protocol/index.js';
import type { StreamError } from './types.js';

export interface PollerOptions {
  httpBase: string;
  intervalMs: number;
  /** Topics to poll right now. */
  topics: () => string[];
  onSnapshot: (topic: string, snapshot: TopicSnapshot) => void;
  /** `topic` is set when the server rejected the topic itself (4xx). */
  onError: (error: StreamError) => void;
  fetch?: typeof fetch;
}

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

  /** Polls one topic at once (a topic added while polling should not wait a period). */
  pollNow(topic: string): void {
    if (!this.running) return;
    void this.pollTopic(topic, this.generation);
  }

  private async round(generation: number): Promise<void> {
    const topics = this.options.topics();
    await Promise.all(topics.map((topic) => this.pollTopic(topic, generation)));
    if (generation !== this.generation) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (generation === this.generation) void this.round(generation);
    }, this.options.intervalMs);
  }

  private async pollTopic(topic: string, generation: number): Promise<void> {
    const doFetch = this.options.fetch ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
    if (!doFetch) return;
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    const timeout = setTimeout(() => controller?.abort(), Math.max(1_000, this.options.intervalMs));
    try {
      const response = await doFetch(`${this.options.httpBase}/api/snapshot?topic=${encodeURIComponent(topic)}`, {
        signal: controller?.signal,
        cache: 'no-store',
      });
      const body: unknown = await response.json().catch(() => undefined);
      if (generation !== this.generation) return;
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

function checkSnapshot(topic: string, body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'not a JSON object';
  const b = body as Record<string, unknown>;
  if (b.topic !== topic) return 'topic does not match';
  if (typeof b.epoch !== 'string' || b.epoch.length === 0) return 'missing epoch';
  if (!Number.isSafeInteger(b.seq) || (b.seq as number) < 0) return 'missing seq';
  return validateSnapshotData(topic, b.data);
}

/** The server answers `{error: code, message}`; a nested `{error: {code, message}}` is read too. */
function errorBody(body: unknown): { code?: string; message?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const nested = typeof b.error === 'object' && b.error !== null ? (b.error as Record<string, unknown>) : undefined;
  const code = typeof b.error === 'string' ? b.error : typeof b.code === 'string' ? b.code : nested?.code;
  const message = typeof b.message === 'string' ? b.message : nested?.message;
  return {
    ...(typeof code === 'string' ? { code: code.slice(0, 64) } : {}),
    ...(typeof message === 'string' ? { message: message.slice(0, 300) } : {}),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : 'network error';
}
