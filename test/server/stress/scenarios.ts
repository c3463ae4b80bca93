/**
 * The two heavy scenarios, at any size: used by the server suite (CI size) and by
 * `npm run soak` (full size). Each runs against a server in a child process and
 * returns figures; the callers assert on them.
 */
import { WebSocket } from 'ws';
import { startChildServer, type ChildServer } from './harness.js';
import { GaplessWatcher, runFuzz, type FuzzStats } from './fuzz.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle(server: ChildServer, expectConnections: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await server.counts();
    if (counts.connections === expectConnections) return counts;
    if (Date.now() > deadline) return counts;
    await delay(50);
  }
}

export interface FuzzResult {
  stats: FuzzStats;
  durationMs: number;
  serverAlive: boolean;
  heapBefore: number;
  heapAfter: number;
  peakHeap: number;
  watcher: { open: boolean; updates: number; epochs: number; problems: string[]; perTopic: Record<string, number>; finalSeqMatchesRest: boolean };
  counts: { connections: number; subscriptions: number; addresses: number };
  errorsByCode: Record<string, number>;
  framesDropped: number;
  closesByCode: Record<string, number>;
}

const WATCHED = ['candles:BTC-USD:1s', 'candles:ETH-USD:5s', 'portfolio:demo'];

export async function fuzzScenario({ frames, clients, seed }: { frames: number; clients: number; seed: number }): Promise<FuzzResult> {
  const maxFrameBytes = 16 * 1024;
  const server = await startChildServer({
    seed: 3,
    symbols: ['BTC-USD', 'ETH-USD', 'SOL-USD'],
    rate: 20,
    history: 100,
    maxFrameBytes,
    // Faster than the default 20/s, so most hostile frames are parsed rather than dropped; floods still trip it.
    clientRate: 1000,
    clientBurst: 100,
    helloTimeoutMs: 1000,
  });
  try {
    const watcher = new GaplessWatcher(server.url, WATCHED);
    await watcher.ready;
    await delay(1500); // history rings fill, caches warm
    const { heapUsed: heapBefore } = await server.heap();
    const started = Date.now();
    const topics = ['portfolio:demo', 'candles:BTC-USD:1h', 'candles:ETH-USD:1h', 'candles:SOL-USD:1h', 'candles:NOPE:1s', 'portfolio:nobody'];
    const stats = await runFuzz({ url: server.url, frames, clients, seed, ctx: { epoch: server.epoch, topics, maxFrameBytes, floodSize: 150 } });
    const durationMs = Date.now() - started;
    await delay(300); // the watcher sees a few more updates after the storm
    const counts = await settle(server, 1);
    const { heapUsed: heapAfter, peakHeapUsed: peakHeap } = await server.heap();
    // The watcher's final state equals the REST snapshot at the same seq (checked while the feed runs: compare seqs).
    let finalSeqMatchesRest = true;
    for (const topic of WATCHED) {
      const rest = (await (await fetch(`${server.httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`)).json()) as { seq: number; epoch: string };
      const seen = watcher.lastSeq(topic) ?? -1;
      if (rest.epoch !== server.epoch || seen > rest.seq || rest.seq - seen > 50) finalSeqMatchesRest = false;
    }
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const byLabel = (name: string, label: string) => {
      const out: Record<string, number> = {};
      const re = new RegExp(`^${name}\\{${label}="([^"]+)"\\} (\\d+)$`, 'gm');
      for (const match of metrics.matchAll(re)) out[match[1]!] = Number(match[2]);
      return out;
    };
    const result: FuzzResult = {
      stats,
      durationMs,
      serverAlive: server.alive(),
      heapBefore,
      heapAfter,
      peakHeap,
      watcher: {
        open: watcher.open,
        updates: watcher.totalUpdates,
        epochs: watcher.epochs.size,
        problems: watcher.problems.slice(0, 10),
        perTopic: Object.fromEntries(watcher.updates),
        finalSeqMatchesRest,
      },
      counts,
      errorsByCode: byLabel('lmw_errors_total', 'code'),
      framesDropped: await server.metric('lmw_frames_dropped_total'),
      closesByCode: byLabel('lmw_closes_total', 'code'),
    };
    watcher.close();
    return result;
  } finally {
    await server.stop();
  }
}

export interface LeakResult {
  cycles: number;
  durationMs: number;
  heapBefore: number;
  heapAfter: number;
  peakHeap: number;
  countsAfter: { connections: number; subscriptions: number; addresses: number };
  connectionsTotal: number;
}

/**
 * `cycles` connect / subscribe / disconnect cycles, `parallel` at a time, in five
 * styles (graceful close, terminate after subscribing, leave before hello, unsub then
 * close, terminate with frames in flight).
 */
export async function leakScenario({ cycles, parallel = 25 }: { cycles: number; parallel?: number }): Promise<LeakResult> {
  const server = await startChildServer({ seed: 5, symbols: ['BTC-USD'], rate: 10, history: 50, helloTimeoutMs: 2000 });
  try {
    // Warm up: history rings full, snapshot caches and code paths warm.
    await runCycles(server.url, 200, parallel);
    await delay(1000);
    await settle(server, 0);
    const { heapUsed: heapBefore } = await server.heap();
    const started = Date.now();
    await runCycles(server.url, cycles, parallel);
    const durationMs = Date.now() - started;
    await settle(server, 0);
    await delay(200);
    const { heapUsed: heapAfter, peakHeapUsed: peakHeap } = await server.heap();
    return {
      cycles,
      durationMs,
      heapBefore,
      heapAfter,
      peakHeap,
      countsAfter: await server.counts(),
      connectionsTotal: await server.metric('lmw_connections_total'),
    };
  } finally {
    await server.stop();
  }
}

async function runCycles(url: string, cycles: number, parallel: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < cycles) {
      const i = next++;
      await oneCycle(url, i % 5);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

function oneCycle(url: string, style: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`cycle style ${style} timed out`));
    }, 10_000);
    ws.on('error', () => {});
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    const send = (message: unknown) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(message));
    ws.once('open', () => {
      if (style === 2) {
        ws.terminate(); // gone before hello
        return;
      }
      send({ op: 'hello', v: 1 });
      send({ op: 'sub', id: 1, topic: 'portfolio:demo' });
      send({ op: 'sub', id: 2, topic: 'candles:BTC-USD:1h' });
      if (style === 4) {
        send({ op: 'sub', id: 3, topic: 'candles:BTC-USD:1h' });
        ws.terminate(); // frames in flight
        return;
      }
      if (style === 3) send({ op: 'unsub', id: 4, topic: 'candles:BTC-USD:1h' });
      send({ op: 'ping', id: 9, t: 0 });
    });
    // Frames are handled in order: the pong means the subs were.
    ws.on('message', (data: Buffer) => {
      if (!data.includes('"op":"pong"')) return;
      if (style === 1) ws.terminate();
      else ws.close(1000);
    });
  });
}
