/**
 * The subscribers of the publish part, in their own process: N WebSockets following
 * `events:bench`. Each update carries the publisher's send time (`"t":` in its data, ms
 * since the epoch with sub-ms digits), so every delivery gives one publish-to-deliver
 * latency. Frames are scanned, not parsed, so the swarm stays cheap.
 */
import WebSocket from 'ws';
import { cpuMicros, serveRpc, sleep } from './lib/proc.js';

const UPDATE = Buffer.from('"op":"update"');
const T = Buffer.from('"t":');
let sockets: WebSocket[] = [];
let received = 0;
/** Frames received: received / frames is how many events the server batches per frame. */
let frames = 0;
let latencies: number[] = [];
/** Latencies kept per window (a reservoir beyond this). */
const MAX_SAMPLES = 200_000;
let seen = 0;

const now = () => performance.timeOrigin + performance.now();

function onMessage(data: Buffer): void {
  const at = now();
  frames++;
  for (let i = data.indexOf(UPDATE); i !== -1; i = data.indexOf(UPDATE, i + UPDATE.length)) received++;
  for (let i = data.indexOf(T); i !== -1; i = data.indexOf(T, i + T.length)) {
    const start = i + T.length;
    const sent = Number.parseFloat(data.toString('latin1', start, start + 24));
    if (!Number.isFinite(sent)) continue;
    seen++;
    if (latencies.length < MAX_SAMPLES) latencies.push(at - sent);
    else {
      const slot = Math.floor(Math.random() * seen);
      if (slot < MAX_SAMPLES) latencies[slot] = at - sent;
    }
  }
}

function openOne(url: string, topic: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    const timer = setTimeout(() => reject(new Error('connect timed out')), 15_000);
    let ready = false;
    socket.on('open', () => {
      socket.send('{"op":"hello","v":1}');
      socket.send(JSON.stringify({ op: 'sub', id: 1, topic }));
    });
    socket.on('message', (raw) => {
      const data = raw as Buffer;
      if (!ready && data.includes('"op":"snapshot"')) {
        ready = true;
        clearTimeout(timer);
        resolve(socket);
        return;
      }
      if (ready) onMessage(data);
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      if (!ready) reject(new Error(`closed ${code} before the snapshot`));
    });
  });
}

serveRpc({
  async connect(args: { url: string; count: number; topic: string }) {
    for (let i = 0; i < args.count; i += 50) {
      const batch = Array.from({ length: Math.min(50, args.count - i) }, () => openOne(args.url, args.topic));
      sockets.push(...(await Promise.all(batch)));
    }
    return { open: sockets.length };
  },
  /** Starts a measuring window: counts from now, latencies from now. */
  mark() {
    latencies = [];
    seen = 0;
    return { received, frames, cpuMicros: cpuMicros(), at: now() };
  },
  /** What the window saw: deliveries so far and the latencies (sorted quantiles). */
  stats() {
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : Number.NaN);
    return { received, frames, cpuMicros: cpuMicros(), at: now(), samples: sorted.length, p50: q(0.5), p99: q(0.99) };
  },
  async disconnect() {
    for (const socket of sockets) socket.terminate();
    sockets = [];
    await sleep(50);
    return true;
  },
});
