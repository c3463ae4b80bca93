/**
 * A swarm of protocol v1 clients in its own process (child of the bench): opens N
 * WebSockets to a server, says hello and subscribes each to one topic, then counts the
 * update messages it receives. Cheap on purpose: frames are not parsed, updates are
 * counted by their `"op":"update"` marker and the last bar time is read from the end of
 * the frame, so the swarm stays far from saturating before the server does.
 */
import WebSocket from 'ws';
import { cpuMicros, emit, serveRpc, sleep } from './lib/proc.js';

interface Conn {
  socket: WebSocket;
  lastBarTime: number;
  open: boolean;
}

const UPDATE = Buffer.from('"op":"update"');
const BAR_TIME = Buffer.from('"data":{"time":');
let conns: Conn[] = [];
let received = 0;
let frames = 0;
let closed = 0;
let ackTimer: NodeJS.Timeout | undefined;
let baseSeconds = 0;
/** The first frame with an update, kept to compare the servers' framing. */
let sample: string | undefined;

function onMessage(conn: Conn, raw: WebSocket.RawData) {
  const data = raw as Buffer;
  frames++;
  let count = 0;
  for (let at = data.indexOf(UPDATE); at !== -1; at = data.indexOf(UPDATE, at + UPDATE.length)) count++;
  if (count === 0) return;
  received += count;
  if (sample === undefined) sample = data.toString('utf8', 0, Math.min(data.length, 2000));
  const at = data.lastIndexOf(BAR_TIME);
  if (at !== -1) {
    const start = at + BAR_TIME.length;
    const time = Number.parseInt(data.toString('latin1', start, start + 16), 10);
    if (time > conn.lastBarTime) conn.lastBarTime = time;
  }
}

function openOne(url: string, topic: string | undefined, timeoutMs: number, deflate: boolean): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: deflate, skipUTF8Validation: true });
    const conn: Conn = { socket, lastBarTime: 0, open: false };
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    socket.on('open', () => {
      socket.send('{"op":"hello","v":1}');
      if (topic) socket.send(JSON.stringify({ op: 'sub', id: 1, topic }));
    });
    let ready = false;
    socket.on('message', (data) => {
      if (!ready) {
        const text = data.toString();
        // Ready after the welcome (no topic) or the snapshot of the topic.
        if ((!topic && text.includes('"op":"welcome"')) || text.includes('"op":"snapshot"')) {
          ready = true;
          conn.open = true;
          clearTimeout(timer);
          resolve(conn);
        }
        if (text.includes('"op":"error"') && !ready) {
          clearTimeout(timer);
          socket.terminate();
          reject(new Error(`server error: ${text.slice(0, 200)}`));
        }
      }
      onMessage(conn, data);
    });
    socket.on('close', (code) => {
      if (conn.open) closed++;
      conn.open = false;
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`closed ${code} before ready`));
      }
    });
    socket.on('error', () => undefined);
  });
}

function watermark(): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const c of conns) if (c.open && c.lastBarTime < lowest) lowest = c.lastBarTime;
  if (!Number.isFinite(lowest) || lowest === 0) return 0;
  return Math.max(0, Math.round((lowest - baseSeconds) / 60));
}

serveRpc({
  /** Opens `count` connections, `concurrency` at a time; resolves when all are ready. */
  async connect(args: { url: string; count: number; topic?: string; concurrency?: number; baseMs?: number; timeoutMs?: number; deflate?: boolean }) {
    baseSeconds = Math.floor((args.baseMs ?? 0) / 1000);
    const concurrency = args.concurrency ?? 200;
    const failures: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < args.count; i += concurrency) {
      const batch = Array.from({ length: Math.min(concurrency, args.count - i) }, () => openOne(args.url, args.topic, args.timeoutMs ?? 15_000, args.deflate ?? false));
      for (const result of await Promise.allSettled(batch)) {
        if (result.status === 'fulfilled') conns.push(result.value);
        else failures.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
      }
      if (failures.length > 0) break;
    }
    if (failures.length > 0) throw new Error(`${failures.length} connections failed, first: ${failures[0]}`);
    return { open: conns.length, ms: Math.round(performance.now() - t0) };
  },
  /** Reports the delivered watermark to the parent every `everyMs` (it relays it to the server). */
  acks(args: { everyMs: number; on: boolean }) {
    clearInterval(ackTimer);
    if (args.on) ackTimer = setInterval(() => emit({ ack: watermark() }), args.everyMs);
    return true;
  },
  stats() {
    return { received, frames, closed, open: conns.filter((c) => c.open).length, watermark: watermark(), cpuMicros: cpuMicros(), sample };
  },
  async disconnect() {
    clearInterval(ackTimer);
    for (const c of conns) c.socket.terminate();
    conns = [];
    await sleep(50);
    return true;
  },
});
