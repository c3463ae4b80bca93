/** Public types of the shared stream controller (no DOM). */
import type { EventsSnapshotData, JsonObject, JsonValue, UpdateMessage } from '../protocol/index.js';
import type { Clock } from './clock.js';
import type { StreamErrorCode } from './errors.js';
import type { TransportFactory } from './transport.js';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'polling' | 'paused' | 'closed';
export type StreamMode = 'realtime' | 'polling' | 'paused';
/**
 * Who holds the socket: `direct` this tab alone, `leader` this tab for the other tabs too,
 * `follower` another tab, `worker` the shared worker.
 */
export type SharingMode = 'direct' | 'leader' | 'follower' | 'worker';

export interface StreamOptions {
  /**
   * Access token, sent only in `hello` and `refresh` frames: a string, or a function called
   * before every connect and, when it returns a JWT with `exp`, again before that expiry.
   */
  token?: string | (() => string | Promise<string>);
  /** Backoff base delay (ms). Default 500. */
  backoffBaseMs?: number;
  /** Backoff cap (ms). Default 30,000. */
  backoffMaxMs?: number;
  /** Failed connects in a row before giving up (state `closed`). Default Infinity. */
  maxRetries?: number;
  /** Connect timeout (ms). Default 5,000. */
  connectTimeoutMs?: number;
  /** Failed connects in a row before polling takes over. Default 3. */
  fallbackAfter?: number;
  /** Poll period in polling mode (ms). Default 2,000. */
  pollIntervalMs?: number;
  /** Delay between the last unsubscribe of a topic and the wire `unsub` (ms). Default 1,000. */
  lingerMs?: number;
  /** Close the socket when nothing has been subscribed for this long (ms). Default 5,000. */
  idleCloseMs?: number;
  /** Remember pause/resume in localStorage per URL. Default false. */
  persist?: boolean;
  /** Bars kept per candle topic. Default 2,000. */
  maxBars?: number;
  /** Random source for the backoff jitter, uniform in [0, 1). Default Math.random. */
  random?: () => number;
  /**
   * Share one socket per URL with the other tabs of this origin (docs/cross-tab.md). Default
   * true: a leader tab holds the socket (or the shared worker, see `sharedWorker`). `false`
   * keeps one socket in this tab, as does `<meta name="live-market-widgets:share" content="off">`.
   */
  share?: boolean;
  /**
   * URL of the kit's shared worker script (`live-market-widgets/shared-worker.js`), served
   * from this page's origin: the worker holds the socket for every tab. Default: the
   * `<meta name="live-market-widgets:shared-worker">` tag's content, else none (a leader tab).
   */
  sharedWorker?: string;
  /**
   * Internal seam: opens the link the stream talks over. Default: a WebSocket in this tab.
   * Lets the same stream core run over another carrier (e.g. a port to a shared worker);
   * see src/stream/transport.ts for the contract.
   */
  transport?: TransportFactory;
  /** Internal seam for tests: timers, time and jitter (each member defaults to the page's own; members are called unbound). */
  clock?: Partial<Clock>;
}

/** A topic's current state: the last snapshot plus every update applied since, in order. */
export interface TopicState<D = unknown> {
  topic: string;
  epoch: string;
  seq: number;
  data: D;
}

/** The state of an `events:<CHANNEL>` topic: its last events, oldest first (`data.events`). */
export type EventsTopicState<T = JsonValue> = TopicState<EventsSnapshotData<T>>;
/** The state of a `state:<KEY>` topic: the document itself (`data`). */
export type DocumentTopicState<D = JsonObject> = TopicState<D>;

export type TopicEventKind = 'snapshot' | 'update' | 'reset';

export interface TopicEvent<D = unknown, U = unknown> {
  /**
   * `snapshot`: first state for this listener (or after resume()); `update`: updates were
   * applied; `reset`: continuity was lost (new epoch or unrecoverable gap) and the state was
   * replaced from a snapshot.
   */
  kind: TopicEventKind;
  state: TopicState<D>;
  /** The last applied update (kind `update`). */
  update?: UpdateMessage<U>;
  /** Every update applied since this listener's previous call, oldest first (kind `update`). */
  updates?: UpdateMessage<U>[];
  /**
   * Some of `updates` came from a compacted resume replay (docs/protocol.md, "Resume"): only
   * the latest change of each bar or row, so seqs may jump between them. Each is still
   * applied once, in order, and the state ends exactly at the server's.
   */
  compacted?: boolean;
}

export type TopicListener<D = unknown, U = unknown> = (event: TopicEvent<D, U>) => void;

export interface SubscribeOptions {
  /** `frame` (default for elements): at most one call per animation frame; `none`: every update. */
  coalesce?: 'frame' | 'none';
  /** Called when the server rejects the topic (unknown_topic, forbidden, …). */
  onError?: (error: StreamError) => void;
}

export interface SubscriptionHandle {
  readonly topic: string;
  unsubscribe(): void;
}

export interface StreamError {
  code: StreamErrorCode;
  message: string;
  topic?: string;
}

export interface StreamMetrics {
  latencyMs: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  messagesPerSecond: number;
  bytesPerSecond: number;
  reconnects: number;
  gapsRecovered: number;
  resyncs: number;
  duplicatesDropped: number;
  /** Updates whose seq skipped ahead (each triggered a resync of its topic). */
  gapsDetected: number;
  /** Server messages that failed validation (dropped, reported through `error`). */
  badFrames: number;
  lastMessageAt: number | null;
  connectedSince: number | null;
  mode: StreamMode;
  /** Consecutive failed connect attempts (0 while connected). */
  attempt: number;
  /** Messages received per topic since the stream was created. */
  topicMessages: Record<string, number>;
  /** Who holds the socket (docs/cross-tab.md). */
  sharing: SharingMode;
  /** Times the tab holding the socket changed under this stream (the leader closed, froze, left). */
  handoffs: number;
}

export interface StreamEventMap {
  statechange: { state: ConnectionState; previous: ConnectionState };
  metrics: StreamMetrics;
  error: StreamError;
}

/** Diagnostics, for tests and the curious: counts of what the stream did on the wire. */
export interface StreamDebug {
  /** Client frames sent, by op (`hello`, `sub`, `unsub`, `ping`, `refresh`). */
  readonly sentOps: Readonly<Record<string, number>>;
  /** WebSockets created over the stream's life. */
  readonly socketsOpened: number;
  /** Polling requests made (`GET /api/snapshot`). */
  readonly polls: number;
  /** Listeners held per topic (topics still lingering show 0). */
  readonly topics: Readonly<Record<string, number>>;
  /** Listeners added with `on()`, by event type. */
  readonly listeners: Readonly<{ statechange: number; metrics: number; error: number }>;
  /** Whether the stream holds a WebSocket (connecting or open). */
  readonly socket: boolean;
  /** Runs `text` through the stream's real frame handler as if the open socket received it. */
  injectFrame(text: string): void;
}
