/**
 * The reference market server: wiring of topics, feeds, sessions, REST and dev
 * controls. `startMarketServer` is used by the CLI, the browser test runner and
 * the server tests alike.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CloseCode,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_HISTORY,
  DEFAULT_MAX_FRAME_BYTES,
  HELLO_TIMEOUT_MS,
  STREAM_PATH,
  validateTrade,
  type Trade,
} from '../src/protocol/index.js';
import { CandleAggregator } from './aggregator.js';
import { clientAddress, isLoopbackHost, normalizeOrigin, TokenVerifier } from './auth.js';
import { Session, type SessionContext, type SessionLimits } from './connection.js';
import { loadTradesFile, ReplayFeed } from './feeds/replay.js';
import { MarketSimulator } from './feeds/simulator.js';
import { createHttpHandler } from './http.js';
import {
  DEFAULT_CLIENT_BURST,
  RESUBSCRIBE_HEADROOM,
  DEFAULT_CLIENT_RATE,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MAX_SUBSCRIPTIONS,
} from './limits.js';
import { ServerMetrics } from './metrics.js';
import { FlushTurn } from './outbox.js';
import { PortfolioBook } from './portfolio.js';
import { TopicRegistry } from './topics.js';

export interface MarketServerOptions {
  host?: string; // default 127.0.0.1
  port?: number; // 0 = free port
  seed?: number; // simulator seed, default 1
  symbols?: string[]; // default ['BTC-USD','ETH-USD','SOL-USD','AAPL','MSFT','EURUSD']
  rate?: number; // simulated trades/s per symbol, default 5
  feed?: 'sim' | 'none' | 'replay'; // default 'sim'
  replayFile?: string;
  speed?: number; // --replay FILE --speed X (JSON Lines trades {symbol,price,size,time})
  history?: number; // updates kept per topic for resume, default 10_000
  heartbeatMs?: number; // default 15_000
  maxFrameBytes?: number; // default 64 KiB
  publishToken?: string; // enables POST /api/trades
  devControls?: boolean; // enables POST /admin/* (drop, refuse, silence, gap, stall)
  /** Bearer token required on /admin/*; without it dev controls are allowed only on a loopback host. */
  adminToken?: string;
  /** Turns auth on: hello tokens must be HS256 JWTs signed with this secret, with `exp` and `topics`. */
  authSecret?: string;
  /** When set, WebSocket upgrades whose Origin header is not listed get HTTP 403 (no Origin: allowed). */
  allowedOrigins?: string[];
  maxConnections?: number; // total open WebSockets, default 10,000 (HTTP 503 beyond); 0 = no limit
  maxConnectionsPerIp?: number; // per client address, default 0 = no limit (HTTP 429 beyond)
  maxSubscriptions?: number; // topics per connection, default 100
  clientRate?: number; // client frames per second per connection (token bucket), default 20; 0 = off
  clientBurst?: number; // token bucket size, default 50
  maxBufferedBytes?: number; // slow-consumer high-water mark, default 1 MiB (close 4408); 0 = off
  staticRoot?: string; // when set, serve the demo: GET / -> <staticRoot>/demo/index.html, /demo/*, /dist/*
  logger?: (line: string) => void; // default: no logging in tests; cli passes console.log
}

/** Knobs for tests, not part of the public options. */
export interface InternalServerOptions extends MarketServerOptions {
  /** Time a client has to send `hello` (default 5 s). */
  helloTimeoutMs?: number;
  /** Simulator loop period (default 50 ms). */
  tickMs?: number;
  /** Simulated account fills per second (default 0.3). */
  fillRate?: number;
}

export interface DevControls {
  dropAll(): number;
  refuseUpgrades(ms: number): void;
  silence(ms: number): void;
  injectGap(topic: string): void;
  /**
   * For `ms`, new connections complete the upgrade but their `hello` is never answered
   * (nothing is sent, nothing read); when the window ends they are terminated. 0 ends it now.
   */
  stallHandshakes(ms: number): void;
}

export interface MarketServer {
  port: number;
  host: string;
  url: string; // ws://HOST:PORT/stream
  httpUrl: string; // http://HOST:PORT
  epoch: string; // changes on each start and on history reset
  controls: DevControls;
  publishTrades(trades: Trade[]): void;
  close(): Promise<void>;
}

export const DEFAULT_SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'EURUSD'];
export const DEMO_ACCOUNT = 'demo';

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`invalid server option: ${message}`);
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startMarketServer(options: MarketServerOptions = {}): Promise<MarketServer> {
  const internal = options as InternalServerOptions;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const seed = options.seed ?? 1;
  const symbols = options.symbols ?? DEFAULT_SYMBOLS;
  const rate = options.rate ?? 5;
  const feed = options.feed ?? (options.replayFile ? 'replay' : 'sim');
  const history = options.history ?? DEFAULT_HISTORY;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const helloTimeoutMs = internal.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
  const log = options.logger ?? (() => {});

  check(Number.isInteger(port) && port >= 0 && port <= 65535, 'port must be an integer from 0 to 65535');
  check(Number.isFinite(seed), 'seed must be a number');
  check(Number.isFinite(rate) && rate >= 0, 'rate must be a non-negative number');
  check(['sim', 'none', 'replay'].includes(feed), 'feed must be sim, none or replay');
  check(Number.isInteger(history) && history >= 0, 'history must be a non-negative integer');
  check(Number.isInteger(heartbeatMs) && heartbeatMs > 0, 'heartbeatMs must be a positive integer');
  check(Number.isInteger(maxFrameBytes) && maxFrameBytes > 0, 'maxFrameBytes must be a positive integer');
  for (const symbol of symbols) check(validateTrade({ symbol, price: 1, size: 0, time: 0 }) === null, `bad symbol "${symbol}"`);
  check(feed !== 'replay' || typeof options.replayFile === 'string', 'feed replay needs replayFile');
  check(options.publishToken === undefined || options.publishToken.length > 0, 'publishToken must not be empty');
  check(options.adminToken === undefined || options.adminToken.length > 0, 'adminToken must not be empty');
  check(options.authSecret === undefined || options.authSecret.length > 0, 'authSecret must not be empty');
  check(
    !options.devControls || options.adminToken !== undefined || isLoopbackHost(host),
    `devControls on a non-loopback host (${host}) need adminToken`,
  );
  const count = (value: number | undefined, fallback: number, name: string) => {
    const n = value ?? fallback;
    check(Number.isSafeInteger(n) && n >= 0, `${name} must be a non-negative integer`);
    return n;
  };
  const maxSubscriptions = count(options.maxSubscriptions, DEFAULT_MAX_SUBSCRIPTIONS, 'maxSubscriptions');
  const limits: SessionLimits = {
    clientRate: options.clientRate ?? DEFAULT_CLIENT_RATE,
    // A reconnecting client re-subscribes everything it holds at once: the default burst
    // always fits hello plus a full set of subscriptions plus a few pings.
    clientBurst: count(options.clientBurst, Math.max(DEFAULT_CLIENT_BURST, maxSubscriptions + RESUBSCRIBE_HEADROOM), 'clientBurst'),
    maxSubscriptions,
    maxBufferedBytes: count(options.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES, 'maxBufferedBytes'),
  };
  check(Number.isFinite(limits.clientRate) && limits.clientRate >= 0, 'clientRate must be a non-negative number');
  check(limits.clientRate === 0 || limits.clientBurst >= 1, 'clientBurst must be at least 1');
  const maxConnections = count(options.maxConnections, DEFAULT_MAX_CONNECTIONS, 'maxConnections');
  const maxConnectionsPerIp = count(options.maxConnectionsPerIp, DEFAULT_MAX_CONNECTIONS_PER_IP, 'maxConnectionsPerIp');
  let allowedOrigins: Set<string> | undefined;
  if (options.allowedOrigins !== undefined) {
    allowedOrigins = new Set();
    for (const entry of options.allowedOrigins) {
      const origin = normalizeOrigin(entry);
      check(origin !== undefined, `allowedOrigins: "${entry}" is not an origin (scheme://host[:port])`);
      allowedOrigins.add(origin!);
    }
  }
  const auth = options.authSecret !== undefined ? new TokenVerifier(options.authSecret) : undefined;

  const registry = new TopicRegistry({ history });
  const aggregator = new CandleAggregator(registry);
  let book: PortfolioBook | undefined;

  /** Every trade, whatever its source, goes through here. */
  const ingest = (trades: Trade[], publish: boolean) => {
    aggregator.ingest(trades, publish);
    if (book && publish) {
      book.mark(trades);
      book.flush();
    }
  };

  let simulator: MarketSimulator | undefined;
  let replay: ReplayFeed | undefined;
  if (feed === 'sim') {
    simulator = new MarketSimulator(
      { seed, symbols, rate, tickMs: internal.tickMs, fillRate: internal.fillRate },
      {
        ingest,
        fill: (symbol, qty, price) => book?.fill(symbol, qty, price),
        held: (symbol) => book?.has(symbol) ?? false,
      },
    );
    simulator.backfill();
    book = new PortfolioBook(registry, DEMO_ACCOUNT, 'USD', simulator.initialHoldings());
  } else if (feed === 'replay') {
    const trades = await loadTradesFile(options.replayFile!);
    replay = new ReplayFeed(trades, (batch) => ingest(batch, true), {
      speed: options.speed ?? 1,
      onDone: () => log(`replay of ${options.replayFile} finished (${trades.length} trades)`),
    });
  }

  // ---- sessions and batching -------------------------------------------------
  const sessions = new Set<Session>();
  /** Open connections per client address; entries go when their count reaches 0. */
  const perAddress = new Map<string, number>();
  const metrics = new ServerMetrics({
    addresses: () => perAddress.size,
    connections: () => sessions.size,
    subscriptions: () => {
      let n = 0;
      for (const s of sessions) n += s.topics.size;
      return n;
    },
    topics: () => registry.topics.size,
  });
  let dirty: Session[] = [];
  let flushScheduled = false;
  const flushAll = () => {
    flushScheduled = false;
    const batch = dirty;
    dirty = [];
    const turn = new FlushTurn();
    for (const session of batch) session.flush(turn);
    turn.report(metrics);
  };
  const sessionContext: SessionContext = {
    registry,
    metrics,
    heartbeatMs,
    helloTimeoutMs,
    limits,
    auth,
    scheduleFlush(session) {
      dirty.push(session);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushAll);
      }
    },
    closed(session) {
      if (!sessions.delete(session)) return;
      stalled.delete(session);
      const left = (perAddress.get(session.address) ?? 1) - 1;
      if (left > 0) perAddress.set(session.address, left);
      else perAddress.delete(session.address);
    },
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false, clientTracking: false });
  const onConnection = (ws: WebSocket, address: string, socket: Duplex) => {
    const session = new Session(ws, sessionContext, address, socket);
    sessions.add(session);
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    metrics.connectionOpened();
    if (Date.now() < stallUntil) {
      session.stall();
      stalled.add(session);
    }
  };

  // ---- dev controls ------------------------------------------------------------
  let refuseUntil = 0;
  const silenceTimers = new Set<NodeJS.Timeout>();
  /** Handshake stall: sessions opened before `stallUntil` hang until `stallTimer` terminates them. */
  let stallUntil = 0;
  let stallTimer: NodeJS.Timeout | undefined;
  const stalled = new Set<Session>();
  const endStall = () => {
    clearTimeout(stallTimer);
    stallTimer = undefined;
    stallUntil = 0;
    for (const session of stalled) session.terminate('stalled');
    stalled.clear();
  };
  const controls: DevControls = {
    dropAll() {
      const all = [...sessions];
      for (const session of all) {
        if (session.silenced) session.terminate('dropped');
        else session.close(CloseCode.Dropped, 'dropped by operator');
      }
      return all.length;
    },
    refuseUpgrades(ms) {
      refuseUntil = ms > 0 ? Date.now() + ms : 0;
    },
    silence(ms) {
      if (!(ms > 0)) return;
      const victims = [...sessions].filter((s) => !s.silenced);
      for (const session of victims) session.silence();
      // Afterwards the links stay dead: the client must have noticed and reconnected.
      const timer = setTimeout(() => {
        silenceTimers.delete(timer);
        for (const session of victims) session.terminate('silenced');
      }, ms);
      silenceTimers.add(timer);
    },
    injectGap(name) {
      const topic = registry.get(name);
      if (!topic) throw new Error(`injectGap: unknown topic ${name}`);
      topic.withholdNext = true;
    },
    stallHandshakes(ms) {
      if (!(ms > 0)) {
        endStall();
        return;
      }
      clearTimeout(stallTimer);
      stallUntil = Date.now() + ms;
      // Afterwards the hung connections are cut, as a server that gave up on them would.
      stallTimer = setTimeout(endStall, ms);
    },
  };

  const publishTrades = (trades: Trade[]) => {
    if (!Array.isArray(trades)) throw new TypeError('publishTrades expects an array of trades');
    trades.forEach((trade, i) => {
      const error = validateTrade(trade);
      if (error) throw new TypeError(`trades[${i}]: ${error}`);
    });
    ingest(
      trades.map(({ symbol, price, size, time }) => ({ symbol, price, size, time })),
      true,
    );
  };

  // ---- HTTP and upgrades -------------------------------------------------------
  const httpServer = createServer(
    createHttpHandler({
      registry,
      metrics,
      publishToken: options.publishToken,
      controls: options.devControls ? controls : undefined,
      adminToken: options.adminToken,
      staticRoot: options.staticRoot,
      auth,
      allowedOrigins,
      publishTrades,
      connections: () => sessions.size,
      log,
    }),
  );
  let closing = false;
  const refuse = (socket: Duplex, status: number, text: string, extra = '') => {
    const body = `${status} ${text}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`,
    );
  };
  /** Every refusal happens here, before the handshake: nothing is allocated for a refused client. */
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refuseFor = (reason: string, status: number, text: string, extra?: string) => {
      metrics.upgradeRefused(reason);
      refuse(socket, status, text, extra);
    };
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== STREAM_PATH) return refuseFor('not_found', 404, 'Not Found');
    if (closing) return refuseFor('shutting_down', 503, 'Service Unavailable', 'Retry-After: 1\r\n');
    if (Date.now() < refuseUntil) return refuseFor('refusing', 503, 'Service Unavailable', 'Retry-After: 1\r\n');
    const origin = req.headers.origin;
    // No Origin header: not a browser (browsers always send it on WebSocket upgrades).
    if (allowedOrigins && origin !== undefined && !allowedOrigins.has(normalizeOrigin(origin) ?? ''))
      return refuseFor('origin', 403, 'Forbidden');
    if (maxConnections > 0 && sessions.size >= maxConnections)
      return refuseFor('max_connections', 503, 'Service Unavailable', 'Retry-After: 5\r\n');
    const address = clientAddress(req.socket.remoteAddress);
    if (maxConnectionsPerIp > 0 && (perAddress.get(address) ?? 0) >= maxConnectionsPerIp)
      return refuseFor('max_connections_per_ip', 429, 'Too Many Requests', 'Retry-After: 5\r\n');
    // handleUpgrade completes synchronously (no verifyClient), so the counts above cannot race.
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, address, socket));
  });
  httpServer.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;

  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const session of sessions) session.heartbeat(now);
  }, heartbeatMs);
  heartbeat.unref?.();

  simulator?.start();
  replay?.start();

  const close = async () => {
    if (closing) return;
    closing = true;
    simulator?.stop();
    replay?.stop();
    clearInterval(heartbeat);
    for (const timer of silenceTimers) clearTimeout(timer);
    silenceTimers.clear();
    clearTimeout(stallTimer);
    stalled.clear(); // they are silenced: terminated below
    flushAll();
    const open = [...sessions];
    const allClosed = Promise.all(open.map((s) => new Promise<void>((resolve) => (s.ws.readyState === s.ws.CLOSED ? resolve() : s.ws.once('close', () => resolve())))));
    for (const session of open) {
      if (session.silenced) session.terminate('shutdown');
      else session.close(CloseCode.GoingAway, 'server shutting down');
    }
    // Give clients a moment to answer the close, then cut whoever did not.
    await Promise.race([allClosed, new Promise((resolve) => setTimeout(resolve, 500))]);
    for (const session of sessions) session.ws.terminate();
    await allClosed;
    wss.close();
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve());
      httpServer.closeAllConnections();
    });
  };

  const hostForUrl = urlHost(host);
  return {
    port: actualPort,
    host,
    url: `ws://${hostForUrl}:${actualPort}${STREAM_PATH}`,
    httpUrl: `http://${hostForUrl}:${actualPort}`,
    get epoch() {
      return registry.epoch;
    },
    controls,
    publishTrades,
    close,
  };
}
