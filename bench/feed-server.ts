/**
 * Bench feed for the browser ingest part (child process). A protocol v1 server on
 * loopback that offers candle updates for many symbols at a set total rate, framed as
 * the reference server frames them: every loop tick (about 1 ms) becomes one frame per
 * client, a JSON array of the tick's messages, each message serialised once. It also
 * serves a `portfolio:<account>` topic whose rows follow the candles, for <pnl-summary>.
 *
 * Why not the reference server itself for the rate ladder: at 500k updates/s its
 * aggregation would take the CPU the browser under test needs on a 2-core machine.
 * The bench also runs page K against the real server (see browser.ts).
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bar, Position } from '../src/protocol/index.js';
import { parseClientFrame, parseTopic, STREAM_PATH } from '../src/protocol/index.js';
import { cpuMicros, serveRpc } from './lib/proc.js';
import { sumPositions } from '../src/protocol/index.js';
import { batchText, benchSymbols, candleUpdateText, prng, selfCheck, tick } from './lib/wire.js';

selfCheck();

const HISTORY_BARS = 300;
const INTERVAL = '1m';
/** Never send more than this many ms of catch-up in one tick (after a stall). */
const MAX_CATCH_UP_MS = 50;
/** A client this far behind is not sent more (its measurement fails anyway); bounds memory. */
const MAX_BUFFERED = 64 * 1024 * 1024;

interface Client {
  socket: WebSocket;
  topics: Set<string>;
  hello: boolean;
  dropped: number;
}

interface SymbolState {
  symbol: string;
  topic: string;
  seq: number;
  bars: Bar[];
  position: Position;
}

const random = prng(6);
const epoch = `bench-${Date.now().toString(36)}`;
let account = 'bench';
let symbols: SymbolState[] = [];
let portfolioSeq = 0;
const clients = new Set<Client>();
let rate = 0;
let emitted = 0;
let frames = 0;
let bytes = 0;
let rateSince = performance.now();
let emittedSinceRate = 0;
let cursor = 0;
let ticker: NodeJS.Timeout | undefined;

function setup(count: number, accountName: string) {
  account = accountName;
  const minute = Math.floor(Date.now() / 60_000) * 60;
  symbols = benchSymbols(count).map((symbol, i) => {
    let price = tick(50 + random() * 400);
    const bars: Bar[] = [];
    for (let b = HISTORY_BARS - 1; b >= 0; b--) {
      const open = price;
      const close = tick(open * (1 + (random() - 0.5) * 0.01));
      bars.push({
        time: minute - b * 60,
        open,
        high: Math.max(open, close) + 0.25,
        low: Math.max(0.5, Math.min(open, close) - 0.25),
        close,
        volume: Math.round(random() * 1000),
        trades: 1 + Math.floor(random() * 50),
      });
      price = close;
    }
    const qty = (i % 7) + 1;
    const avgPrice = tick(price * (0.95 + random() * 0.1));
    const position: Position = {
      symbol,
      qty,
      avgPrice,
      lastPrice: price,
      marketValue: qty * price,
      unrealizedPnl: (price - avgPrice) * qty,
      realizedPnl: Math.round((random() - 0.5) * 2000),
    };
    return { symbol, topic: `candles:${symbol}:${INTERVAL}`, seq: 0, bars, position };
  });
}

const byTopic = () => new Map(symbols.map((s) => [s.topic, s]));
let topicIndex = new Map<string, SymbolState>();
const portfolioTopic = () => `portfolio:${account}`;

function portfolioData() {
  const positions = symbols.map((s) => ({ ...s.position }));
  return { account, currency: 'USD', positions, totals: sumPositions(positions) };
}

function send(client: Client, text: string) {
  if (client.socket.readyState !== client.socket.OPEN) return;
  if (client.socket.bufferedAmount > MAX_BUFFERED) {
    client.dropped++;
    return;
  }
  client.socket.send(text);
  bytes += text.length;
}

function onFrame(client: Client, text: string) {
  const parsed = parseClientFrame(text);
  if (!parsed.ok) return send(client, JSON.stringify({ op: 'error', code: parsed.code, message: parsed.message }));
  const m = parsed.message;
  if (m.op === 'hello') {
    client.hello = true;
    return send(client, JSON.stringify({ op: 'welcome', v: 1, session: `s${Math.random().toString(36).slice(2)}`, heartbeatMs: 15_000, serverTime: Date.now() }));
  }
  if (!client.hello) return client.socket.close(4400, 'hello first');
  if (m.op === 'ping') return send(client, JSON.stringify({ op: 'pong', id: m.id, t: m.t, serverTime: Date.now() }));
  if (m.op === 'unsub') {
    client.topics.delete(m.topic);
    return send(client, JSON.stringify({ op: 'unsubscribed', id: m.id, topic: m.topic }));
  }
  if (m.op === 'sub') {
    const s = topicIndex.get(m.topic);
    const isPortfolio = m.topic === portfolioTopic();
    if (!s && !isPortfolio) {
      const known = parseTopic(m.topic).ok;
      return send(client, JSON.stringify({ op: 'error', id: m.id, code: known ? 'unknown_topic' : 'bad_request', message: 'not in the bench feed', topic: m.topic }));
    }
    const seq = s ? s.seq : portfolioSeq;
    client.topics.add(m.topic);
    // The bench keeps no history: every (re)subscription gets a snapshot.
    send(client, JSON.stringify({ op: 'subscribed', id: m.id, topic: m.topic, epoch, seq, recovered: false }));
    const data = s ? { symbol: s.symbol, interval: INTERVAL, bars: s.bars } : portfolioData();
    return send(client, JSON.stringify({ op: 'snapshot', topic: m.topic, epoch, seq, data }));
  }
}

/** One loop tick: the trades due at `rate`, as candle updates plus one portfolio update. */
function loop() {
  const now = performance.now();
  const due = Math.min(Math.floor((now - rateSince) * (rate / 1000)) - emittedSinceRate, Math.ceil((rate * MAX_CATCH_UP_MS) / 1000));
  if (due > 0 && symbols.length > 0) {
    emittedSinceRate += due;
    const time = Date.now();
    const minute = Math.floor(time / 60_000) * 60;
    const messages: string[] = [];
    const topics: string[] = [];
    const changed = new Set<SymbolState>();
    for (let i = 0; i < due; i++) {
      const s = symbols[cursor++ % symbols.length]!;
      let bar = s.bars[s.bars.length - 1]!;
      const price = tick(bar.close * (1 + (random() - 0.5) * 0.002));
      if (bar.time < minute) {
        bar = { time: minute, open: price, high: price, low: price, close: price, volume: 0, trades: 0 };
        s.bars.push(bar);
        if (s.bars.length > 2_000) s.bars.splice(0, s.bars.length - 2_000);
      } else {
        bar = { ...bar, close: price, high: Math.max(bar.high, price), low: Math.min(bar.low, price) };
        s.bars[s.bars.length - 1] = bar;
      }
      bar.volume += 1;
      bar.trades += 1;
      s.seq++;
      messages.push(candleUpdateText(s.topic, s.seq, time, bar));
      topics.push(s.topic);
      const p = s.position;
      p.lastPrice = price;
      p.marketValue = p.qty * price;
      p.unrealizedPnl = (price - p.avgPrice) * p.qty;
      changed.add(s);
    }
    emitted += due;
    const pTopic = portfolioTopic();
    let portfolioText: string | undefined;
    for (const client of clients) {
      if (client.topics.has(pTopic) && portfolioText === undefined) {
        portfolioSeq++;
        const positions = [...changed].map((s) => ({ ...s.position }));
        const data = { positions, removed: [], totals: sumPositions(symbols.map((s) => s.position)) };
        portfolioText = JSON.stringify({ op: 'update', topic: pTopic, seq: portfolioSeq, time, data });
      }
    }
    for (const client of clients) {
      if (!client.hello || client.topics.size === 0) continue;
      const own: string[] = [];
      for (let i = 0; i < messages.length; i++) if (client.topics.has(topics[i]!)) own.push(messages[i]!);
      if (portfolioText !== undefined && client.topics.has(pTopic)) own.push(portfolioText);
      if (own.length > 0) {
        // As the reference server: a lone message goes out as itself, more as an array.
        send(client, own.length === 1 ? own[0]! : batchText(own));
        frames++;
      }
    }
    // Topics nobody follows still advance (seq), as on the real server.
    if (portfolioText === undefined) portfolioSeq++;
  }
  ticker = setTimeout(loop, 1);
}

let wss: WebSocketServer | undefined;

serveRpc({
  async start(args: { symbols?: number; account?: string }) {
    setup(args.symbols ?? 50, args.account ?? 'bench');
    topicIndex = byTopic();
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: STREAM_PATH, perMessageDeflate: false, maxPayload: 64 * 1024 });
    await new Promise<void>((resolve) => wss!.once('listening', () => resolve()));
    wss.on('connection', (socket) => {
      const client: Client = { socket, topics: new Set(), hello: false, dropped: 0 };
      clients.add(client);
      socket.on('message', (data, isBinary) => {
        if (!isBinary) onFrame(client, data.toString());
      });
      socket.on('close', () => clients.delete(client));
      socket.on('error', () => clients.delete(client));
    });
    ticker = setTimeout(loop, 1);
    const address = wss.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { port, url: `ws://127.0.0.1:${port}${STREAM_PATH}`, account, symbols: symbols.map((s) => s.symbol), interval: INTERVAL };
  },
  setRate(args: { rate: number }) {
    rate = Math.max(0, args.rate);
    rateSince = performance.now();
    emittedSinceRate = 0;
    return true;
  },
  stats() {
    let buffered = 0;
    let dropped = 0;
    for (const c of clients) {
      buffered = Math.max(buffered, c.socket.bufferedAmount);
      dropped += c.dropped;
    }
    return { emitted, frames, bytes, buffered, dropped, clients: clients.size, cpuMicros: cpuMicros() };
  },
  dropClients() {
    for (const c of clients) c.socket.terminate();
    clients.clear();
    return true;
  },
  async close() {
    clearTimeout(ticker);
    for (const c of clients) c.socket.terminate();
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
    return true;
  },
});
