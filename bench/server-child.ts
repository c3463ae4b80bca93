/**
 * A server under test in its own process (so its CPU time and memory are its own):
 * `--impl ours` runs the reference server (server/app.ts, feed 'none', trades published
 * in-process through publishTrades), `--impl bare` the bare `ws` baseline, `--impl
 * deflate` the baseline with permessage-deflate on (to show what compression costs). Driven over
 * IPC by the bench: start, publish with a credit window, CPU and memory readings.
 *
 * Publishing: trade i is one new 1m bar (time = base + i minutes), so every trade is
 * exactly one update whatever the server coalesces, and a client that saw bar time t has
 * seen trade i = (t - base) / 60. The client swarm reports the lowest such i over its
 * clients ("watermark"); this process keeps at most `window` trades ahead of it, so no
 * send buffer grows without bound while the server runs flat out.
 */
import type { Trade } from '../src/protocol/index.js';
import { startBareServer } from './bare-server.js';
import { cpuMicros, serveRpc } from './lib/proc.js';
import { prng, tick } from './lib/wire.js';

interface ServerHandle {
  url: string;
  httpUrl?: string;
  publishTrades(trades: Trade[]): unknown;
  close(): Promise<unknown>;
}

const implArg = process.argv[process.argv.indexOf('--impl') + 1];
const impl = implArg === 'ours' || implArg === 'deflate' ? implArg : 'bare';
const random = prng(11);
let server: ServerHandle | undefined;
let symbol = 'BENCH';
let baseMs = Math.floor(Date.now() / 60_000) * 60_000;
let published = 0;
let watermark = 0;
let window = 0;
let perTick = 1;
let running = false;
let parked = true;
/** Time spent with a full credit window (the clients, not the server, were the limit). */
let parkedMs = 0;
let parkedAt = 0;
let price = 100;

// ---- rate drive (browser part, page K against the real server) ---------------
let driveRate = 0;
let driveSince = 0;
let driveDone = 0;
let driven = 0;
let driveSymbols: string[] = [];
let driveCursor = 0;
let driveTimer: NodeJS.Timeout | undefined;
const drivePrices = new Map<string, number>();
/** Never drive more than 50 ms of catch-up in one tick (after a stall). */
const DRIVE_MAX_CATCH_UP_MS = 50;

/**
 * About once a millisecond: the trades due at `driveRate`, now-timed, round-robin over
 * the symbols, published in calls of at most one trade per symbol so that each trade is
 * one update on every candle topic of its symbol (the server merges same-bar trades
 * within one call).
 */
function driveLoop() {
  if (!server || driveRate <= 0 || driveSymbols.length === 0) return;
  const elapsed = performance.now() - driveSince;
  const due = Math.min(Math.floor((elapsed * driveRate) / 1000) - driveDone, Math.ceil((driveRate * DRIVE_MAX_CATCH_UP_MS) / 1000));
  if (due > 0) {
    driveDone += due;
    const time = Date.now();
    for (let left = due; left > 0; ) {
      const n = Math.min(left, driveSymbols.length);
      const trades: Trade[] = [];
      for (let k = 0; k < n; k++) {
        const sym = driveSymbols[driveCursor++ % driveSymbols.length]!;
        const p = tick((drivePrices.get(sym) ?? 100) * (1 + (random() - 0.5) * 0.002));
        drivePrices.set(sym, p);
        trades.push({ symbol: sym, price: p, size: 1, time });
      }
      server.publishTrades(trades);
      driven += n;
      left -= n;
    }
  }
  driveTimer = setTimeout(driveLoop, 1);
}

function loop() {
  if (!running || !server) {
    parked = true;
    return;
  }
  const room = Math.min(perTick, window - (published - watermark));
  if (room <= 0) {
    parked = true;
    parkedAt = performance.now();
    return;
  }
  const trades: Trade[] = [];
  for (let k = 0; k < room; k++) {
    price = tick(price * (1 + (random() - 0.5) * 0.002));
    published++;
    trades.push({ symbol, price, size: 1, time: baseMs + published * 60_000 });
  }
  server.publishTrades(trades);
  setImmediate(loop);
}

function wake() {
  if (running && parked) {
    if (parkedAt > 0) parkedMs += performance.now() - parkedAt;
    parkedAt = 0;
    parked = false;
    setImmediate(loop);
  }
}

process.on('message', (raw) => {
  const m = raw as { ack?: number };
  if (typeof m?.ack === 'number') {
    watermark = Math.max(watermark, m.ack);
    wake();
  }
});

serveRpc({
  async start(args: { symbol?: string; options?: Record<string, unknown> }) {
    symbol = args.symbol ?? symbol;
    const options = args.options ?? {};
    if (impl === 'ours') {
      const { startMarketServer } = (await import(new URL('../server/app.ts', import.meta.url).href)) as {
        startMarketServer: (o: Record<string, unknown>) => Promise<ServerHandle>;
      };
      server = await startMarketServer({ host: '127.0.0.1', port: 0, feed: 'none', symbols: [symbol], heartbeatMs: 60_000, ...options });
    } else {
      server = await startBareServer({ host: '127.0.0.1', port: 0, deflate: impl === 'deflate' });
    }
    // First trade opens the topic's first bar (some servers only know a symbol after a trade).
    baseMs = Math.floor(Date.now() / 60_000) * 60_000;
    published = 0;
    watermark = 0;
    server.publishTrades([{ symbol, price, size: 1, time: baseMs }]);
    return { url: server.url, impl, pid: process.pid, baseMs };
  },
  run(args: { window: number; perTick?: number }) {
    window = args.window;
    perTick = args.perTick ?? 1;
    running = true;
    wake();
    return true;
  },
  pause() {
    running = false;
    return true;
  },
  /** Rate drive: `symbols` with their start prices, then setRate. */
  async drive(args: { symbols: string[] }) {
    driveSymbols = args.symbols;
    // Start each symbol at its last close, so the chart continues its history.
    for (const sym of driveSymbols) {
      let last = 100;
      if (server?.httpUrl) {
        const response = await fetch(`${server.httpUrl}/api/snapshot?topic=${encodeURIComponent(`candles:${sym}:1m`)}`);
        const body = (await response.json()) as { data?: { bars?: { close: number }[] } };
        last = body.data?.bars?.at(-1)?.close ?? last;
      }
      drivePrices.set(sym, last);
    }
    return true;
  },
  setRate(args: { rate: number }) {
    driveRate = Math.max(0, args.rate);
    driveSince = performance.now();
    driveDone = 0;
    clearTimeout(driveTimer);
    if (driveRate > 0) driveTimer = setTimeout(driveLoop, 1);
    return true;
  },
  stats() {
    // `emitted` and `dropped` make this process usable as the browser part's feed.
    const parkedNow = parkedMs + (parkedAt > 0 ? performance.now() - parkedAt : 0);
    return { cpuMicros: cpuMicros(), published, watermark, parkedMs: parkedNow, rss: process.memoryUsage().rss, emitted: driven, dropped: 0 };
  },
  memory() {
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < 3; i++) gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, gc: Boolean(gc) };
  },
  async close() {
    running = false;
    driveRate = 0;
    clearTimeout(driveTimer);
    await server?.close();
    server = undefined;
    return true;
  },
});
