/**
 * Wire protocol v1: message and payload types shared by the browser kit and the
 * reference server. The normative description is docs/protocol.md.
 */

export const PROTOCOL_VERSION = 1;
/** WebSocket path on the server. */
export const STREAM_PATH = '/stream';
/** Default largest client frame the server accepts (bytes); larger ones close with 1009. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
/** Default number of updates each log topic (events, state) keeps for exact resume. */
export const DEFAULT_HISTORY = 10_000;
/** Default age (ms) past which a log topic's updates are no longer kept for resume. */
export const DEFAULT_HISTORY_MS = 15 * 60_000;
/**
 * Default number of updates a keyed topic (candles, portfolio) keeps for exact resume,
 * for clients without the `compact` capability; clients with it resume from the topic's
 * whole state (docs/protocol.md, "Resume").
 */
export const DEFAULT_EXACT_HISTORY = 64;
/**
 * Capabilities a client may announce in `hello.caps` and the server in `welcome.caps`.
 * `compact`: the client accepts compacted replays (`subscribed.compacted`).
 */
export const CAPABILITIES = ['compact'] as const;
export type Capability = (typeof CAPABILITIES)[number];
/** Default heartbeat interval announced in `welcome`. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** Bars a candle series keeps, on the server and in the client state. */
export const DEFAULT_MAX_BARS = 2_000;
/** Time a client has to send `hello` after the upgrade. */
export const HELLO_TIMEOUT_MS = 5_000;

export const INTERVALS = ['1s', '5s', '1m', '5m', '15m', '1h'] as const;
export type Interval = (typeof INTERVALS)[number];
export const INTERVAL_SECONDS: Readonly<Record<Interval, number>> = {
  '1s': 1,
  '5s': 5,
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '1h': 3600,
};

export const ERROR_CODES = [
  'bad_request',
  'unknown_op',
  'unknown_topic',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'too_many_subscriptions',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Every WebSocket close code either side sends or reports, in one table; docs/protocol.md
 * explains each. 1xxx are RFC 6455 codes; 4xxx are this protocol's own.
 */
export const CloseCode = {
  /** A normal close: the client closed its stream, or went idle. */
  Normal: 1000,
  /** Server shutting down (or restarting). Reconnect with backoff. */
  GoingAway: 1001,
  /** A frame broke the WebSocket protocol (reported by `ws`). */
  ProtocolError: 1002,
  /** A text frame was not valid UTF-8 (reported by `ws`). */
  InvalidPayload: 1007,
  /** A client frame was larger than the limit. */
  MessageTooBig: 1009,
  /** The server hit an unexpected error serving this connection. */
  InternalError: 1011,
  /** An operator dropped the connection (dev controls); reconnect and resume. */
  Dropped: 4000,
  /**
   * Sent by the client when it gives up on a socket by itself: no `welcome` within the connect
   * timeout, or no frame for two heartbeat intervals. The client reconnects and resumes.
   */
  ClientTimeout: 4008,
  /** No `hello` within 5 s, or the first frame was not a valid `hello`. */
  BadHello: 4400,
  /** Missing, invalid or expired token. */
  Unauthorized: 4401,
  /** The client stopped reading: its send buffer passed the high-water mark. */
  SlowConsumer: 4408,
  /** The client kept sending frames past its rate limit. */
  RateLimited: 4429,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

// ---- topic payloads -------------------------------------------------------

/** One OHLCV bar. `time` is the bar start in UTC seconds. */
export interface Bar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
}

export interface CandleSnapshotData {
  symbol: string;
  interval: Interval;
  /** Ascending by `time`, unique times. */
  bars: Bar[];
  /**
   * Decimals the symbol's prices have (0-10), when the server knows (src/protocol/precision.ts).
   * Optional: an older server sends neither this nor `tickSize`, and the client derives it.
   */
  precision?: number;
  /** Smallest price step of the symbol, when it has one (simulated symbols). */
  tickSize?: number;
}
/** A candle update is the new state of the bar at `time`. */
export type CandleUpdateData = Bar;

export interface Position {
  symbol: string;
  qty: number;
  avgPrice: number;
  lastPrice: number;
  marketValue: number;
  unrealizedPnl: number;
  realizedPnl: number;
  /** Decimals of the symbol's prices (`avgPrice`, `lastPrice`), when the server knows; money is always cents. */
  precision?: number;
}

export interface PortfolioTotals {
  marketValue: number;
  unrealizedPnl: number;
  realizedPnl: number;
  totalPnl: number;
}

export interface PortfolioSnapshotData {
  account: string;
  currency: string;
  positions: Position[];
  totals: PortfolioTotals;
}

export interface PortfolioUpdateData {
  /** Rows that changed (whole rows), upserted by symbol. */
  positions: Position[];
  /** Symbols whose rows are gone. */
  removed: string[];
  totals: PortfolioTotals;
}

/** Any JSON value (what `JSON.parse` can give). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Default number of events an `events:` topic's snapshot holds (a server option). */
export const DEFAULT_EVENTS_KEPT = 100;

/** One event of an `events:<CHANNEL>` topic: what a backend published, `time` filled in when it gave none. */
export interface EventEnvelope<T = JsonValue> {
  /** What happened (`trade_executed`, `alert`, …): 1 to 64 characters. */
  type: string;
  /** When, epoch milliseconds. */
  time: number;
  /** Optional id (1 to 128 characters): the same id within the topic's history is stored once. */
  id?: string;
  data: T;
}

/** Snapshot of an `events:` topic: its last `max` events, oldest first. */
export interface EventsSnapshotData<T = JsonValue> {
  channel: string;
  /** Most events the list holds: an update past it drops the oldest (the client does the same). */
  max: number;
  events: EventEnvelope<T>[];
}
/** An `events:` update is one new event. */
export type EventsUpdateData<T = JsonValue> = EventEnvelope<T>;

/** Snapshot of a `state:<KEY>` topic: the whole document (always a JSON object). */
export type StateSnapshotData<D extends JsonObject = JsonObject> = D;
/** A `state:` update: a JSON Merge Patch (RFC 7396) of the document; `null` deletes a member. */
export type StateUpdateData = JsonObject;

/** A trade as fed to the aggregator or published through `POST /api/trades`. */
export interface Trade {
  symbol: string;
  price: number;
  size: number;
  /** Trade time, epoch milliseconds. */
  time: number;
  /**
   * Optional id (1 to 128 visible ASCII characters, `!` to `~`, no spaces: TRADE_ID_PATTERN): a
   * trade whose id the server saw for the same symbol a short while ago is dropped, so a retried
   * publish, on any node, counts once.
   */
  id?: string;
}

// ---- client → server ------------------------------------------------------

export interface Since {
  epoch: string;
  seq: number;
}

export interface HelloMessage {
  op: 'hello';
  v: 1;
  token?: string;
  /** What this client understands beyond v1 (unknown names are ignored). */
  caps?: string[];
}
export interface SubMessage {
  op: 'sub';
  id: number;
  topic: string;
  since?: Since;
}
export interface UnsubMessage {
  op: 'unsub';
  id: number;
  topic: string;
}
export interface PingMessage {
  op: 'ping';
  id: number;
  t: number;
}
export interface RefreshMessage {
  op: 'refresh';
  token: string;
}
export type ClientMessage = HelloMessage | SubMessage | UnsubMessage | PingMessage | RefreshMessage;
export type ClientOp = ClientMessage['op'];
export const CLIENT_OPS: readonly ClientOp[] = ['hello', 'sub', 'unsub', 'ping', 'refresh'];

// ---- server → client ------------------------------------------------------

export interface WelcomeMessage {
  op: 'welcome';
  v: 1;
  session: string;
  heartbeatMs: number;
  serverTime: number;
  /** The capabilities of the client's `hello.caps` this server will use. */
  caps?: Capability[];
}
export interface SubscribedMessage {
  op: 'subscribed';
  id: number;
  topic: string;
  epoch: string;
  seq: number;
  recovered: boolean;
  /**
   * With `recovered`: the replay that follows is compacted, only the latest change of each
   * key, so its seqs jump (strictly increasing, the last one is `seq`). Sent only to a client
   * that announced `compact`.
   */
  compacted?: boolean;
}
export interface UnsubscribedMessage {
  op: 'unsubscribed';
  id: number;
  topic: string;
}
export interface SnapshotMessage<D = unknown> {
  op: 'snapshot';
  topic: string;
  epoch: string;
  seq: number;
  data: D;
}
export interface UpdateMessage<U = unknown> {
  op: 'update';
  topic: string;
  seq: number;
  /** Server time the update was produced, epoch ms. */
  time: number;
  data: U;
}
export interface PongMessage {
  op: 'pong';
  id: number;
  t: number;
  serverTime: number;
}
export interface ErrorMessage {
  op: 'error';
  id?: number;
  code: ErrorCode;
  message: string;
  /** The topic the error is about, when there is one (e.g. unknown_topic, forbidden). */
  topic?: string;
}
export type ServerMessage =
  | WelcomeMessage
  | SubscribedMessage
  | UnsubscribedMessage
  | SnapshotMessage
  | UpdateMessage
  | PongMessage
  | ErrorMessage;
export type ServerOp = ServerMessage['op'];

/** What `GET /api/snapshot?topic=T` returns. */
export interface TopicSnapshot<D = unknown> {
  topic: string;
  epoch: string;
  seq: number;
  data: D;
}
