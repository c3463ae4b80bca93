/**
 * MarketStream: one resilient connection per server URL, shared by every listener on the
 * page. A facade over its parts: the connection state machine (connection.ts) over a
 * Transport, tokens (auth.ts), topics and their wire subscriptions (subscriptions.ts),
 * delivery to listeners (delivery.ts) and the polling fallback (polling.ts). It renders
 * nothing; browser APIs beyond WebSocket/fetch/timers are used only behind `typeof`
 * checks so the module loads in Node.
 */
import {
  DEFAULT_MAX_BARS,
  parseServerFrame,
  parseTopic,
  type ErrorMessage,
  type ServerMessage,
  type TopicSnapshot,
  type WelcomeMessage,
} from '../protocol/index.js';
import { Auth } from './auth.js';
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_CAP_MS } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { Connection, type ConnectionHost } from './connection.js';
import { Delivery } from './delivery.js';
import { StreamEmitter, describe } from './emitter.js';
import { MetricsTracker } from './metrics.js';
import { Poller } from './polling.js';
import { streamRegistry } from './registry.js';
import { Subscriptions } from './subscriptions.js';
import type { Subscriber } from './topic-record.js';
import type {
  ConnectionState,
  StreamDebug,
  StreamError,
  StreamEventMap,
  StreamMetrics,
  StreamOptions,
  SubscribeOptions,
  SubscriptionHandle,
  TopicListener,
  TopicState,
} from './types.js';
import { httpBaseOf } from './url.js';
import { openWebSocket } from './websocket-transport.js';

export { UNAUTHORIZED_REPORT_AFTER } from './auth.js';
export { RATE_LIMITED_MAX_RETRIES, RATE_LIMITED_RETRY_MS } from './subscriptions.js';

export const STREAM_DEFAULTS = {
  backoffBaseMs: DEFAULT_BACKOFF_BASE_MS,
  backoffMaxMs: DEFAULT_BACKOFF_CAP_MS,
  maxRetries: Infinity,
  connectTimeoutMs: 5_000,
  fallbackAfter: 3,
  pollIntervalMs: 2_000,
  lingerMs: 1_000,
  idleCloseMs: 5_000,
  persist: false,
  maxBars: DEFAULT_MAX_BARS,
} as const;

/** localStorage key under which a stream remembers pause (with `persist: true`). */
export const pausedStorageKey = (url: string) => `live-market-widgets:paused:${url}`;

type ResolvedOptions = Required<Omit<StreamOptions, 'token' | 'random' | 'transport' | 'clock'>> &
  Pick<StreamOptions, 'token' | 'random' | 'transport' | 'clock'>;

const perfNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class MarketStream {
  /** The normalised `ws(s)://` URL. */
  readonly url: string;
  /** The HTTP base the REST endpoints live under (polling). */
  readonly httpUrl: string;

  private readonly options: ResolvedOptions;
  private readonly events = new StreamEmitter();
  private readonly metricsTracker: MetricsTracker;
  private readonly delivery: Delivery;
  private readonly auth: Auth;
  private readonly poller: Poller;
  private readonly connection: Connection;
  private readonly subs: Subscriptions;
  private polls = 0;
  /** The state last told to `statechange` listeners. */
  private published: ConnectionState;
  private rateTicker: ReturnType<typeof setInterval> | undefined;
  /** A polling failure was reported in this outage (once per outage, not per topic per period). */
  private pollFailureReported = false;

  /** Use getStream(): it returns the page's one stream for a URL. */
  constructor(normalisedUrl: string, options: StreamOptions = {}) {
    this.url = normalisedUrl;
    this.httpUrl = httpBaseOf(normalisedUrl);
    const o = (this.options = { ...STREAM_DEFAULTS, ...stripUndefined(options) } as ResolvedOptions);
    const clock: Clock = { ...systemClock, ...o.clock, ...(o.random ? { random: o.random } : {}) };
    const backoff = { baseMs: o.backoffBaseMs, capMs: o.backoffMaxMs };
    const guard = (fn: () => void) => this.events.guard(fn);
    this.metricsTracker = new MetricsTracker((metrics) => this.events.emit('metrics', metrics));
    this.delivery = new Delivery(this.events);
    this.auth = new Auth(o.token, clock, backoff, {
      isOpen: (generation) => generation === this.connection.generation && this.connection.isOpen,
      sendRefresh: (token) => this.connection.send({ op: 'refresh', token }),
      error: (error) => this.events.error(error),
    });
    this.poller = new Poller({
      httpBase: this.httpUrl,
      intervalMs: o.pollIntervalMs,
      topics: () => this.subs.held(),
      onSnapshot: (topic, snapshot) => guard(() => this.onPolledSnapshot(topic, snapshot)),
      onError: (error) => guard(() => this.onPollError(error)),
      ...(o.token !== undefined ? { token: () => this.auth.forPolling() } : {}),
      onUnauthorized: (reason) =>
        guard(() => {
          if (!this.connection.isOpen) this.refused(reason); // a 401 round counts like a 4401 close
        }),
      unauthorizedDelayMs: () => this.auth.pollRetryDelayMs(o.pollIntervalMs),
      fetch: (input, init) => {
        this.polls++;
        return fetch(input, init);
      },
    });
    const connectionOptions = { ...o, url: normalisedUrl, transport: o.transport ?? openWebSocket, clock, fallback: this.poller };
    this.connection = new Connection({ ...connectionOptions, metrics: this.metricsTracker }, this.connectionHost());
    this.subs = new Subscriptions({
      ...o,
      clock,
      connection: this.connection,
      delivery: this.delivery,
      metrics: this.metricsTracker,
      pollNow: (topic) => this.poller.pollNow(topic),
      badFrame: (reason) => this.badFrame(reason),
      guard,
    });
    if (o.persist) this.delivery.paused = readPersistedPause(this.url);
    this.metricsTracker.mode = this.delivery.paused ? 'paused' : 'realtime';
    this.published = this.state;
  }

  // ---- public API ----------------------------------------------------------------

  /** Connection state; `paused` while paused, whatever the socket does underneath. */
  get state(): ConnectionState {
    const state = this.connection.state;
    return this.delivery.paused && state !== 'closed' ? 'paused' : state;
  }

  /** The same object until a metric changes, then a fresh one. */
  get metrics(): StreamMetrics {
    return this.metricsTracker.snapshot();
  }

  get paused(): boolean {
    return this.delivery.paused;
  }

  /** Wire counters and a frame-injection hook for tests and diagnostics. */
  get debug(): StreamDebug {
    const listeners = this.events.listeners;
    return {
      sentOps: { ...this.connection.sent },
      socketsOpened: this.connection.linksOpened,
      polls: this.polls,
      topics: Object.fromEntries([...this.subs.topics.values()].map((r) => [r.topic, r.subscribers.size])),
      listeners: { statechange: listeners.statechange.size, metrics: listeners.metrics.size, error: listeners.error.size },
      socket: this.connection.hasLink,
      injectFrame: (text: string) => this.events.guard(() => this.connection.receive(text)),
    };
  }

  /**
   * Listens to a topic. One wire `sub` per topic whatever the number of listeners. A
   * listener joining a topic that already has state gets `{kind: 'snapshot'}` in a
   * microtask, without a round trip. The default coalescing is `frame`.
   */
  subscribe<D = unknown, U = unknown>(
    topic: string,
    listener: TopicListener<D, U>,
    options: SubscribeOptions = {},
  ): SubscriptionHandle {
    const subscriber: Subscriber = {
      listener: listener as TopicListener<any, any>,
      coalesce: options.coalesce === 'none' ? 'none' : 'frame',
      ...(options.onError ? { onError: options.onError } : {}),
      active: true,
      seen: false,
      pendingKind: null,
      pendingUpdates: [],
    };
    const inert = (error: StreamError): SubscriptionHandle => {
      this.delivery.refuseLater(subscriber, error);
      return { topic, unsubscribe: () => void (subscriber.active = false) };
    };
    if (this.connection.phase.name === 'disposed') return inert({ code: 'closed', message: 'this stream was closed', topic });
    const parsed = parseTopic(topic);
    if (!parsed.ok) return inert({ code: 'bad_request', message: `bad topic: ${parsed.reason}`, topic: String(topic).slice(0, 128) });

    const record = this.subs.add(topic, parsed.topic.kind, subscriber, this.auth.error);
    if (record.state) this.delivery.greet(record, subscriber);
    else if (record.error) this.delivery.refuseLater(subscriber, record.error);
    this.subs.demand(record);
    return { topic, unsubscribe: () => this.events.guard(() => this.subs.release(record, subscriber)) };
  }

  /** The topic's current (live) state, or undefined. Treat `data` as read-only. */
  getTopicState<D = unknown>(topic: string): TopicState<D> | undefined {
    return this.subs.topics.get(topic)?.view() as TopicState<D> | undefined;
  }

  /** Adds an event listener; returns the function that removes it. */
  on<K extends keyof StreamEventMap>(type: K, listener: (detail: StreamEventMap[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  /** Freezes what listeners see; the stream keeps its data current underneath. */
  pause(): void {
    if (this.delivery.paused || this.connection.phase.name === 'disposed') return;
    this.delivery.pause(this.subs.topics.values());
    this.persistPause();
    this.publish();
  }

  /**
   * Unfreezes: every listener at once gets the current state, as `reset` when its
   * topic lost continuity while paused, else as `snapshot`.
   */
  resume(): void {
    if (!this.delivery.paused || this.connection.phase.name === 'disposed') return;
    this.delivery.paused = false;
    this.persistPause();
    this.publish();
    this.delivery.resume(this.subs.topics.values());
  }

  /**
   * Reconnect now: drops any backoff wait and connects at once (also after `maxRetries`
   * gave up). No-op while open or while a connect is in progress.
   */
  reconnect(): void {
    this.connection.reconnect();
  }

  /** Releases everything: socket, timers, listeners. State `closed`; removed from the registry. */
  close(): void {
    if (this.connection.phase.name === 'disposed') return;
    this.stopRateTicker();
    this.auth.dispose();
    this.poller.stop();
    this.delivery.dispose();
    this.subs.dispose();
    const registry = streamRegistry();
    if (registry.get(this.url) === (this as unknown)) registry.delete(this.url);
    this.connection.dispose();
    this.metricsTracker.dispose();
    this.events.clear();
  }

  // ---- frames (the hot path: one frame, its messages, each applied and notified) ---

  private onFrame(data: unknown): void {
    const tracker = this.metricsTracker;
    tracker.lastMessageAt = Date.now();
    if (typeof data !== 'string') {
      this.badFrame('binary frame (protocol v1 uses JSON text frames)');
      tracker.changed();
      return;
    }
    tracker.bytes.add(data.length);
    const { messages, errors } = parseServerFrame(data);
    for (const reason of errors) this.badFrame(reason);
    tracker.messages.add(messages.length); // once per frame, not per message
    const connection = this.connection;
    const generation = connection.generation;
    for (const message of messages) {
      if (generation !== connection.generation) break; // a message closed the socket
      this.onMessage(message);
    }
    tracker.changed();
  }

  private onMessage(message: ServerMessage): void {
    if (!this.connection.isOpen && message.op !== 'welcome' && message.op !== 'error') return;
    switch (message.op) {
      case 'update':
        return this.subs.onUpdate(message);
      case 'welcome':
        return this.connection.welcome(message);
      case 'subscribed':
        return this.subs.onSubscribed(message);
      case 'snapshot':
        return this.subs.onSnapshot(message);
      case 'pong': {
        const rtt = perfNow() - message.t;
        if (rtt >= 0 && rtt < 600_000) {
          this.metricsTracker.latencyMs = rtt;
          this.metricsTracker.rtt.add(rtt);
        }
        return;
      }
      case 'unsubscribed':
        return this.subs.onUnsubscribed(message.id, message.topic);
      case 'error':
        return this.onServerError(message);
    }
  }

  private onServerError(message: ErrorMessage): void {
    if (message.code === 'rate_limited' && message.id === undefined) this.subs.onRateLimited();
    const record = message.id !== undefined ? this.subs.pending(message.id) : undefined;
    const text = this.auth.redact(message.message).slice(0, 300);
    if (!record && message.code === 'unauthorized') {
      // The hello was refused: the 4401 close that follows is what counts (see refused()).
      if (!this.connection.isOpen) return this.auth.helloRefused(text);
      // A `refresh` was refused: the session goes on until the old token expires (then 4401 and a reconnect).
      return this.events.error({ code: 'refresh_rejected', message: `token refresh refused: ${text}` });
    }
    const error: StreamError = {
      code: message.code,
      message: text,
      ...(record ? { topic: record.topic } : message.topic ? { topic: message.topic } : {}),
    };
    // A refreshed token no longer grants a topic we hold: the server ended that subscription.
    const ended = message.id === undefined && message.code === 'forbidden' && message.topic ? this.subs.topics.get(message.topic) : undefined;
    if (ended && ended.wire !== 'none') return this.subs.end(ended, error);
    if (record && record.subId === message.id) return this.subs.end(record, error);
    this.events.error(error);
  }

  private badFrame(reason: string): void {
    this.metricsTracker.badFrames++;
    this.events.error({ code: 'bad_frame', message: `bad frame from the server: ${reason}` });
  }

  /** A refused token (4401 close or 401 poll): once per streak, every listener hears `unauthorized`. */
  private refused(reason: string): void {
    const error = this.auth.refused(reason);
    if (!error) return;
    this.events.error(error);
    for (const record of this.subs.topics.values()) {
      if (record.subscribers.size === 0) continue;
      record.error = { ...error, topic: record.topic };
      for (const subscriber of record.subscribers) if (subscriber.active) this.delivery.callErrorHandler(subscriber, record.error);
    }
  }

  // ---- polling -------------------------------------------------------------------

  private onPolledSnapshot(topic: string, snapshot: TopicSnapshot): void {
    if (this.connection.isOpen) return; // the socket is back in charge
    const record = this.subs.topics.get(topic);
    if (!record || record.subscribers.size === 0) return;
    this.pollFailureReported = false;
    this.auth.accepted(); // the server took our token: a refusal streak is over
    const tracker = this.metricsTracker;
    tracker.messages.add(1);
    tracker.lastMessageAt = Date.now();
    const current = record.state;
    if (current && current.epoch === snapshot.epoch && snapshot.seq <= current.seq) {
      tracker.changed();
      return; // nothing new
    }
    const continuous = current !== undefined && current.epoch === snapshot.epoch;
    let kind = record.replace(snapshot.epoch, snapshot.seq, snapshot.data);
    // A newer state of the same epoch continues what listeners had; another epoch does not.
    if (continuous) kind = 'snapshot';
    else if (kind === 'reset') tracker.resyncs++;
    this.subs.count(record);
    tracker.changed();
    this.delivery.notify(record, kind);
  }

  private onPollError(polled: StreamError): void {
    if (this.connection.isOpen) return;
    const error = { ...polled, message: this.auth.redact(polled.message) };
    const record = error.topic ? this.subs.topics.get(error.topic) : undefined;
    if (record) {
      // Refused again (e.g. forbidden) round after round: tell the listeners once.
      if (record.error?.code === error.code && record.error.message === error.message) return;
      this.delivery.topicError(record, error);
      return;
    }
    if (this.pollFailureReported) return; // once per outage, not once per topic per period
    this.pollFailureReported = true;
    this.events.error(error);
  }

  // ---- state ---------------------------------------------------------------------

  /** What the connection machine asks of the stream. */
  private connectionHost(): ConnectionHost {
    return {
      wanted: () => this.subs.wanted(),
      holdsTopics: () => this.subs.topics.size > 0,
      helloToken: () => this.auth.resolve(),
      linkOpened: (token) => this.auth.usedForHello(token),
      frame: (data) => this.onFrame(data),
      welcomed: (welcome: WelcomeMessage, generation) => {
        this.pollFailureReported = false;
        this.auth.welcomed(welcome.serverTime, generation);
        this.startRateTicker();
      },
      resume: () => this.subs.resume(),
      linkEnded: () => {
        this.auth.socketEnded();
        this.subs.linkEnded();
      },
      refused: (reason) => this.refused(reason),
      idle: () => {
        this.subs.cancelIdleClose();
        this.stopRateTicker();
        this.auth.accepted(); // a refusal streak ends with the need for a connection
      },
      stateChanged: () => this.publish(),
      error: (error) => this.events.error(error),
      internalError: (error) => this.events.error({ code: 'internal_error', message: `stream internal error: ${describe(error)}` }),
      redact: (text) => this.auth.redact(text),
    };
  }

  /** Tells `statechange` listeners when the public state moved, and keeps the metrics' mode. */
  private publish(): void {
    const state = this.state;
    const tracker = this.metricsTracker;
    const mode = this.delivery.paused ? 'paused' : state === 'polling' ? 'polling' : 'realtime';
    if (tracker.mode !== mode) {
      tracker.mode = mode;
      tracker.changed();
    }
    const previous = this.published;
    if (state === previous) return;
    this.published = state;
    this.events.emit('statechange', { state, previous });
  }

  /** Rates decay with time even without traffic: refresh the metrics once a second. */
  private startRateTicker(): void {
    if (this.rateTicker !== undefined) return;
    this.rateTicker = setInterval(() => this.metricsTracker.changed(), 1_000);
  }

  private stopRateTicker(): void {
    if (this.rateTicker !== undefined) clearInterval(this.rateTicker);
    this.rateTicker = undefined;
  }

  private persistPause(): void {
    if (!this.options.persist) return;
    try {
      if (typeof localStorage !== 'undefined') localStorage.setItem(pausedStorageKey(this.url), this.delivery.paused ? '1' : '0');
    } catch {
      /* storage full or blocked: the choice just does not persist */
    }
  }
}

function readPersistedPause(url: string): boolean {
  try {
    return typeof localStorage !== 'undefined' && localStorage.getItem(pausedStorageKey(url)) === '1';
  } catch {
    return false;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
