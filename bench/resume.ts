/**
 * Part 7 (issue 12): what a resume costs on the wire. A client that holds
 * `candles:<SYMBOL>:1m` goes away for `awayMs` (60 s by default) while the simulator trades
 * at the default rate, then comes back with `since`: with `compact` in its hello it gets a
 * compacted replay (the bars that changed); the baseline, a client of the same run without
 * `compact`, gets what an exact-history server gives (the missed updates, or a snapshot).
 * Bytes are the JSON text of the topic's messages after `subscribed`.
 *
 * Then a dashboard of 60 topics (ten symbols) on a server with the default limits: connects
 * a client needs to hold all 60 on a fresh connect and on a resume (1 each when replies are
 * flow-controlled; a 4408 means a retry), and snapshot encodings per distinct (topic, seq)
 * when five clients subscribe to the 60 at once (1 when they are encoded once).
 */
import WebSocket from 'ws';
import { sleep, spawnChild } from './lib/proc.js';

export interface ResumeOptions {
  awayMs: number;
  log: (line: string) => void;
}

export interface ResumeAnswer {
  recovered: boolean;
  compacted: boolean;
  messages: number;
  bytes: number;
}

export interface DashboardResult {
  topics: number;
  /** Connects needed to hold every topic: fresh, then resuming after a drop. */
  freshConnects: number;
  resumeConnects: number;
  slowConsumerCloses: number;
  /** Snapshot encodings over distinct (topic, seq) snapshots five simultaneous clients got. */
  encodes: number;
  distinctSnapshots: number;
  encodesPerSnapshot: number;
}

export interface ResumeResult {
  topic: string;
  awaySeconds: number;
  snapshotBytes: number;
  missedUpdates: number;
  compact: ResumeAnswer;
  plain: ResumeAnswer;
  /** Compacted resume bytes / snapshot bytes. */
  ratio: number;
  dashboard?: DashboardResult;
  errors: string[];
}

const DASHBOARD_SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'EURUSD', 'USDJPY', 'GOOG', 'AMZN', 'NVDA'];
const DASHBOARD = DASHBOARD_SYMBOLS.flatMap((s) => ['1s', '5s', '1m', '5m', '15m', '1h'].map((i) => `candles:${s}:${i}`));

interface Held {
  epoch: string;
  seq: number;
}

/**
 * One connection that subscribes to every dashboard topic (with `since` when held) and reads
 * until each has its snapshot or its replay's last update. Resolves with the positions, the
 * snapshots seen, and whether the server cut it (code) first.
 */
function holdAll(url: string, held: Map<string, Held>): Promise<{ held: Map<string, Held>; snapshots: string[]; closed?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const pending = new Map<string, number | 'snapshot'>();
    const now = new Map(held);
    const snapshots: string[] = [];
    const done = () => {
      socket.terminate();
      resolve({ held: now, snapshots });
    };
    socket.once('open', () => socket.send(JSON.stringify({ op: 'hello', v: 1, caps: ['compact'] })));
    socket.once('close', (code) => resolve({ held: now, snapshots, closed: code }));
    socket.on('error', () => undefined);
    socket.on('message', (raw) => {
      const parsed = JSON.parse(raw.toString());
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m.op === 'welcome') {
          DASHBOARD.forEach((topic, i) => {
            const since = held.get(topic);
            socket.send(JSON.stringify({ op: 'sub', id: i + 1, topic, ...(since ? { since } : {}) }));
          });
        } else if (m.op === 'subscribed') {
          pending.set(m.topic, m.recovered ? m.seq : 'snapshot');
          if (m.recovered && m.seq === held.get(m.topic)?.seq) pending.delete(m.topic);
          now.set(m.topic, { epoch: m.epoch, seq: m.seq });
        } else if (m.op === 'snapshot' && pending.get(m.topic) === 'snapshot') {
          snapshots.push(`${m.topic}@${m.seq}`);
          pending.delete(m.topic);
        } else if (m.op === 'update' && pending.get(m.topic) === m.seq) pending.delete(m.topic);
        if (now.size === DASHBOARD.length && pending.size === 0) return done();
      }
    });
  });
}

async function metricOf(httpUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** Connects until every topic is held; returns the positions and the connects it took (at most 5). */
async function connectsToHold(url: string, held: Map<string, Held>): Promise<{ held: Map<string, Held>; connects: number }> {
  let connects = 0;
  let now = held;
  while (connects < 5) {
    connects++;
    const got = await holdAll(url, now);
    now = got.held;
    if (got.closed === undefined) return { held: now, connects };
  }
  return { held: now, connects };
}

async function runDashboard(errors: string[]): Promise<DashboardResult | undefined> {
  const server = spawnChild('memory-server-child.ts', [], {});
  try {
    const { url, httpUrl } = (await server.call('start', { symbols: DASHBOARD_SYMBOLS, options: { rate: 30 } }, 120_000)) as { url: string; httpUrl: string };
    const fresh = await connectsToHold(url, new Map());
    await sleep(3_000); // away: updates pile up for the resume
    const resumed = await connectsToHold(url, fresh.held);
    const encodesBefore = await metricOf(httpUrl, 'lmw_snapshot_encodes_total');
    const five = await Promise.all(Array.from({ length: 5 }, () => holdAll(url, new Map())));
    const encodes = (await metricOf(httpUrl, 'lmw_snapshot_encodes_total')) - encodesBefore;
    const distinct = new Set(five.flatMap((x) => x.snapshots)).size;
    if (five.some((x) => x.closed !== undefined)) errors.push('a dashboard client was closed while subscribing');
    return {
      topics: DASHBOARD.length,
      freshConnects: fresh.connects,
      resumeConnects: resumed.connects,
      slowConsumerCloses: await metricOf(httpUrl, 'lmw_closes_total{code="4408"}'),
      encodes,
      distinctSnapshots: distinct,
      encodesPerSnapshot: distinct === 0 ? Number.NaN : encodes / distinct,
    };
  } catch (error) {
    errors.push(`dashboard: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  } finally {
    await server.stop();
  }
}

const SYMBOL = 'BTC-USD';
const TOPIC = `candles:${SYMBOL}:1m`;

/** One connection: hello (with caps), then the frames of one sub, read until `until` says done. */
async function exchange(url: string, caps: string[] | undefined, sub: Record<string, unknown>, until: (m: any, state: { seq?: number }) => boolean) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const messages: Array<{ m: any; bytes: number }> = [];
  const state: { seq?: number } = {};
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ op: 'hello', v: 1, ...(caps ? { caps } : {}) })));
    socket.on('message', (raw) => {
      const parsed = JSON.parse(raw.toString());
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m.op === 'welcome') socket.send(JSON.stringify({ op: 'sub', id: 1, topic: TOPIC, ...sub }));
        else if (m.topic === TOPIC) {
          messages.push({ m, bytes: Buffer.byteLength(JSON.stringify(m)) });
          if (until(m, state)) resolve();
        }
      }
    });
    socket.once('error', reject);
    setTimeout(() => reject(new Error('resume bench: no answer in 10 s')), 10_000).unref();
  });
  socket.terminate();
  return messages;
}

const untilSnapshotOrLast = (m: any, state: { seq?: number }) => {
  if (m.op === 'subscribed') {
    state.seq = m.seq;
    return false;
  }
  return m.op === 'snapshot' || (m.op === 'update' && m.seq === state.seq);
};

export async function runResumePart(opts: ResumeOptions): Promise<ResumeResult> {
  const errors: string[] = [];
  const server = spawnChild('memory-server-child.ts', [], {});
  try {
    const { url } = (await server.call('start', { symbols: [SYMBOL] }, 60_000)) as { url: string };
    const first = await exchange(url, ['compact'], {}, (m) => m.op === 'snapshot');
    const snapshot = first.find((x) => x.m.op === 'snapshot')!;
    const since = { epoch: snapshot.m.epoch, seq: snapshot.m.seq };
    opts.log(`resume: holding ${TOPIC} at seq ${since.seq}; away for ${Math.round(opts.awayMs / 1000)} s`);
    await sleep(opts.awayMs);
    const answer = async (caps: string[] | undefined): Promise<ResumeAnswer & { seq: number }> => {
      const got = await exchange(url, caps, { since }, untilSnapshotOrLast);
      const subscribed = got.find((x) => x.m.op === 'subscribed')!.m;
      if (subscribed.recovered && got.at(-1)!.m.seq !== subscribed.seq) errors.push(`${caps ? 'compact' : 'plain'} replay did not end at subscribed.seq`);
      const rest = got.filter((x) => x.m.op !== 'subscribed');
      return { recovered: subscribed.recovered, compacted: subscribed.compacted === true, messages: rest.length, bytes: rest.reduce((n, x) => n + x.bytes, 0), seq: subscribed.seq };
    };
    const compact = await answer(['compact']);
    const plain = await answer(undefined);
    opts.log('resume: a 60-topic dashboard on a server with the default limits');
    const dashboard = await runDashboard(errors);
    return {
      topic: TOPIC,
      awaySeconds: Math.round(opts.awayMs / 1000),
      snapshotBytes: snapshot.bytes,
      missedUpdates: compact.seq - since.seq,
      compact,
      plain,
      ratio: compact.bytes / snapshot.bytes,
      dashboard,
      errors,
    };
  } finally {
    await server.stop();
  }
}
