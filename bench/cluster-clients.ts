/**
 * A share of the cluster part's clients, in its own process (bench/cluster.ts spawns one
 * per core), so a thousand clients do not queue behind one event loop and the latency
 * measured is the servers', not the swarm's. `ws`: our protocol, frames scanned, not
 * parsed (the seq and time of each update are read in place); `io`: socket.io-client on
 * the WebSocket transport, which parses every packet as Socket.IO users get them.
 *
 * Every update counts once; a seq that does not follow the topic's last by one is a gap;
 * latency is this machine's clock minus the update's `time` (the node's clock when it
 * published; one machine, one clock), sampled one in eight.
 */
import WebSocket from 'ws';
import { io as ioClient, type Socket as IoSocket } from 'socket.io-client';
import { cpuMicros, serveRpc, sleep } from './lib/proc.js';

let deliveries = 0;
let frames = 0;
let gaps = 0;
let closed = 0;
let sample = 0;
let latencies: number[] = [];
const sockets: Array<{ terminate(): void }> = [];
const MAX_SAMPLES = 100_000;

function record(last: Map<string, number>, topic: string, seq: number, time: number): void {
  deliveries++;
  const before = last.get(topic);
  if (before !== undefined && seq !== before + 1) gaps++;
  last.set(topic, seq);
  if ((sample++ & 7) !== 0) return;
  // A reservoir past MAX_SAMPLES, so a long window at a million deliveries/s stays small.
  if (latencies.length < MAX_SAMPLES) latencies.push(Date.now() - time);
  else {
    const slot = Math.floor(Math.random() * (sample >>> 3));
    if (slot < MAX_SAMPLES) latencies[slot] = Date.now() - time;
  }
}

const UPDATE = Buffer.from('{"op":"update","topic":"');
const QUOTE = 0x22;

/** The decimal integer at `at` in `buf` (digits only, as the server writes seqs and times), and where it ends. */
function intAt(buf: Buffer, at: number): [number, number] {
  let n = 0;
  let i = at;
  for (let c = buf[i]!; c >= 0x30 && c <= 0x39; c = buf[++i]!) n = n * 10 + (c - 0x30);
  return [n, i];
}

/** The updates of one frame (a message or a batch of them), read in place: `"topic":"…","seq":N,"time":T`. */
function scanUpdates(buf: Buffer, last: Map<string, number>): void {
  for (let i = buf.indexOf(UPDATE); i !== -1; i = buf.indexOf(UPDATE, i + UPDATE.length)) {
    const topicStart = i + UPDATE.length;
    const topicEnd = buf.indexOf(QUOTE, topicStart);
    const [seq, seqEnd] = intAt(buf, topicEnd + 8); // ","seq":
    const [time] = intAt(buf, seqEnd + 8); // ,"time":
    record(last, buf.toString('latin1', topicStart, topicEnd), seq, time);
  }
}

function openWs(url: string, topics: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // Frames are scanned as bytes, so their UTF-8 need not be checked.
    const socket = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    sockets.push(socket);
    const last = new Map<string, number>();
    let subscribed = 0;
    socket.once('open', () => socket.send(JSON.stringify({ op: 'hello', v: 1 })));
    socket.once('error', reject);
    socket.on('close', () => closed++);
    socket.on('message', (raw) => {
      if (subscribed === topics.length) {
        frames++;
        scanUpdates(raw as Buffer, last);
        return;
      }
      const text = raw.toString();
      // Until every topic is subscribed: parsed, for the welcome, the replies and the snapshots' seqs.
      const parsed = JSON.parse(text);
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m.op === 'update') record(last, m.topic, m.seq, m.time);
        else if (m.op === 'snapshot') last.set(m.topic, m.seq);
        else if (m.op === 'welcome') topics.forEach((topic, id) => socket.send(JSON.stringify({ op: 'sub', id, topic })));
        else if (m.op === 'subscribed' && ++subscribed === topics.length) resolve();
      }
    });
  });
}

function openIo(url: string): Promise<void> {
  const socket: IoSocket = ioClient(url, { transports: ['websocket'], reconnection: false, perMessageDeflate: false } as never);
  sockets.push({ terminate: () => socket.disconnect() });
  const last = new Map<string, number>();
  socket.on('disconnect', () => closed++);
  socket.on('update', (m: { topic: string; seq: number; time: number }) => record(last, m.topic, m.seq, m.time));
  return new Promise((resolve, reject) => {
    socket.once('ready', () => resolve());
    socket.once('connect_error', reject);
  });
}

serveRpc({
  async connect(args: { kind: 'ws' | 'io'; urls: string[]; count: number; offset: number; topics: string[] }) {
    for (let i = 0; i < args.count; i += 100) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(args.count, i + 100); j++) {
        const url = args.urls[(args.offset + j) % args.urls.length]!;
        batch.push(args.kind === 'ws' ? openWs(url, args.topics) : openIo(url));
      }
      await Promise.all(batch);
    }
    return { open: sockets.length };
  },
  /** Starts a window: latencies from now. */
  mark() {
    latencies = [];
    sample = 0;
    return { deliveries, frames, gaps, closed, cpuMicros: cpuMicros() };
  },
  stats() {
    return { deliveries, frames, gaps, closed, latencies, cpuMicros: cpuMicros() };
  },
  async disconnect() {
    for (const socket of sockets.splice(0)) socket.terminate();
    await sleep(50);
    return true;
  },
});
