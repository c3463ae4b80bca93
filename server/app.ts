/**
 * The reference market server: wiring of the engine (topics and their history),
 * feeds, sessions, REST and dev controls. `startMarketServer` is used by the CLI, the browser test runner and
 * the server tests alike.
 */
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, DEFAULT_MAX_BARS, HELLO_TIMEOUT_MS, STREAM_PATH, validateTrade, type Trade } from '../src/protocol/index.js';
import { CandleAggregator } from './aggregator.js';
import { TokenVerifier } from './auth.js';
import { DevControlState, type DevControls } from './dev-controls.js';
import type { Engine, LocalEngine } from './engine/engine.js';
import { MemoryEngine } from './engine/memory-engine.js';
import { RedisEngine } from './engine/redis-engine.js';
import { RedisPublisher } from './redis-publisher.js';
import { FlushLoop } from './flush-loop.js';
import { loadTradesFile, ReplayFeed } from './feeds/replay.js';
import { DemoPublishing } from './feeds/demo-publishing.js';
import { MarketSimulator, tickSizeOf } from './feeds/simulator.js';
import { createHttpHandler } from './http.js';
import { ServerMetrics } from './metrics.js';
import { resolveOptions, type MarketServerOptions } from './options.js';
import { PortfolioBook, type PositionInput } from './portfolio.js';
import { PortfolioBooks } from './portfolio-books.js';
import { PublishRateLimiter } from './publish-rate.js';
import { Publisher, type EventInput, type PublishChange, type PublishResult } from './publisher.js';
import { Session, type SessionContext, type SessionLimits } from './session.js';
import { SessionSet } from './session-set.js';
import { SnapshotMessages } from './snapshot-messages.js';
import { closeSessions, Lifecycle } from './shutdown.js';
import { copyTrade, TradeIds, type TradeIdWindowOptions, type TradesResult } from './trade-ids.js';
import { upgradeGate } from './upgrade-gate.js';

export type { DevControls } from './dev-controls.js';
export { DEFAULT_SYMBOLS, type MarketServerOptions } from './options.js';
export { PublishError, type EventInput, type PublishChange, type PublishResult } from './publisher.js';
export type { PositionInput } from './portfolio.js';
export type { PortfolioChange } from './portfolio-books.js';
export type { StateChange } from './engine/engine.js';
export type { TradesResult } from './trade-ids.js';

/** Knobs for tests, not part of the public options. */
export interface InternalServerOptions extends MarketServerOptions {
  /** Time a client has to send `hello` (default 5 s). */
  helloTimeoutMs?: number;
  /** Simulator loop period (default 50 ms). */
  tickMs?: number;
  /** Simulated account fills per second (default 0.3). */
  fillRate?: number;
  /** With `redis`: period of the check of served topics' seqs (default 2,000 ms). */
  redisCheckMs?: number;
  /** With `redis`: how long a served topic without followers stays subscribed (default 30,000 ms). */
  redisIdleMs?: number;
  /** The window of trade ids a trade publish is deduped against, per symbol (default TRADE_ID_WINDOW). */
  tradeIdWindow?: TradeIdWindowOptions;
}

export interface MarketServer {
  port: number;
  host: string;
  url: string; // ws://HOST:PORT/stream
  httpUrl: string; // http://HOST:PORT
  epoch: string; // changes on each start and on history reset
  controls: DevControls;
  /** Folds trades into the bars (a trade whose `id` the symbol had lately is dropped); throws a TypeError naming a bad trade. */
  publishTrades(trades: Trade[]): void;
  /**
   * Like `publishTrades`, resolving once the trades are folded (with `--redis`: in Redis; rejects while
   * it is down) with how many were applied and how many dropped as duplicates of a known id.
   */
  publishTradesAsync(trades: Trade[]): Promise<TradesResult>;
  /**
   * Like `publish`, resolving once the change is stored. With `redis` the synchronous publish
   * methods throw: publishing goes through Redis, so use this one.
   */
  publishAsync(topic: string, change: PublishChange): Promise<PublishResult>;
  /**
   * Publishes to an `events:`, `state:` or `portfolio:` topic, as the HTTP routes do (no
   * token: the app embedding the server is trusted). `change` by kind: one event or an
   * array of them; `{op: 'put', doc}` or `{op: 'patch', patch}`; `{currency?, positions,
   * removed?, replace?}`. Throws a TypeError (PublishError) naming the bad field; nothing
   * is applied then. Returns the topic and its seq after the change.
   */
  publish(topic: string, change: PublishChange): PublishResult;
  /** One event or an array of them on `events:<channel>` (`time` defaults to now; a known `id` is stored once). */
  publishEvent(channel: string, event: EventInput | EventInput[]): PublishResult;
  /** Replaces the document `state:<key>`. */
  putState(key: string, doc: Record<string, unknown>): PublishResult;
  /** Merges a JSON Merge Patch (RFC 7396) into `state:<key>`. */
  patchState(key: string, patch: Record<string, unknown>): PublishResult;
  /** Upserts rows of `portfolio:<account>` (created on first use); `replace` removes every other row. */
  upsertPositions(account: string, positions: PositionInput[], options?: { currency?: string; replace?: boolean }): PublishResult;
  /** Removes rows of `portfolio:<account>`. */
  removePositions(account: string, symbols: string[]): PublishResult;
  close(): Promise<void>;
}

export const DEMO_ACCOUNT = 'demo';

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Feeds: the simulator (with the demo portfolio, its fills as events and a market summary
 * document), a replay, or none; every trade goes through `ingest`, which also marks every
 * published account.
 */
async function startFeeds(o: ReturnType<typeof resolveOptions>, internal: InternalServerOptions, engine: LocalEngine) {
  const aggregator = new CandleAggregator(engine);
  const precisionOf = (symbol: string) => aggregator.precision.of(symbol)?.precision;
  const books = new PortfolioBooks(engine, precisionOf);
  const publisher = new Publisher(engine, books);
  let book: PortfolioBook | undefined;
  let demo: DemoPublishing | undefined;
  const tradeIds = new TradeIds(internal.tradeIdWindow);
  /** Every trade, whatever its source, goes through here; a known trade id is dropped first (not folded, marked or counted). */
  const ingest = (trades: Trade[], publish: boolean): TradesResult => {
    const { fresh, duplicates } = tradeIds.filter(trades);
    aggregator.ingest(fresh, publish);
    if (publish) {
      books.mark(fresh);
      demo?.trades(fresh);
    }
    return { accepted: fresh.length, duplicates };
  };
  let simulator: MarketSimulator | undefined;
  let replay: ReplayFeed | undefined;
  if (o.feed === 'sim') {
    simulator = new MarketSimulator(
      { seed: o.seed, symbols: o.symbols, rate: o.rate, tickMs: internal.tickMs, fillRate: internal.fillRate },
      {
        ingest,
        fill: (symbol, qty, price) => {
          if (!book) return;
          const before = book.qtyOf(symbol);
          book.fill(symbol, qty, price);
          demo?.fill(symbol, book.qtyOf(symbol) - before, price, !book.has(symbol));
        },
        held: (symbol) => book?.has(symbol) ?? false,
      },
    );
    for (const symbol of o.symbols) aggregator.declareTickSize(symbol, tickSizeOf(symbol));
    simulator.backfill();
    book = new PortfolioBook(engine, DEMO_ACCOUNT, 'USD', simulator.initialHoldings(), precisionOf);
    books.add(DEMO_ACCOUNT, book);
    demo = new DemoPublishing(publisher, DEMO_ACCOUNT);
  } else if (o.feed === 'replay') {
    const trades = await loadTradesFile(o.replayFile!);
    replay = new ReplayFeed(trades, (batch) => ingest(batch, true), {
      speed: o.speed,
      onDone: () => o.logger(`replay of ${o.replayFile} finished (${trades.length} trades)`),
    });
  }
  const publishTrades = (trades: Trade[]) => ingest(checkTrades(trades), true);
  return {
    publishTrades,
    publisher,
    start() {
      simulator?.start();
      replay?.start();
      demo?.start();
    },
    stop() {
      simulator?.stop();
      replay?.stop();
      demo?.stop();
    },
  };
}

/** Checks and copies trades (only their fields); throws a TypeError naming the bad one. */
function checkTrades(trades: Trade[]): Trade[] {
  if (!Array.isArray(trades)) throw new TypeError('publishTrades expects an array of trades');
  trades.forEach((trade, i) => {
    const error = validateTrade(trade);
    if (error) throw new TypeError(`trades[${i}]: ${error}`);
  });
  return trades.map(copyTrade);
}

/**
 * Feeds with `--redis`: trades go to the engine's trade script (the bars are folded in
 * Redis). The simulator runs only when asked for (`feed: 'sim'`, on one node), without its
 * start-up history or demo account; a replay feeds the engine the same way.
 */
async function startRedisFeeds(o: ReturnType<typeof resolveOptions>, internal: InternalServerOptions, engine: RedisEngine) {
  const publisher = new RedisPublisher(engine);
  const send = (trades: Trade[]) => {
    engine.publishTrades(trades).catch((error: unknown) => o.logger(`trades not published: ${error instanceof Error ? error.message : String(error)}`));
  };
  let simulator: MarketSimulator | undefined;
  let replay: ReplayFeed | undefined;
  if (o.feed === 'sim') {
    simulator = new MarketSimulator(
      { seed: o.seed, symbols: o.symbols, rate: o.rate, tickMs: internal.tickMs, fillRate: 0 },
      { ingest: (trades, publish) => publish && send(trades), fill: () => {}, held: () => false },
    );
    for (const symbol of o.symbols) engine.declareTickSize(symbol, tickSizeOf(symbol));
  } else if (o.feed === 'replay') {
    const trades = await loadTradesFile(o.replayFile!);
    replay = new ReplayFeed(trades, send, { speed: o.speed, onDone: () => o.logger(`replay of ${o.replayFile} finished (${trades.length} trades)`) });
  }
  return {
    publishTrades: (trades: Trade[]) => engine.publishTrades(checkTrades(trades)),
    publisher,
    start() {
      simulator?.start();
      replay?.start();
    },
    stop() {
      simulator?.stop();
      replay?.stop();
    },
  };
}

/** Listens, and resolves with the port actually bound. */
function listen(httpServer: ReturnType<typeof createServer>, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      const address = httpServer.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export async function startMarketServer(options: MarketServerOptions = {}): Promise<MarketServer> {
  const internal = options as InternalServerOptions;
  const o = resolveOptions(options);
  const helloTimeoutMs = internal.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
  const auth = o.authSecret !== undefined ? new TokenVerifier(o.authSecret) : undefined;
  const limits: SessionLimits = {
    clientRate: o.clientRate,
    clientBurst: o.clientBurst,
    maxSubscriptions: o.maxSubscriptions,
    maxBufferedBytes: o.maxBufferedBytes,
    slowConsumerMs: o.slowConsumerMs,
  };

  const snapshots = new SnapshotMessages();
  const sessions = new SessionSet();
  let engine: Engine;
  let memory: MemoryEngine | undefined;
  let redis: RedisEngine | undefined;
  let feeds: { publishTrades(trades: Trade[]): TradesResult | Promise<TradesResult>; publisher: Publisher | RedisPublisher; start(): void; stop(): void };
  if (o.redis !== undefined) {
    redis = new RedisEngine({
      url: o.redis,
      history: o.history,
      historyMs: o.historyMs,
      exactHistory: o.exactHistory,
      maxBars: DEFAULT_MAX_BARS,
      eventsKept: o.eventsKept,
      // A topic in a new epoch (Redis restarted): its clients reconnect and reload from a snapshot.
      onReset: (_topic, followers) => {
        for (const follower of followers) if (follower instanceof Session) follower.close(CloseCode.Dropped, 'the topic is in a new epoch');
      },
      log: o.logger,
      ...(internal.redisCheckMs !== undefined ? { checkMs: internal.redisCheckMs } : {}),
      ...(internal.redisIdleMs !== undefined ? { idleMs: internal.redisIdleMs } : {}),
      ...(internal.tradeIdWindow !== undefined ? { tradeIdWindow: internal.tradeIdWindow } : {}),
    });
    await redis.connect();
    engine = redis;
    feeds = await startRedisFeeds(o, internal, redis);
  } else {
    memory = new MemoryEngine({ history: o.history, historyMs: o.historyMs, exactHistory: o.exactHistory, eventsKept: o.eventsKept, snapshots });
    engine = memory;
    feeds = await startFeeds(o, internal, memory);
  }
  const redisEngine = redis;
  const metrics = new ServerMetrics({
    addresses: () => sessions.addresses,
    connections: () => sessions.size,
    subscriptions: () => sessions.subscriptions(),
    topics: () => engine.topicCount,
    snapshotEncodes: () => snapshots.encodes,
    snapshotHits: () => snapshots.hits,
    ...(memory ? { history: () => memory.footprint() } : {}),
    ...(redisEngine ? { redis: () => ({ ...redisEngine.health(), ...redisEngine.metrics }) } : {}),
  });
  const flushLoop = new FlushLoop(metrics);
  const dev = new DevControlState(sessions, engine);
  const sessionContext: SessionContext = {
    engine,
    snapshots,
    metrics,
    heartbeatMs: o.heartbeatMs,
    helloTimeoutMs,
    limits,
    auth,
    scheduleFlush: (session) => flushLoop.schedule(session),
    closed(session) {
      if (sessions.delete(session)) dev.closed(session);
    },
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
  const onConnection = (ws: WebSocket, address: string, socket: Duplex) => {
    const session = new Session(ws, sessionContext, address, socket);
    sessions.add(session);
    metrics.connectionOpened();
    dev.opened(session, Date.now());
  };

  const httpServer = createServer(
    createHttpHandler({
      engine,
      metrics,
      publishToken: o.publishToken,
      controls: o.devControls ? dev.controls : undefined,
      adminToken: o.adminToken,
      staticRoot: o.staticRoot,
      auth,
      allowedOrigins: o.allowedOrigins,
      publishTrades: feeds.publishTrades,
      ...(redisEngine ? { health: () => redisEngine.health() } : {}),
      publishing: { publisher: feeds.publisher, rate: new PublishRateLimiter(o.publishRate) },
      connections: () => sessions.size,
      log: o.logger,
    }),
  );
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const session of sessions.all) session.heartbeat(now);
  }, o.heartbeatMs);
  heartbeat.unref?.();
  const lifecycle = new Lifecycle(async () => {
    feeds.stop();
    clearInterval(heartbeat);
    dev.dispose();
    flushLoop.flushAll();
    await closeSessions(sessions);
    wss.close();
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve());
      httpServer.closeAllConnections();
    });
    await redisEngine?.close();
  });
  httpServer.on(
    'upgrade',
    upgradeGate({
      allowedOrigins: o.allowedOrigins,
      maxConnections: o.maxConnections,
      maxConnectionsPerIp: o.maxConnectionsPerIp,
      sessions,
      metrics,
      closing: () => lifecycle.closing,
      refusing: (now) => dev.refusing(now),
      admit: (req, socket, head, address) => wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, address, socket)),
    }),
  );
  httpServer.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  let port: number;
  try {
    port = await listen(httpServer, o.port, o.host);
  } catch (error) {
    clearInterval(heartbeat);
    await redisEngine?.close();
    throw error;
  }
  feeds.start();

  const hostForUrl = urlHost(o.host);
  const { publisher } = feeds;
  /** The synchronous publish methods, for the memory engine only. */
  const sync = (): Publisher => {
    if (publisher instanceof Publisher) return publisher;
    throw new TypeError('with redis, publishing is asynchronous: use publishAsync');
  };
  const publishTrades = feeds.publishTrades;
  return {
    port,
    host: o.host,
    url: `ws://${hostForUrl}:${port}${STREAM_PATH}`,
    httpUrl: `http://${hostForUrl}:${port}`,
    get epoch() {
      return engine.epoch;
    },
    controls: dev.controls,
    publishTrades: (trades) => {
      const done = publishTrades(trades);
      if (done instanceof Promise) done.catch((error: unknown) => o.logger(`trades not published: ${error instanceof Error ? error.message : String(error)}`));
    },
    publishTradesAsync: async (trades) => publishTrades(trades),
    publishAsync: async (topic, change) => publisher.publish(topic, change),
    publish: (topic, change) => sync().publish(topic, change),
    publishEvent: (channel, event) => sync().publishEvent(channel, event),
    putState: (key, doc) => sync().putState(key, doc),
    patchState: (key, patch) => sync().patchState(key, patch),
    upsertPositions: (account, positions, options) => sync().upsertPositions(account, positions, options),
    removePositions: (account, symbols) => sync().removePositions(account, symbols),
    close: () => lifecycle.close(),
  };
}
