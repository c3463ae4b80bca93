/**
 * MarketStream: one resilient WebSocket per server URL, shared by every listener on the
 * page. It keeps each topic's state (snapshot plus every applied update), resumes from
 * history after a reconnect, resyncs on gaps, falls back to polling, and hands listeners
 * coalesced events. It renders nothing; browser APIs beyond WebSocket/fetch/timers are
 * used only behind `typeof` checks so the module loads in Node.
 */
import {
  PROTOCOL_VERSION,
  CloseCode,
  cloneData,
  parseServerFrame,
  parseTopic,
  type ClientMessage,
  type ErrorMessage,
  type ServerMessage,
  type SnapshotMessage,
  type SubscribedMessage,
  type TopicSnapshot,
  type UpdateMessage,
  type WelcomeMessage,
  DEFAULT_MAX_BARS,
} from '../protocol/index.js';
import { Backoff, DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_CAP_MS } from './backoff.js';
import { FrameScheduler } from './frame-scheduler.js';
import { Liveness } from './liveness.js';
import { MetricsTracker } from './metrics.js';
import { Poller } from './polling.js';
import { streamRegistry } from './registry.js';
import { MIN_REFRESH_RETRY_MS, REFRESH_LEAD_MS, jwtExpiryMs, redactSecrets, refreshDelayMs } from './token.js';
import { owe, TopicRecord, type Subscriber } from './topic-record.js';
import type {
  ConnectionState,
  StreamDebug,
  StreamError,
  StreamEventMap,
  StreamMetrics,
  StreamOptions,
  SubscribeOptions,
  SubscriptionHandle,
  TopicEvent,
  TopicListener,
  TopicState,
} from './types.js';
import { httpBaseOf } from './url.js';

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

const WS_OPEN = 1;
/** Close code of a refused, bad or expired token. */
const CLOSE_UNAUTHORIZED = 4401;
/** Refusals in a row (4401 closes, 401 poll rounds) after which the stream reports `unauthorized` (to `error` listeners and every topic). */
export const UNAUTHORIZED_REPORT_AFTER = 3;
/**
 * After `error rate_limited`, `sub`/`unsub` frames still unanswered are sent again after
 * a jittered wait of this base (plus up to as much again): the server drops frames over
 * its limit unread, and its flood window needs about a second to clear.
 */
export const RATE_LIMITED_RETRY_MS = 1_000;
/** Re-sends per topic before it is given up with a `rate_limited` topic error. */
export const RATE_LIMITED_MAX_RETRIES = 5;

type ResolvedOptions = Required<Omit<StreamOptions, 'token' | 'random'>> & Pick<StreamOptions, 'token' | 'random'>;
type EventListeners = { [K in keyof StreamEventMap]: Set<(detail: StreamEventMap[K]) => void> };

const perfNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class MarketStream {
  /** The normalised `ws(s)://` URL. */
  readonly url: string;
  /** The HTTP base the REST endpoints live under (polling). */
  readonly httpUrl: string;

  private readonly options: ResolvedOptions;
  private readonly topics = new Map<string, TopicRecord>();
  /** `sub` ids awaiting `subscribed`, to their topic. */
  private readonly pendingSubs = new Map<number, TopicRecord>();
  /** `unsub` ids of dropped topics awaiting `unsubscribed`, to their topic. */
  private readonly pendingUnsubs = new Map<number, string>();
  /** Re-sends after `rate_limited` so far, per topic (cleared by its answer). */
  private readonly rateRetries = new Map<string, number>();
  private rateRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly events: EventListeners = { statechange: new Set(), metrics: new Set(), error: new Set() };
  private readonly metricsTracker: MetricsTracker;
  private readonly backoff: Backoff;
  /** Waits between polling rounds whose token was refused (401). */
  private readonly pollAuthBackoff: Backoff;
  private readonly poller: Poller;
  private readonly frames: FrameScheduler;
  /** Frame-coalesced listeners owed a delivery, with their topic. */
  private readonly dirty = new Map<Subscriber, TopicRecord>();
  private readonly sent: Record<string, number> = {};
  private socketsOpened = 0;
  private polls = 0;

  private connState: ConnectionState = 'idle';
  private isPaused = false;
  private disposed = false;
  private socket: WebSocket | undefined;
  /** Bumped whenever the current socket is abandoned; events of older sockets are ignored. */
  private socketGeneration = 0;
  private welcomed = false;
  private everOpened = false;
  private connecting = false;
  /** Failed connects in a row. */
  private failures = 0;
  private waitingForOnline = false;
  private liveness: Liveness | undefined;
  private nextId = 1;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private rateTicker: ReturnType<typeof setInterval> | undefined;
  private pollFailureReported = false;
  /** Token sent in the `hello` of the socket being opened. */
  private helloToken: string | undefined;
  /** Token in force on the open socket (hello or last refresh). */
  private activeToken: string | undefined;
  /** The token last obtained (connect, refresh or poll), reused by polling rounds while it is fresh. */
  private latestToken: string | undefined;
  /** Recent tokens, so no text the stream emits can carry one. */
  private readonly knownTokens: string[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Server clock minus ours, from `welcome` (token `exp` is in the server's clock). */
  private clockSkewMs = 0;
  /** 4401 closes in a row (reset by `welcome`). */
  private authFailures = 0;
  private lastAuthReason = '';
  /** Set once `UNAUTHORIZED_REPORT_AFTER` 4401s came in a row; cleared by `welcome`. */
  private authError: StreamError | undefined;

  private readonly onOnline = () => {
    this.waitingForOnline = false;
    if (this.retryTimer !== undefined || (this.needsConnection() && !this.socket && !this.connecting)) this.connectNow();
  };
  private readonly onVisibilityChange = () => {
    if (typeof document === 'undefined' || document.visibilityState !== 'visible') return;
    this.liveness?.grace();
    if (this.retryTimer !== undefined) this.connectNow();
  };

  /** Use getStream(): it returns the page's one stream for a URL. */
  constructor(normalisedUrl: string, options: StreamOptions = {}) {
    this.url = normalisedUrl;
    this.httpUrl = httpBaseOf(normalisedUrl);
    this.options = { ...STREAM_DEFAULTS, ...stripUndefined(options) } as ResolvedOptions;
    this.backoff = new Backoff({
      baseMs: this.options.backoffBaseMs,
      capMs: this.options.backoffMaxMs,
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    this.pollAuthBackoff = new Backoff({
      baseMs: this.options.backoffBaseMs,
      capMs: this.options.backoffMaxMs,
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    this.metricsTracker = new MetricsTracker((metrics) => this.emit('metrics', metrics));
    this.poller = new Poller({
      httpBase: this.httpUrl,
      intervalMs: this.options.pollIntervalMs,
      topics: () => [...this.topics.values()].filter((r) => r.subscribers.size > 0).map((r) => r.topic),
      onSnapshot: (topic, snapshot) => this.guard(() => this.onPolledSnapshot(topic, snapshot)),
      onError: (error) => this.guard(() => this.onPollError(error)),
      ...(this.options.token !== undefined ? { token: () => this.pollingToken() } : {}),
      onUnauthorized: (reason) => this.guard(() => this.onPollUnauthorized(reason)),
      // Like a 4401: the next round asks for a token again, after a growing full-jitter wait.
      unauthorizedDelayMs: () => Math.max(this.options.pollIntervalMs, this.pollAuthBackoff.next()),
      fetch: (input, init) => {
        this.polls++;
        return fetch(input, init);
      },
    });
    this.frames = new FrameScheduler(() => this.guard(() => this.flushFrame()));
    if (this.options.persist) this.isPaused = readPersistedPause(this.url);
    this.metricsTracker.mode = this.isPaused ? 'paused' : 'realtime';
    if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') {
      window.addEventListener('online', this.onOnline);
    }
    if (typeof document !== 'undefined' && typeof document.addEventListener === 'function') {
      document.addEventListener('visibilitychange', this.onVisibilityChange);
    }
  }

  // ---- public API ----------------------------------------------------------------

  /** Connection state; `paused` while paused, whatever the socket does underneath. */
  get state(): ConnectionState {
    return this.isPaused && this.connState !== 'closed' ? 'paused' : this.connState;
  }

  /** The same object until a metric changes, then a fresh one. */
  get metrics(): StreamMetrics {
    return this.metricsTracker.snapshot();
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Wire counters and a frame-injection hook for tests and diagnostics. */
  get debug(): StreamDebug {
    return {
      sentOps: { ...this.sent },
      socketsOpened: this.socketsOpened,
      polls: this.polls,
      topics: Object.fromEntries([...this.topics.values()].map((r) => [r.topic, r.subscribers.size])),
      listeners: { statechange: this.events.statechange.size, metrics: this.events.metrics.size, error: this.events.error.size },
      socket: this.socket !== undefined,
      injectFrame: (text: string) => this.guard(() => this.onFrame(this.socketGeneration, text)),
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
      queueMicrotask(() => {
        if (subscriber.active) this.callErrorHandler(subscriber, error);
      });
      return { topic, unsubscribe: () => void (subscriber.active = false) };
    };
    if (this.disposed) return inert({ code: 'closed', message: 'this stream was closed', topic });
    const parsed = parseTopic(topic);
    if (!parsed.ok) return inert({ code: 'bad_request', message: `bad topic: ${parsed.reason}`, topic: String(topic).slice(0, 128) });

    let record = this.topics.get(topic);
    if (!record) {
      record = new TopicRecord(topic, parsed.topic.kind);
      // The server keeps refusing our token: a new topic is refused too, until a `welcome`.
      if (this.authError) record.error = { ...this.authError, topic };
      this.topics.set(topic, record);
    }
    const rec = record;
    if (rec.lingerTimer !== undefined) clearTimeout(rec.lingerTimer);
    rec.lingerTimer = undefined;
    this.cancelIdleClose();
    rec.subscribers.add(subscriber);

    if (rec.state) {
      owe(subscriber, 'snapshot');
      queueMicrotask(() => this.guard(() => this.deliver(rec, subscriber)));
    } else if (rec.error) {
      const error = rec.error;
      queueMicrotask(() => {
        if (subscriber.active) this.callErrorHandler(subscriber, error);
      });
    }
    this.demandWire(rec);
    return { topic, unsubscribe: () => this.guard(() => this.release(rec, subscriber)) };
  }

  /** The topic's current (live) state, or undefined. Treat `data` as read-only. */
  getTopicState<D = unknown>(topic: string): TopicState<D> | undefined {
    return this.topics.get(topic)?.view() as TopicState<D> | undefined;
  }

  /** Adds an event listener; returns the function that removes it. */
  on<K extends keyof StreamEventMap>(type: K, listener: (detail: StreamEventMap[K]) => void): () => void {
    const set = this.events[type] as Set<(detail: StreamEventMap[K]) => void> | undefined;
    if (!set) return () => {};
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** Freezes what listeners see; the stream keeps its data current underneath. */
  pause(): void {
    if (this.isPaused || this.disposed) return;
    const previous = this.state;
    this.isPaused = true;
    // Listeners keep the objects they hold; the live state continues in a copy.
    for (const record of this.topics.values()) record.fork();
    this.persistPause();
    this.afterStateChange(previous);
  }

  /**
   * Unfreezes: every listener at once gets the current state, as `reset` when its
   * topic lost continuity while paused, else as `snapshot`.
   */
  resume(): void {
    if (!this.isPaused || this.disposed) return;
    const previous = this.state;
    this.isPaused = false;
    this.persistPause();
    this.afterStateChange(previous);
    for (const record of this.topics.values()) {
      if (!record.state) continue;
      for (const subscriber of record.subscribers) {
        owe(subscriber, subscriber.pendingKind === 'reset' ? 'reset' : 'snapshot');
        this.dirty.delete(subscriber);
        this.deliver(record, subscriber);
      }
    }
  }

  /**
   * Reconnect now: drops any backoff wait and connects at once (also after `maxRetries`
   * gave up). No-op while open or while a connect is in progress.
   */
  reconnect(): void {
    if (this.disposed) return;
    if (this.connState === 'closed') {
      this.failures = 0;
      this.backoff.reset();
      this.setConnState(this.everOpened ? 'reconnecting' : 'connecting');
    }
    if (this.welcomed || this.connecting) return;
    this.connectNow();
  }

  /** Releases everything: socket, timers, listeners. State `closed`; removed from the registry. */
  close(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearTimers();
    this.closeSocket(CloseCode.Normal, 'client closed');
    this.poller.stop();
    this.frames.dispose();
    for (const record of this.topics.values()) {
      if (record.lingerTimer !== undefined) clearTimeout(record.lingerTimer);
      for (const subscriber of record.subscribers) subscriber.active = false;
    }
    this.topics.clear();
    this.pendingSubs.clear();
    this.dirty.clear();
    if (typeof window !== 'undefined' && typeof window.removeEventListener === 'function') {
      window.removeEventListener('online', this.onOnline);
    }
    if (typeof document !== 'undefined' && typeof document.removeEventListener === 'function') {
      document.removeEventListener('visibilitychange', this.onVisibilityChange);
    }
    const registry = streamRegistry();
    if (registry.get(this.url) === (this as unknown)) registry.delete(this.url);
    const previous = this.state;
    this.connState = 'closed';
    this.afterStateChange(previous);
    this.metricsTracker.dispose();
    for (const set of Object.values(this.events)) set.clear();
  }

  // ---- topics and listeners ------------------------------------------------------

  private demandWire(record: TopicRecord): void {
    if (record.wire !== 'none' || record.error) return;
    if (this.welcomed) this.sendSub(record);
    else if (this.poller.active) this.poller.pollNow(record.topic);
    if (!this.socket && !this.connecting && this.retryTimer === undefined && this.connState !== 'closed') {
      this.connectNow();
    }
  }

  private release(record: TopicRecord, subscriber: Subscriber): void {
    if (!subscriber.active) return;
    subscriber.active = false;
    record.subscribers.delete(subscriber);
    this.dirty.delete(subscriber);
    if (record.subscribers.size > 0 || this.topics.get(record.topic) !== record || this.disposed) return;
    // Linger, so a re-render that drops and takes the topic again does not churn the wire.
    record.lingerTimer = setTimeout(() => this.guard(() => this.dropTopic(record)), this.options.lingerMs);
  }

  private dropTopic(record: TopicRecord): void {
    record.lingerTimer = undefined;
    if (record.subscribers.size > 0 || this.topics.get(record.topic) !== record) return;
    if (record.wire !== 'none' && this.welcomed) this.sendUnsub(record.topic);
    if (record.subId !== undefined) this.pendingSubs.delete(record.subId);
    this.rateRetries.delete(record.topic);
    this.topics.delete(record.topic);
    this.metricsTracker.topicMessages.delete(record.topic);
    this.metricsTracker.changed();
    if (this.topics.size === 0) this.scheduleIdleClose();
  }

  /** Tells a topic's listeners about a change, now or at the next frame. */
  private notify(record: TopicRecord, kind: 'snapshot' | 'reset' | 'update', update?: UpdateMessage): void {
    for (const subscriber of record.subscribers) {
      if (!subscriber.active) continue;
      if (this.isPaused && subscriber.seen) {
        // Frozen: resume() delivers one full state.
        owe(subscriber, kind === 'reset' ? 'reset' : 'snapshot');
        continue;
      }
      owe(subscriber, kind, update);
      // A listener's first state goes out at once; so does everything for `none`.
      if (subscriber.coalesce === 'none' || !subscriber.seen) {
        this.dirty.delete(subscriber);
        this.deliver(record, subscriber);
      } else {
        this.dirty.set(subscriber, record);
        this.frames.request();
      }
    }
  }

  private flushFrame(): void {
    if (this.isPaused) return; // owed events wait for resume()
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const [subscriber, record] of batch) this.deliver(record, subscriber);
  }

  private deliver(record: TopicRecord, subscriber: Subscriber): void {
    const kind = subscriber.pendingKind;
    if (!subscriber.active || !kind || !record.state) return;
    const updates = subscriber.pendingUpdates;
    subscriber.pendingKind = null;
    subscriber.pendingUpdates = [];
    let state = record.view()!;
    // While paused a first delivery gets its own copy, so it stays frozen.
    if (this.isPaused) state = { ...state, data: cloneData(state.data) };
    const event: TopicEvent =
      kind === 'update' ? { kind, state, update: updates[updates.length - 1]!, updates } : { kind, state };
    subscriber.seen = true;
    try {
      subscriber.listener(event);
    } catch (error) {
      this.emit('error', { code: 'listener_error', message: `a ${record.topic} listener threw: ${describe(error)}`, topic: record.topic });
    }
  }

  private callErrorHandler(subscriber: Subscriber, error: StreamError): void {
    if (!subscriber.onError) return;
    try {
      subscriber.onError(error);
    } catch (thrown) {
      this.emit('error', { code: 'listener_error', message: `an onError handler threw: ${describe(thrown)}` });
    }
  }

  private topicError(record: TopicRecord, error: StreamError): void {
    record.error = error;
    for (const subscriber of record.subscribers) {
      if (!subscriber.active) continue;
      // What happened before the error reaches the listener before it (never after, where it
      // would read as a recovery); while paused the owed state is simply dropped.
      if (subscriber.pendingKind) {
        this.dirty.delete(subscriber);
        if (this.isPaused && subscriber.seen) {
          subscriber.pendingKind = null;
          subscriber.pendingUpdates = [];
        } else this.deliver(record, subscriber);
      }
      if (subscriber.active) this.callErrorHandler(subscriber, error);
    }
    this.emit('error', error);
  }

  // ---- connection ----------------------------------------------------------------

  private needsConnection(): boolean {
    for (const record of this.topics.values()) if (record.subscribers.size > 0) return true;
    return false;
  }

  private connectNow(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.disposed || this.connecting || this.socket) return;
    if (!this.needsConnection()) {
      if (this.topics.size === 0) this.goIdle();
      return;
    }
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      // No attempts while offline: the `online` event brings us back.
      this.waitingForOnline = true;
      if (this.connState !== 'polling') this.setConnState(this.everOpened || this.failures > 0 ? 'reconnecting' : 'connecting');
      return;
    }
    this.connecting = true;
    const generation = ++this.socketGeneration;
    if (this.connState !== 'polling') this.setConnState(this.everOpened || this.failures > 0 ? 'reconnecting' : 'connecting');
    let token: string | undefined;
    try {
      token = await this.resolveToken();
    } catch (error) {
      if (generation !== this.socketGeneration || this.disposed) return;
      this.connecting = false;
      this.emit('error', { code: 'token_error', message: `the token function failed: ${this.redact(describe(error))}` });
      this.connectFailed();
      return;
    }
    if (generation !== this.socketGeneration || this.disposed) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.connecting = false;
      this.emit('error', { code: 'connect_failed', message: this.redact(describe(error)) });
      this.connectFailed();
      return;
    }
    this.socket = socket;
    this.socketsOpened++;
    this.helloToken = token;
    this.latestToken = token;
    this.rememberToken(token);
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      if (generation !== this.socketGeneration || this.welcomed) return;
      this.guard(() => {
        this.closeSocket(CloseCode.ClientTimeout, 'connect timeout');
        this.connecting = false;
        this.connectFailed();
      });
    }, this.options.connectTimeoutMs);
    socket.onopen = () =>
      this.guard(() => {
        if (generation !== this.socketGeneration) return;
        // The token goes in `hello`, never in the URL.
        this.send(token === undefined ? { op: 'hello', v: PROTOCOL_VERSION } : { op: 'hello', v: PROTOCOL_VERSION, token });
      });
    socket.onmessage = (event: MessageEvent) => this.guard(() => this.onFrame(generation, event.data));
    socket.onclose = (event: CloseEvent) => this.guard(() => this.onSocketClose(generation, event.code, event.reason));
    socket.onerror = () => {}; // a close event follows
  }

  private async resolveToken(): Promise<string | undefined> {
    const token = this.options.token;
    const value = typeof token === 'function' ? await token() : token;
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  /**
   * The token a polling round sends: the one last obtained (by a connect, a refresh or an
   * earlier round) while it is not refused and not within REFRESH_LEAD_MS of its JWT `exp`;
   * otherwise the token function is asked again (a string token is simply used).
   */
  private async pollingToken(): Promise<string | undefined> {
    const cached = this.latestToken;
    if (typeof this.options.token === 'function' && cached !== undefined) {
      const expMs = jwtExpiryMs(cached);
      if (expMs === undefined || expMs - this.serverNow() > REFRESH_LEAD_MS) return cached;
    }
    const token = await this.resolveToken();
    this.latestToken = token;
    this.rememberToken(token);
    return token;
  }

  private onSocketClose(generation: number, code: number, reason: string): void {
    if (generation !== this.socketGeneration) return;
    const wasOpen = this.welcomed;
    this.closeSocket();
    const unauthorized = code === CLOSE_UNAUTHORIZED;
    if (unauthorized) this.onUnauthorizedClose(reason);
    if (wasOpen) this.connectionLost();
    else {
      this.connecting = false;
      this.connectFailed(unauthorized);
    }
  }

  /**
   * A refused token: a 4401 close (no, bad or expired token), or a polling round answered
   * 401. The next connect (or round) asks the token function again and waits its backoff,
   * so a refused token cannot hot-loop. After a few in a row the stream says so, once per
   * streak.
   */
  private onUnauthorizedClose(reason: string): void {
    this.authFailures++;
    this.latestToken = undefined; // refused: polling asks the token function again too
    this.lastAuthReason = this.redact(reason || this.lastAuthReason || 'unauthorized').slice(0, 100);
    if (this.authFailures < UNAUTHORIZED_REPORT_AFTER || this.authError) return;
    const error: StreamError = {
      code: 'unauthorized',
      message: `Not authorized (${this.lastAuthReason}); retrying.`,
    };
    this.authError = error;
    this.emit('error', error);
    for (const record of this.topics.values()) {
      if (record.subscribers.size === 0) continue;
      record.error = { ...error, topic: record.topic };
      for (const subscriber of record.subscribers) if (subscriber.active) this.callErrorHandler(subscriber, record.error);
    }
  }

  /** An open connection went away: resume from where each topic stands, after a jittered wait. */
  private connectionLost(): void {
    this.metricsTracker.connectedSince = null;
    this.metricsTracker.changed();
    if (!this.needsConnection()) {
      this.goIdle();
      return;
    }
    this.setConnState('reconnecting');
    this.scheduleRetry();
  }

  private connectFailed(unauthorized = false): void {
    if (this.disposed) return;
    this.failures++;
    this.metricsTracker.attempt = this.failures;
    this.metricsTracker.changed();
    if (!this.needsConnection()) {
      this.goIdle();
      return;
    }
    if (this.failures >= this.options.maxRetries) {
      this.poller.stop();
      this.setConnState('closed');
      this.emit('error', { code: 'gave_up', message: `no connection after ${this.failures} attempts; call reconnect() to try again` });
      return;
    }
    // A refused token is not a network problem: the server checks the same token on
    // /api/snapshot, so polling would only be refused too (401). Only network failures poll.
    if (!unauthorized && this.failures >= this.options.fallbackAfter) {
      this.setConnState('polling');
      this.poller.start();
    } else if (this.connState !== 'polling') {
      this.setConnState(this.everOpened || this.failures > 0 ? 'reconnecting' : 'connecting');
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.guard(() => void this.connect());
    }, delay);
  }

  private onWelcome(welcome: WelcomeMessage): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.welcomed = true;
    this.connecting = false;
    this.failures = 0;
    this.backoff.reset();
    this.poller.stop();
    this.pollFailureReported = false;
    this.authFailures = 0;
    this.authError = undefined;
    this.clockSkewMs = Number.isFinite(welcome.serverTime) ? welcome.serverTime - Date.now() : 0;
    this.activeToken = this.helloToken;
    this.pollAuthBackoff.reset();
    this.scheduleRefresh(this.socketGeneration);
    const tracker = this.metricsTracker;
    if (this.everOpened) tracker.reconnects++;
    this.everOpened = true;
    tracker.connectedSince = Date.now();
    tracker.attempt = 0;
    tracker.changed();
    this.startRateTicker();
    this.liveness?.stop();
    this.liveness = new Liveness({
      intervalMs: welcome.heartbeatMs,
      sendPing: () => this.send({ op: 'ping', id: this.nextId++, t: Math.round(perfNow() * 1000) / 1000 }),
      onDead: () => this.guard(() => this.onDead()),
    });
    this.liveness.start();
    this.setConnState('open');
    // Resume every topic with listeners; lingering ones without listeners are dropped.
    for (const record of [...this.topics.values()]) {
      if (record.subscribers.size === 0) {
        if (record.lingerTimer !== undefined) clearTimeout(record.lingerTimer);
        record.lingerTimer = undefined;
        record.wire = 'none';
        this.dropTopic(record);
      } else {
        this.sendSub(record);
      }
    }
  }

  private onDead(): void {
    if (!this.welcomed) return;
    this.emit('error', { code: 'connection_dead', message: 'no frame from the server for two heartbeat intervals; reconnecting' });
    this.closeSocket(CloseCode.ClientTimeout, 'heartbeat timeout');
    this.connectionLost();
  }

  /** Abandons the current socket (its later events are ignored) and every wire subscription. */
  private closeSocket(code?: number, reason?: string): void {
    this.socketGeneration++;
    const socket = this.socket;
    this.socket = undefined;
    this.welcomed = false;
    this.connecting = false;
    this.liveness?.stop();
    this.liveness = undefined;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.activeToken = undefined;
    for (const record of this.topics.values()) {
      record.wire = 'none';
      record.subId = undefined;
      record.awaitingSnapshot = false;
      record.resyncing = false;
    }
    this.pendingSubs.clear();
    this.pendingUnsubs.clear();
    this.rateRetries.clear();
    if (this.rateRetryTimer !== undefined) clearTimeout(this.rateRetryTimer);
    this.rateRetryTimer = undefined;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        if (socket.readyState <= WS_OPEN) socket.close(code ?? CloseCode.Normal, reason);
      } catch {
        /* already closing */
      }
    }
  }

  private goIdle(): void {
    this.clearTimers();
    this.pollAuthBackoff.reset();
    this.authFailures = 0;
    this.authError = undefined;
    this.closeSocket(CloseCode.Normal, 'idle');
    this.poller.stop();
    this.failures = 0;
    this.backoff.reset();
    this.waitingForOnline = false;
    this.metricsTracker.connectedSince = null;
    this.metricsTracker.attempt = 0;
    this.metricsTracker.changed();
    if (!this.disposed) this.setConnState('idle');
  }

  private scheduleIdleClose(): void {
    this.cancelIdleClose();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.guard(() => {
        if (this.topics.size === 0 && !this.disposed) this.goIdle();
      });
    }, this.options.idleCloseMs);
  }

  private cancelIdleClose(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private clearTimers(): void {
    for (const timer of [this.retryTimer, this.connectTimer, this.idleTimer, this.refreshTimer]) if (timer !== undefined) clearTimeout(timer);
    this.retryTimer = this.connectTimer = this.idleTimer = this.refreshTimer = undefined;
    if (this.rateTicker !== undefined) clearInterval(this.rateTicker);
    this.rateTicker = undefined;
  }

  /** Rates decay with time even without traffic: refresh the metrics once a second. */
  private startRateTicker(): void {
    if (this.rateTicker !== undefined) return;
    this.rateTicker = setInterval(() => this.metricsTracker.changed(), 1_000);
  }

  // ---- token refresh -------------------------------------------------------------

  /**
   * With a token function and a JWT in force, fetch a fresh token before the current one
   * expires and send it as `refresh` on the open socket (see token.ts for the timing).
   */
  private scheduleRefresh(generation: number, delayMs?: number): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const token = this.activeToken;
    if (typeof this.options.token !== 'function' || !token) return; // a fixed string cannot be refreshed
    const expMs = jwtExpiryMs(token);
    if (expMs === undefined) return; // opaque token: nothing tells us when it ends
    const delay = delayMs ?? refreshDelayMs(expMs, this.serverNow());
    if (delay === undefined) return; // already expired: the server closes with 4401, the reconnect takes a fresh token
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshToken(generation, expMs);
    }, delay);
  }

  private async refreshToken(generation: number, currentExpMs: number): Promise<void> {
    const stillOpen = () => generation === this.socketGeneration && this.welcomed && !this.disposed;
    if (!stillOpen()) return;
    let fresh: string | undefined;
    let failure: string | undefined;
    try {
      fresh = await this.resolveToken();
    } catch (error) {
      failure = describe(error);
    }
    if (!stillOpen()) return;
    const freshExpMs = fresh === undefined ? undefined : jwtExpiryMs(fresh);
    const extends_ = fresh !== undefined && fresh !== this.activeToken && (freshExpMs === undefined || freshExpMs > currentExpMs);
    if (fresh !== undefined && extends_) {
      this.rememberToken(fresh);
      this.activeToken = fresh;
      this.latestToken = fresh;
      this.send({ op: 'refresh', token: fresh });
      this.scheduleRefresh(generation);
      return;
    }
    if (failure !== undefined) {
      this.emit('error', { code: 'token_error', message: `the token function failed: ${this.redact(failure)}` });
    }
    // No better token yet: ask again halfway to expiry, not sooner than MIN_REFRESH_RETRY_MS.
    const remaining = currentExpMs - this.serverNow();
    const retry = Math.max(MIN_REFRESH_RETRY_MS, Math.floor(remaining / 2));
    if (retry < remaining) this.scheduleRefresh(generation, retry);
  }

  private serverNow(): number {
    return Date.now() + this.clockSkewMs;
  }

  private rememberToken(token: string | undefined): void {
    if (!token || this.knownTokens.includes(token)) return;
    this.knownTokens.push(token);
    if (this.knownTokens.length > 4) this.knownTokens.shift();
  }

  /** Text that may reach listeners or the page, with any token we know replaced. */
  private redact(text: string): string {
    return redactSecrets(text, this.knownTokens);
  }

  // ---- wire ----------------------------------------------------------------------

  private send(message: ClientMessage): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WS_OPEN) return;
    try {
      socket.send(JSON.stringify(message));
      this.sent[message.op] = (this.sent[message.op] ?? 0) + 1;
    } catch (error) {
      this.emit('error', { code: 'send_failed', message: `could not send ${message.op}: ${describe(error)}` });
    }
  }

  private sendSub(record: TopicRecord, withSince = true): void {
    const id = this.nextId++;
    if (record.subId !== undefined) this.pendingSubs.delete(record.subId);
    record.subId = id;
    record.wire = 'subscribing';
    record.awaitingSnapshot = false;
    this.pendingSubs.set(id, record);
    const state = record.state;
    this.send(
      state && withSince
        ? { op: 'sub', id, topic: record.topic, since: { epoch: state.epoch, seq: state.seq } }
        : { op: 'sub', id, topic: record.topic },
    );
  }

  /** The `unsub` of a dropped topic, kept until answered so a rate-limited one is sent again. */
  private sendUnsub(topic: string): void {
    const id = this.nextId++;
    this.pendingUnsubs.set(id, topic);
    this.send({ op: 'unsub', id, topic });
  }

  /**
   * `error rate_limited`: the server dropped some of our frames unread. After a jittered
   * wait, every `sub` and `unsub` still unanswered is sent again, and checked again after
   * another wait (the server sends at most one `rate_limited` a second, so a re-sent frame
   * can be dropped without a word). At most RATE_LIMITED_MAX_RETRIES times per topic; then
   * the topic gets a `rate_limited` error instead of staying pending forever. Pings need
   * nothing: liveness is judged by frames.
   */
  private onRateLimited(): void {
    if (this.rateRetryTimer !== undefined) return;
    const generation = this.socketGeneration;
    const random = this.options.random ?? Math.random;
    this.rateRetryTimer = setTimeout(() => {
      this.rateRetryTimer = undefined;
      this.guard(() => {
        if (generation !== this.socketGeneration || !this.welcomed) return;
        let resent = 0;
        for (const [id, record] of [...this.pendingSubs]) {
          if (record.subId !== id || this.topics.get(record.topic) !== record) continue;
          const tries = (this.rateRetries.get(record.topic) ?? 0) + 1;
          if (tries > RATE_LIMITED_MAX_RETRIES) {
            this.pendingSubs.delete(id);
            this.rateRetries.delete(record.topic);
            record.wire = 'none';
            record.subId = undefined;
            record.resyncing = false;
            this.topicError(record, { code: 'rate_limited', message: 'the server kept dropping this subscription (rate limited)', topic: record.topic });
            continue;
          }
          this.rateRetries.set(record.topic, tries);
          this.sendSub(record, true);
          resent++;
        }
        for (const [id, topic] of [...this.pendingUnsubs]) {
          this.pendingUnsubs.delete(id);
          // Taken again meanwhile: its new `sub` stands, an `unsub` now would cancel it.
          if (this.topics.has(topic)) continue;
          const tries = (this.rateRetries.get(topic) ?? 0) + 1;
          if (tries > RATE_LIMITED_MAX_RETRIES) {
            this.rateRetries.delete(topic);
            continue; // at worst the server keeps sending a topic we ignore, until this socket ends
          }
          this.rateRetries.set(topic, tries);
          this.sendUnsub(topic);
          resent++;
        }
        if (resent > 0) this.onRateLimited();
      });
    }, RATE_LIMITED_RETRY_MS * (1 + random()));
  }

  /** A gap: re-subscribe the topic with `since`, so the server sends what we missed (or a snapshot). */
  private resync(record: TopicRecord): void {
    if (record.resyncing) return;
    record.resyncing = true;
    if (!this.welcomed) return; // the resume on reconnect covers it
    this.send({ op: 'unsub', id: this.nextId++, topic: record.topic });
    this.sendSub(record);
  }

  private onFrame(generation: number, data: unknown): void {
    if (generation !== this.socketGeneration || this.disposed) return;
    this.liveness?.frameReceived();
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
    for (const message of messages) {
      if (generation !== this.socketGeneration) break; // a message closed the socket
      this.onMessage(message);
    }
    tracker.changed();
  }

  private badFrame(reason: string): void {
    this.metricsTracker.badFrames++;
    this.emit('error', { code: 'bad_frame', message: `bad frame from the server: ${reason}` });
  }

  private onMessage(message: ServerMessage): void {
    if (!this.welcomed && message.op !== 'welcome' && message.op !== 'error') return;
    switch (message.op) {
      case 'update':
        return this.onUpdate(message);
      case 'welcome':
        if (!this.welcomed) this.onWelcome(message);
        return;
      case 'subscribed':
        return this.onSubscribed(message);
      case 'snapshot':
        return this.onSnapshot(message);
      case 'pong': {
        const rtt = perfNow() - message.t;
        if (rtt >= 0 && rtt < 600_000) {
          this.metricsTracker.latencyMs = rtt;
          this.metricsTracker.rtt.add(rtt);
        }
        return;
      }
      case 'unsubscribed':
        if (this.pendingUnsubs.delete(message.id) && !this.topics.has(message.topic)) this.rateRetries.delete(message.topic);
        return;
      case 'error':
        return this.onServerError(message);
    }
  }

  private onSubscribed(message: SubscribedMessage): void {
    const record = this.pendingSubs.get(message.id);
    if (!record || record.subId !== message.id) return; // an answer to a sub we no longer care about
    this.pendingSubs.delete(message.id);
    if (record.topic !== message.topic) {
      this.badFrame(`subscribed ${message.id} names ${message.topic.slice(0, 64)}, expected ${record.topic}`);
      return;
    }
    record.wire = 'subscribed';
    record.error = undefined;
    this.rateRetries.delete(record.topic);
    const state = record.state;
    if (message.recovered) {
      if (!state || state.epoch !== message.epoch) {
        // Cannot continue from something we do not have: ask for a snapshot instead.
        this.badFrame(`subscribed ${message.topic} claims recovery from a state this client does not hold`);
        this.send({ op: 'unsub', id: this.nextId++, topic: record.topic });
        this.sendSub(record, false);
        return;
      }
      // The missed updates follow (and are applied in order by onUpdate).
      if (record.resyncing || message.seq > state.seq) this.metricsTracker.gapsRecovered++;
      record.resyncing = false;
      this.metricsTracker.changed();
    } else {
      record.awaitingSnapshot = true;
    }
  }

  private onSnapshot(message: SnapshotMessage): void {
    const record = this.topics.get(message.topic);
    if (!record || record.wire !== 'subscribed' || !record.awaitingSnapshot) return;
    const kind = record.replace(message.epoch, message.seq, message.data);
    this.countTopicMessage(record);
    if (kind === 'reset') this.metricsTracker.resyncs++;
    this.notify(record, kind);
  }

  private onUpdate(message: UpdateMessage): void {
    const record = this.topics.get(message.topic);
    if (!record) return;
    const outcome = record.applyUpdate(message, this.options.maxBars);
    if (outcome === 'ignored') return;
    this.countTopicMessage(record);
    if (outcome === 'duplicate') {
      this.metricsTracker.duplicatesDropped++;
    } else if (outcome === 'gap') {
      if (!record.resyncing) this.metricsTracker.gapsDetected++;
      this.resync(record);
    } else {
      this.notify(record, 'update', message);
    }
  }

  private onServerError(message: ErrorMessage): void {
    if (message.code === 'rate_limited' && message.id === undefined) this.onRateLimited();
    const record = message.id !== undefined ? this.pendingSubs.get(message.id) : undefined;
    const text = this.redact(message.message).slice(0, 300);
    if (!record && message.code === 'unauthorized') {
      if (!this.welcomed) {
        // The hello was refused; the 4401 close that follows is what counts (see onUnauthorizedClose).
        this.lastAuthReason = text.slice(0, 100);
        return;
      }
      // A `refresh` was refused: the session goes on until the old token expires (then 4401 and a reconnect).
      this.emit('error', { code: 'refresh_rejected', message: `token refresh refused: ${text}` });
      return;
    }
    const error: StreamError = {
      code: message.code,
      message: text,
      ...(record ? { topic: record.topic } : message.topic ? { topic: message.topic } : {}),
    };
    const ended = message.id === undefined && message.code === 'forbidden' && message.topic ? this.topics.get(message.topic) : undefined;
    if (ended && ended.wire !== 'none') {
      // A refreshed token no longer grants a topic we hold: the server ended that subscription.
      if (ended.subId !== undefined) this.pendingSubs.delete(ended.subId);
      ended.wire = 'none';
      ended.subId = undefined;
      ended.resyncing = false;
      this.topicError(ended, error);
      return;
    }
    if (record && record.subId === message.id) {
      this.pendingSubs.delete(message.id!);
      record.wire = 'none';
      record.subId = undefined;
      record.resyncing = false;
      this.topicError(record, error);
      return;
    }
    this.emit('error', error);
  }

  private countTopicMessage(record: TopicRecord): void {
    record.messages++;
    this.metricsTracker.topicMessages.set(record.topic, record.messages);
  }

  // ---- polling -------------------------------------------------------------------

  private onPolledSnapshot(topic: string, snapshot: TopicSnapshot): void {
    if (this.welcomed) return; // the socket is back in charge
    const record = this.topics.get(topic);
    if (!record || record.subscribers.size === 0) return;
    this.pollFailureReported = false;
    // The server took our token: a refusal streak (4401s, 401 rounds) is over.
    this.authFailures = 0;
    this.authError = undefined;
    this.pollAuthBackoff.reset();
    this.metricsTracker.messages.add(1);
    this.metricsTracker.lastMessageAt = Date.now();
    const current = record.state;
    if (current && current.epoch === snapshot.epoch && snapshot.seq <= current.seq) {
      this.metricsTracker.changed();
      return; // nothing new
    }
    const continuous = current !== undefined && current.epoch === snapshot.epoch;
    let kind = record.replace(snapshot.epoch, snapshot.seq, snapshot.data);
    // A newer state of the same epoch continues what listeners had; another epoch does not.
    if (continuous) kind = 'snapshot';
    else if (kind === 'reset') this.metricsTracker.resyncs++;
    this.countTopicMessage(record);
    this.metricsTracker.changed();
    this.notify(record, kind);
  }

  private onPollError(polled: StreamError): void {
    if (this.welcomed) return;
    const error = { ...polled, message: this.redact(polled.message) };
    const record = error.topic ? this.topics.get(error.topic) : undefined;
    if (record) {
      // Refused again (e.g. forbidden) round after round: tell the listeners once.
      if (record.error?.code === error.code && record.error.message === error.message) return;
      this.topicError(record, error);
      return;
    }
    if (this.pollFailureReported) return; // once per outage, not once per topic per period
    this.pollFailureReported = true;
    this.emit('error', error);
  }

  /** A polling round was answered 401: counted like a 4401 close (see onUnauthorizedClose). */
  private onPollUnauthorized(reason: string): void {
    if (this.welcomed) return;
    this.onUnauthorizedClose(reason);
  }

  // ---- state and events ----------------------------------------------------------

  private setConnState(next: ConnectionState): void {
    if (this.connState === next) return;
    const previous = this.state;
    this.connState = next;
    this.afterStateChange(previous);
  }

  private afterStateChange(previous: ConnectionState): void {
    const tracker = this.metricsTracker;
    const mode = this.isPaused ? 'paused' : this.connState === 'polling' ? 'polling' : 'realtime';
    if (tracker.mode !== mode) {
      tracker.mode = mode;
      tracker.changed();
    }
    const state = this.state;
    if (state !== previous) this.emit('statechange', { state, previous });
  }

  private persistPause(): void {
    if (!this.options.persist) return;
    try {
      if (typeof localStorage !== 'undefined') localStorage.setItem(pausedStorageKey(this.url), this.isPaused ? '1' : '0');
    } catch {
      /* storage full or blocked: the choice just does not persist */
    }
  }

  private emit<K extends keyof StreamEventMap>(type: K, detail: StreamEventMap[K]): void {
    for (const listener of [...this.events[type]]) {
      try {
        (listener as (detail: StreamEventMap[K]) => void)(detail);
      } catch (error) {
        if (type === 'error') {
          if (typeof console !== 'undefined') console.error('live-market-widgets: an error listener threw', error);
        } else {
          this.emit('error', { code: 'listener_error', message: `a ${type} listener threw: ${describe(error)}` });
        }
      }
    }
  }

  /** Runs a callback from the outside world (socket, timer, fetch) without ever throwing into the page. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.emit('error', { code: 'internal_error', message: `stream internal error: ${describe(error)}` });
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

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 200);
  return String(error).slice(0, 200);
}
