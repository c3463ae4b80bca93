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
  parseTopic,
  type WelcomeMessage,
  type EventsSnapshotData,
  type EventsUpdateData,
  type JsonObject,
  type JsonValue,
  type StateUpdateData,
} from '../protocol/index.js';
import { Auth } from './auth.js';
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_CAP_MS } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { Connection, type ConnectionHost } from './connection.js';
import { Delivery } from './delivery.js';
import { Inbound } from './inbound.js';
import { StreamEmitter, describe } from './emitter.js';
import { MetricsTracker } from './metrics.js';
import { PollingFallback } from './polling-fallback.js';
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
import { chooseSharing } from './tabs/sharing.js';
import type { ShareHandle } from './tabs/tab-share.js';

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

type ResolvedOptions = Required<Omit<StreamOptions, 'token' | 'random' | 'transport' | 'clock' | 'share' | 'sharedWorker'>> &
  Pick<StreamOptions, 'token' | 'random' | 'transport' | 'clock' | 'share' | 'sharedWorker'>;

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
  private readonly fallback: PollingFallback;
  private readonly connection: Connection;
  private readonly subs: Subscriptions;
  private readonly inbound: Inbound;
  /** The state last told to `statechange` listeners. */
  private published: ConnectionState;
  /** The tabs' shared socket host (docs/cross-tab.md); undefined: a socket of our own. */
  private readonly share: ShareHandle | undefined;

  /** Use getStream(): it returns the page's one stream for a URL. */
  constructor(normalisedUrl: string, options: StreamOptions = {}) {
    this.url = normalisedUrl;
    this.httpUrl = httpBaseOf(normalisedUrl);
    const o = (this.options = { ...STREAM_DEFAULTS, ...stripUndefined(options) } as ResolvedOptions);
    const given = o.clock ?? {};
    const clock: Clock = {
      now: given.now ?? systemClock.now,
      setTimer: given.setTimer ?? systemClock.setTimer,
      clearTimer: given.clearTimer ?? systemClock.clearTimer,
      random: o.random ?? given.random ?? systemClock.random,
    };
    const backoff = { baseMs: o.backoffBaseMs, capMs: o.backoffMaxMs };
    const guard = (fn: () => void) => this.events.guard(fn);
    this.metricsTracker = new MetricsTracker((metrics) => this.events.emit('metrics', metrics));
    this.delivery = new Delivery(this.events);
    this.auth = new Auth(o.token, clock, backoff, {
      isOpen: (generation) => generation === this.connection.generation && this.connection.isOpen,
      sendRefresh: (token) => this.connection.send({ op: 'refresh', token }),
      error: (error) => this.events.error(error),
    });
    this.fallback = new PollingFallback({
      ...o,
      httpBase: this.httpUrl,
      auth: this.auth,
      delivery: this.delivery,
      metrics: this.metricsTracker,
      held: () => this.subs.held(),
      topic: (name) => this.subs.topics.get(name),
      count: (record) => this.subs.count(record),
      socketOpen: () => this.connection.isOpen,
      refused: (reason) => this.refused(reason),
      error: (error) => this.events.error(error),
      guard,
    });
    // A given transport (tests, a custom carrier) is used as is; else the tabs share one socket when they can.
    this.share = o.transport ? undefined : chooseSharing(normalisedUrl, o);
    const transport = o.transport ?? this.share?.transport ?? openWebSocket;
    const connectionOptions = { ...o, url: normalisedUrl, transport, clock, fallback: this.fallback };
    this.connection = new Connection({ ...connectionOptions, metrics: this.metricsTracker }, this.connectionHost());
    this.subs = new Subscriptions({
      ...o,
      clock,
      connection: this.connection,
      delivery: this.delivery,
      metrics: this.metricsTracker,
      pollNow: (topic) => this.fallback.pollNow(topic),
      badFrame: (reason) => this.inbound.badFrame(reason),
      guard,
    });
    this.inbound = new Inbound(this.connection, this.subs, this.metricsTracker, this.auth, (error) => this.events.error(error));
    if (o.persist) this.delivery.paused = readPersistedPause(this.url);
    this.metricsTracker.mode = this.delivery.paused ? 'paused' : 'realtime';
    this.published = this.state;
    const share = this.share;
    if (share) {
      const tracker = this.metricsTracker;
      const sync = () => {
        tracker.sharing = share.mode;
        tracker.handoffs = share.handoffs;
        tracker.changed();
      };
      sync();
      share.onChange(sync);
    }
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
      polls: this.fallback.polls,
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
  subscribe<T = JsonValue>(topic: `events:${string}`, listener: TopicListener<EventsSnapshotData<T>, EventsUpdateData<T>>, options?: SubscribeOptions): SubscriptionHandle;
  subscribe<D = JsonObject>(topic: `state:${string}`, listener: TopicListener<D, StateUpdateData>, options?: SubscribeOptions): SubscriptionHandle;
  subscribe<D = unknown, U = unknown>(topic: string, listener: TopicListener<D, U>, options?: SubscribeOptions): SubscriptionHandle;
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
      pendingCompacted: false,
    };
    const inert = (error: StreamError): SubscriptionHandle => {
      this.delivery.refuseLater(subscriber, error);
      return { topic, unsubscribe: () => void (subscriber.active = false) };
    };
    if (this.connection.phaseName === 'disposed') return inert({ code: 'closed', message: 'this stream was closed', topic });
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
    if (this.delivery.paused || this.connection.phaseName === 'disposed') return;
    this.delivery.pause(this.subs.topics.values());
    this.persistPause();
    this.publish();
  }

  /**
   * Unfreezes: every listener at once gets the current state, as `reset` when its
   * topic lost continuity while paused, else as `snapshot`.
   */
  resume(): void {
    if (!this.delivery.paused || this.connection.phaseName === 'disposed') return;
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
    if (this.connection.phaseName === 'disposed') return;
    this.auth.dispose();
    this.fallback.stop();
    this.delivery.dispose();
    this.subs.dispose();
    const registry = streamRegistry();
    if (registry.get(this.url) === (this as unknown)) registry.delete(this.url);
    this.connection.dispose();
    this.share?.release();
    this.metricsTracker.dispose();
    this.events.clear();
  }

  /** A refused token (4401 close or 401 poll): once per streak, every listener hears `unauthorized`. */
  private refused(reason: string): void {
    const error = this.auth.refused(reason);
    if (!error) return;
    this.events.error(error);
    this.subs.refuseAll(error);
  }

  // ---- state ---------------------------------------------------------------------

  /** What the connection machine asks of the stream. */
  private connectionHost(): ConnectionHost {
    return {
      wanted: () => this.subs.wanted(),
      holdsTopics: () => this.subs.topics.size > 0,
      helloToken: () => this.auth.resolve(),
      linkOpened: (token) => this.auth.usedForHello(token),
      frame: (data) => this.inbound.onFrame(data),
      welcomed: (welcome: WelcomeMessage, generation) => {
        this.fallback.socketBack();
        this.auth.welcomed(welcome.serverTime, generation);
        this.metricsTracker.startTicker();
      },
      resume: () => this.subs.resume(),
      linkEnded: () => {
        this.auth.socketEnded();
        this.subs.linkEnded();
      },
      refused: (reason) => this.refused(reason),
      idle: () => {
        this.subs.cancelIdleClose();
        this.metricsTracker.stopTicker();
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
