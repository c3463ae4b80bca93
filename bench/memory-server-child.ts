/**
 * A reference server in its own process for the memory part: `start` runs it with the
 * simulator on N symbols at the default rate; `memory` collects garbage and reads RSS,
 * heap and the engine's footprint (from /metrics). `baseline` instead builds, in this
 * process, what the engine kept per symbol before issue 12 (six `Bar[]` windows of 2,000
 * bars and six histories of `updates` `{time, data}` parts; the aggregator's spans, a
 * {first, last} per bar, are not counted) for `symbols` symbols.
 */
import type { Bar } from '../src/protocol/index.js';
import { serveRpc } from './lib/proc.js';

interface Handle {
  httpUrl: string;
  url: string;
  close(): Promise<unknown>;
}

let server: Handle | undefined;
const held: unknown[] = [];

function gcNow(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

async function metric(name: string): Promise<Record<string, number>> {
  if (!server) return {};
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const [key, value] = line.split(' ');
    out[key!] = Number(value);
  }
  return out;
}

serveRpc({
  async start({ symbols, options }: { symbols: string[]; options?: Record<string, unknown> }) {
    const { startMarketServer } = await import('../server/app.js');
    server = await startMarketServer({ port: 0, host: '127.0.0.1', symbols, feed: 'sim', ...options });
    return { httpUrl: server.httpUrl, url: server.url };
  },
  baseline({ symbols, updates }: { symbols: number; updates: number }) {
    const bar = (i: number): Bar => ({ time: 1_700_000_000 + i * 60, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 3.25 + i, trades: i });
    for (let s = 0; s < symbols; s++)
      for (let topic = 0; topic < 6; topic++) {
        const bars: Bar[] = [];
        for (let i = 0; i < 2_000; i++) bars.push(bar(i + s));
        const history: Array<{ time: number; data: Bar }> = [];
        for (let i = 0; i < updates; i++) history.push({ time: Date.now() + i, data: bar(i) });
        held.push(bars, history);
      }
    return held.length;
  },
  async memory() {
    const gc = gcNow();
    const usage = process.memoryUsage();
    const history = await metric('lmw_history_bytes');
    return {
      gc,
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      arrayBuffers: usage.arrayBuffers,
      barBytes: history['lmw_history_bytes{part="bars"}'] ?? 0,
      ringBytes: history['lmw_history_bytes{part="exact"}'] ?? 0,
    };
  },
  async stop() {
    await server?.close();
    server = undefined;
  },
});
