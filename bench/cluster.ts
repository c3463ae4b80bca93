/**
 * Part 8 (issue 14): several nodes on Redis. The same clients and the same publisher
 * against two server nodes on one Redis (clients split between them, trades posted to both)
 * and against one node in memory: deliveries/s counted by the clients, server CPU per
 * delivery (the nodes' processes, and Redis' own CPU beside it), publish-to-deliver latency
 * (a client's clock minus the update's `time`, the node's clock when it published; one
 * machine, one clock) and gaps (any seq that does not follow the last by one).
 *
 * Each node is a child process (`server/cli.ts`); the clients and the publisher run in the
 * bench process. Every POST carries one trade per symbol, so each client gets one update of
 * each symbol's 1s topic per POST. The baseline, `socketio-2`, is two Socket.IO nodes with
 * `@socket.io/redis-streams-adapter` on the same Redis (bench/socketio-node.ts): the same
 * clients (socket.io-client, WebSocket only) in one room, and per POST the same messages (an
 * update of each symbol, with its seq) emitted to the room.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { io as ioClient, type Socket as IoSocket } from 'socket.io-client';
import { NodeProcess } from '../test/support/node/node-process.js';
import { RedisServer } from '../test/support/node/redis-server.js';
import { sleep } from './lib/proc.js';

export type ClusterSetup = 'redis-2' | 'memory-1' | 'socketio-2';

export interface ClusterOptions {
  clients: number;
  symbols: number;
  /** Updates per second each client should get (all its topics together). */
  rate: number;
  warmMs: number;
  windowMs: number;
  log: (line: string) => void;
}

export interface ClusterRun {
  setup: ClusterSetup;
  nodes: number;
  clients: number;
  targetUpdatesPerSecond: number;
  /** Updates published per second in the window (per topic set, as one client should get them). */
  publishedPerSecond: number;
  deliveriesPerSecond: number;
  /** Node processes' CPU (user + system) per delivery. */
  serverCpuMicrosPerDelivery: number;
  /** Share of one core the node processes used together. */
  serverCpuShare: number;
  /** Share of one core redis-server used (redis-2 only). */
  redisCpuShare?: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  gaps: number;
  closed: number;
  publishErrors: number;
}

export interface ClusterResult {
  runs: ClusterRun[];
  /** redis-2 deliveries/s over memory-1 deliveries/s. */
  deliveriesRatio: number;
  /** redis-2 over socketio-2: deliveries/s, and node CPU per delivery. */
  socketIoDeliveriesRatio: number;
  socketIoCpuRatio: number;
  errors: string[];
}

const TOKEN = 'bench-cluster';
const TICKS = 100; // CPU clock ticks per second (Linux USER_HZ)

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

interface Swarm {
  deliveries: number;
  gaps: number;
  closed: number;
  latencies: number[];
  sockets: Array<{ terminate(): void }>;
}

/** Socket.IO clients (WebSocket transport), spread over the nodes, each in the nodes' one room. */
async function connectIoClients(urls: string[], count: number): Promise<Swarm> {
  const swarm: Swarm = { deliveries: 0, gaps: 0, closed: 0, latencies: [], sockets: [] };
  let sample = 0;
  const ready: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const socket: IoSocket = ioClient(urls[i % urls.length]!, { transports: ['websocket'], reconnection: false, perMessageDeflate: false } as never);
    swarm.sockets.push({ terminate: () => socket.disconnect() });
    const last = new Map<string, number>();
    socket.on('disconnect', () => swarm.closed++);
    socket.on('update', (m: { topic: string; seq: number; time: number }) => {
      swarm.deliveries++;
      const before = last.get(m.topic);
      if (before !== undefined && m.seq !== before + 1) swarm.gaps++;
      last.set(m.topic, m.seq);
      if ((sample++ & 15) === 0) swarm.latencies.push(Date.now() - m.time);
    });
    ready.push(new Promise((resolve, reject) => {
      socket.once('ready', () => resolve());
      socket.once('connect_error', reject);
    }));
  }
  await Promise.all(ready);
  return swarm;
}

async function connectClients(urls: string[], count: number, topics: string[]): Promise<Swarm> {
  const swarm: Swarm = { deliveries: 0, gaps: 0, closed: 0, latencies: [], sockets: [] };
  let sample = 0;
  const opens: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const socket = new WebSocket(urls[i % urls.length]!, { perMessageDeflate: false });
    swarm.sockets.push(socket);
    const last = new Map<string, number>();
    let subscribed = 0;
    opens.push(
      new Promise<void>((resolve, reject) => {
        socket.once('open', () => socket.send(JSON.stringify({ op: 'hello', v: 1 })));
        socket.once('error', reject);
        socket.on('close', () => swarm.closed++);
        socket.on('message', (raw) => {
          const parsed = JSON.parse(raw.toString());
          for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
            if (m.op === 'update') {
              swarm.deliveries++;
              const before = last.get(m.topic);
              if (before !== undefined && m.seq !== before + 1) swarm.gaps++;
              last.set(m.topic, m.seq);
              if ((sample++ & 15) === 0) swarm.latencies.push(Date.now() - m.time);
            } else if (m.op === 'snapshot') last.set(m.topic, m.seq);
            else if (m.op === 'welcome') topics.forEach((topic, id) => socket.send(JSON.stringify({ op: 'sub', id, topic })));
            else if (m.op === 'subscribed' && ++subscribed === topics.length) resolve();
          }
        });
      }),
    );
  }
  await Promise.all(opens);
  return swarm;
}

async function post(url: string, body: unknown, path = '/api/trades'): Promise<boolean> {
  try {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
    await response.text();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function runSetup(setup: ClusterSetup, redis: RedisServer, o: ClusterOptions): Promise<ClusterRun> {
  const nodeCount = setup === 'memory-1' ? 1 : 2;
  const socketIo = setup === 'socketio-2';
  const args = ['--publish-token', TOKEN, '--publish-rate', '0', '--feed', 'none', ...(setup === 'redis-2' ? ['--redis', redis.url] : [])];
  const nodes = await Promise.all(
    Array.from({ length: nodeCount }, () => (socketIo ? NodeProcess.start(['0', redis.url], 'bench/socketio-node.ts') : NodeProcess.start(args))),
  );
  try {
    const symbols = Array.from({ length: o.symbols }, (_, i) => `CL${i}`);
    const topics = symbols.map((s) => `candles:${s}:1s`);
    let time = Date.now();
    const trades = () => {
      time += 1;
      return symbols.map((symbol, i) => ({ symbol, price: 100 + ((time + i) % 17) * 0.5, size: 1, time }));
    };
    // Socket.IO gets the messages our nodes would send for those trades: an update per symbol, seqs +1.
    let ioSeq = 0;
    const ioMessages = () => {
      ioSeq++;
      return trades().map((t, i) => ({
        op: 'update',
        topic: topics[i],
        seq: ioSeq,
        data: { time: Math.floor(t.time / 1000), open: t.price, high: t.price, low: t.price, close: t.price, volume: ioSeq, trades: ioSeq },
      }));
    };
    const publish = (node: NodeProcess) => (socketIo ? post(node.httpUrl, ioMessages(), '/publish') : post(node.httpUrl, trades()));
    if (!socketIo) for (const node of nodes) if (!(await publish(node))) throw new Error(`${setup}: seeding trades failed`);
    const swarm = socketIo
      ? await connectIoClients(
          nodes.map((n) => n.httpUrl),
          o.clients,
        )
      : await connectClients(
          nodes.map((n) => n.url),
          o.clients,
          topics,
        );
    // One POST per tick carries one trade per symbol: rate / symbols POSTs per second.
    const postsPerSecond = o.rate / o.symbols;
    let posts = 0;
    let errors = 0;
    let running = true;
    const started = performance.now();
    const publisher = (async () => {
      while (running) {
        const due = started + (posts * 1000) / postsPerSecond;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const node = nodes[posts % nodes.length]!;
        posts++;
        if (!(await publish(node))) errors++;
      }
    })();
    await sleep(o.warmMs);
    const pids = nodes.map((n) => n.child.pid!);
    const redisPid = setup !== 'memory-1' ? redis.pid : undefined;
    const cpu0 = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const redis0 = redisPid ? cpuSeconds(redisPid) : 0;
    const deliveries0 = swarm.deliveries;
    const posts0 = posts;
    swarm.latencies.length = 0;
    const t0 = performance.now();
    await sleep(o.windowMs);
    const seconds = (performance.now() - t0) / 1000;
    const deliveries = swarm.deliveries - deliveries0;
    const cpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpu0;
    const redisCpu = redisPid ? cpuSeconds(redisPid) - redis0 : 0;
    const publishedPosts = posts - posts0;
    running = false;
    await publisher;
    const latencies = [...swarm.latencies].sort((a, b) => a - b);
    for (const socket of swarm.sockets) socket.terminate();
    return {
      setup,
      nodes: nodeCount,
      clients: o.clients,
      targetUpdatesPerSecond: o.rate,
      publishedPerSecond: Math.round((publishedPosts * o.symbols) / seconds),
      deliveriesPerSecond: Math.round(deliveries / seconds),
      serverCpuMicrosPerDelivery: deliveries > 0 ? Number(((cpu * 1e6) / deliveries).toFixed(3)) : Number.NaN,
      serverCpuShare: Number((cpu / seconds).toFixed(3)),
      ...(redisPid ? { redisCpuShare: Number((redisCpu / seconds).toFixed(3)) } : {}),
      latencyP50Ms: percentile(latencies, 0.5),
      latencyP99Ms: percentile(latencies, 0.99),
      gaps: swarm.gaps,
      closed: swarm.closed,
      publishErrors: errors,
    };
  } finally {
    await Promise.all(nodes.map((n) => n.kill()));
  }
}

export async function runClusterPart(o: ClusterOptions): Promise<ClusterResult> {
  const errors: string[] = [];
  const runs: ClusterRun[] = [];
  let redis: RedisServer;
  try {
    redis = await RedisServer.start();
  } catch (error) {
    return { runs, deliveriesRatio: Number.NaN, socketIoDeliveriesRatio: Number.NaN, socketIoCpuRatio: Number.NaN, errors: [error instanceof Error ? error.message : String(error)] };
  }
  try {
    for (const setup of ['redis-2', 'memory-1', 'socketio-2'] as const) {
      try {
        const run = await runSetup(setup, redis, o);
        o.log(
          `cluster ${setup}: ${run.deliveriesPerSecond} deliveries/s to ${run.clients} clients (${run.publishedPerSecond} updates/s published), ` +
            `${run.serverCpuMicrosPerDelivery} µs node CPU per delivery${run.redisCpuShare !== undefined ? `, redis ${Math.round(run.redisCpuShare * 100)}% of a core` : ''}, ` +
            `latency p50 ${run.latencyP50Ms} ms p99 ${run.latencyP99Ms} ms, ${run.gaps} gaps`,
        );
        runs.push(run);
      } catch (error) {
        errors.push(`${setup}: ${error instanceof Error ? error.message : String(error)}`);
      }
      await (await redis.client()).flushall();
    }
  } finally {
    await redis.stop();
  }
  const onRedis = runs.find((r) => r.setup === 'redis-2');
  const inMemory = runs.find((r) => r.setup === 'memory-1');
  const socketIo = runs.find((r) => r.setup === 'socketio-2');
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? Number((a / b).toFixed(3)) : Number.NaN);
  return {
    runs,
    deliveriesRatio: ratio(onRedis?.deliveriesPerSecond, inMemory?.deliveriesPerSecond),
    socketIoDeliveriesRatio: ratio(onRedis?.deliveriesPerSecond, socketIo?.deliveriesPerSecond),
    socketIoCpuRatio: ratio(onRedis?.serverCpuMicrosPerDelivery, socketIo?.serverCpuMicrosPerDelivery),
    errors,
  };
}
