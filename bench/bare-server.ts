/**
 * The baseline for the fan-out and idle parts: a bare `ws` server that does only what a
 * hand-written server must do to speak protocol v1 to the bench clients. It answers
 * `hello` and `sub`, turns each published trade into the same candle update text the
 * reference server sends (one new bar per trade in the bench), serialises each message
 * once (one Buffer per frame, shared by every client) and sends one frame per loop tick
 * (setImmediate, as the reference server).
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bar, Trade } from '../src/protocol/index.js';
import { STREAM_PATH } from '../src/protocol/index.js';
import { batchText, candleUpdateText } from './lib/wire.js';

export interface BareServer {
  port: number;
  url: string;
  publishTrades(trades: readonly Trade[]): void;
  close(): Promise<void>;
}

interface TopicState {
  seq: number;
  bars: Bar[];
  subscribers: Set<WebSocket>;
}

/**
 * `deflate`: the same server with permessage-deflate on (context takeover, threshold 0 so
 * that ~200-byte messages are compressed at all: ws skips messages under 1 KiB by default).
 * Only to show what compression costs; the baseline proper has it off.
 */
export async function startBareServer(options: { host?: string; port?: number; deflate?: boolean } = {}): Promise<BareServer> {
  const epoch = `bare-${Date.now().toString(36)}`;
  const topics = new Map<string, TopicState>();
  const topic = (name: string) => {
    let t = topics.get(name);
    if (!t) topics.set(name, (t = { seq: 0, bars: [], subscribers: new Set() }));
    return t;
  };
  const wss = new WebSocketServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    path: STREAM_PATH,
    perMessageDeflate: options.deflate ? { threshold: 0 } : false,
    maxPayload: 64 * 1024,
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket) => {
    const mine = new Set<string>();
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let m: { op?: string; id?: number; topic?: string };
      try {
        m = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (m.op === 'hello') socket.send(JSON.stringify({ op: 'welcome', v: 1, session: 'bare', heartbeatMs: 15_000, serverTime: Date.now() }));
      else if (m.op === 'sub' && typeof m.topic === 'string') {
        const t = topic(m.topic);
        t.subscribers.add(socket);
        mine.add(m.topic);
        socket.send(JSON.stringify({ op: 'subscribed', id: m.id, topic: m.topic, epoch, seq: t.seq, recovered: false }));
        const [, symbol, interval] = m.topic.split(':');
        socket.send(JSON.stringify({ op: 'snapshot', topic: m.topic, epoch, seq: t.seq, data: { symbol, interval, bars: t.bars.slice(-300) } }));
      }
    });
    socket.on('close', () => {
      for (const name of mine) topics.get(name)?.subscribers.delete(socket);
    });
  });

  // Messages of the current loop tick, per topic, sent as one frame at the end of the tick.
  const pending = new Map<string, string[]>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const [name, texts] of pending) {
      const subscribers = topics.get(name)?.subscribers;
      if (!subscribers || subscribers.size === 0) continue;
      // As the reference server: a lone message goes out as itself, more as an array.
      const frame = Buffer.from(texts.length === 1 ? texts[0]! : batchText(texts));
      for (const socket of subscribers) socket.send(frame, { binary: false });
    }
    pending.clear();
  };

  return {
    port: (wss.address() as { port: number }).port,
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}${STREAM_PATH}`,
    publishTrades(trades) {
      const now = Date.now();
      for (const trade of trades) {
        const name = `candles:${trade.symbol}:1m`;
        const t = topic(name);
        const time = Math.floor(trade.time / 60_000) * 60;
        const last = t.bars[t.bars.length - 1];
        let bar: Bar;
        if (last && last.time === time) {
          bar = { ...last, high: Math.max(last.high, trade.price), low: Math.min(last.low, trade.price), close: trade.price, volume: last.volume + trade.size, trades: last.trades + 1 };
          t.bars[t.bars.length - 1] = bar;
        } else {
          bar = { time, open: trade.price, high: trade.price, low: trade.price, close: trade.price, volume: trade.size, trades: 1 };
          t.bars.push(bar);
          if (t.bars.length > 2_000) t.bars.shift();
        }
        t.seq++;
        let texts = pending.get(name);
        if (!texts) pending.set(name, (texts = []));
        texts.push(candleUpdateText(name, t.seq, now, bar));
      }
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    async close() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
