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
import { availableParallelism } from 'node:os';
import { NodeProcess } from '../test/support/node/node-process.js';
import { RedisServer } from '../test/support/node/redis-server.js';
import { sleep, spawnChild, type Child } from './lib/proc.js';

export type ClusterSetup = 'redis-2' | 'memory-1' | 'socketio-2';

export interface ClusterOptions {
  clients: number;
  /** Clients of the latency run (issue 14's p99 target: 1,000 updates/s to 1,000 clients through Redis); 0 skips it. */
  latencyClients: number;
  symbols: number;
  /** Updates per second each client should get (all its topics together), tried in turn until one is not held. */
  rates: readonly number[];
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
  /** Share of one core the client processes used together (they share the machine with the nodes). */
  clientsCpuShare: number;
  /** Updates per WebSocket frame a client received (ours only): how much a node batched. */
  updatesPerFrame: number;
  gaps: number;
  closed: number;
  publishErrors: number;
}

export interface ClusterResult {
  /** Every setup at every rate it was tried at. */
  runs: ClusterRun[];
  /** The most deliveries/s each setup held (Socket.IO: its best, held or not). */
  capacity: Record<ClusterSetup, number>;
  /** redis-2 capacity over memory-1 capacity. */
  deliveriesRatio: number;
  /** redis-2 over socketio-2: capacity, and node CPU per delivery at the first rate. */
  socketIoDeliveriesRatio: number;
  socketIoCpuRatio: number;
  /** redis-2 again with `latencyClients` clients at 1,000 updates/s each: the p99 target's run. */
  latencyRun?: ClusterRun;
  /** The latency runs, redis-2 and memory-1, at every rate tried (250, 500, 1,000 updates/s per client). */
  latencyRuns: ClusterRun[];
  errors: string[];
}

const TOKEN = 'bench-cluster';
const MAX_POSTS_IN_FLIGHT = 8;
/** Issue 14's latency target: 1,000 updates/s to each client. */
const LATENCY_RATE = 1000;
const LATENCY_RATES = [250, 500, LATENCY_RATE];
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

/** The clients, split over one process per core (bench/cluster-clients.ts). */
class Swarm {
  private constructor(private readonly children: Child[]) {}

  static async connect(kind: 'ws' | 'io', urls: string[], count: number, topics: string[]): Promise<Swarm> {
    const procs = Math.max(1, Math.min(availableParallelism(), 4));
    const children = Array.from({ length: procs }, () => spawnChild('cluster-clients.ts', [], { nofile: 8192 }));
    const swarm = new Swarm(children);
    try {
      let offset = 0;
      await Promise.all(
        children.map((child, k) => {
          const share = Math.floor(count / procs) + (k < count % procs ? 1 : 0);
          const call = child.call('connect', { kind, urls, count: share, offset, topics }, 120_000);
          offset += share;
          return call;
        }),
      );
    } catch (error) {
      await swarm.close();
      throw error;
    }
    return swarm;
  }

  private async sum(method: 'mark' | 'stats'): Promise<SwarmCounts> {
    const parts = await Promise.all(this.children.map((c) => c.call<SwarmCounts & { latencies?: number[] }>(method)));
    return {
      deliveries: parts.reduce((n, p) => n + p.deliveries, 0),
      frames: parts.reduce((n, p) => n + (p.frames ?? 0), 0),
      cpuMicros: parts.reduce((n, p) => n + (p.cpuMicros ?? 0), 0),
      gaps: parts.reduce((n, p) => n + p.gaps, 0),
      closed: parts.reduce((n, p) => n + p.closed, 0),
      latencies: parts.flatMap((p) => p.latencies ?? []),
    };
  }

  /** Counts so far; latencies are sampled from here on. */
  mark(): Promise<SwarmCounts> {
    return this.sum('mark');
  }

  /** Counts so far and the latencies sampled since the mark. */
  stats(): Promise<SwarmCounts> {
    return this.sum('stats');
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((c) => c.call('disconnect').catch(() => undefined)));
    await Promise.all(this.children.map((c) => c.stop()));
  }
}

interface SwarmCounts {
  deliveries: number;
  /** WebSocket frames of our protocol (one may carry several updates); Socket.IO clients count none. */
  frames: number;
  /** CPU of the client processes (stats only). */
  cpuMicros: number;
  gaps: number;
  closed: number;
  latencies: number[];
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

/**
 * One setup's nodes and clients, measured at each rate in turn until one is not held
 * (the clients kept up with the publisher and, for ours, saw no gap and no close).
 */
async function runSetup(setup: ClusterSetup, redis: RedisServer, o: ClusterOptions, rates: readonly number[]): Promise<ClusterRun[]> {
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
      ? await Swarm.connect(
          'io',
          nodes.map((n) => n.httpUrl),
          o.clients,
          topics,
        )
      : await Swarm.connect(
          'ws',
          nodes.map((n) => n.url),
          o.clients,
          topics,
        );
    const runs: ClusterRun[] = [];
    try {
      for (const rate of rates) {
        const run = await measureRate(setup, nodes, redis, swarm, publish, o, rate);
        runs.push(run);
        if (!held(run)) break;
      }
    } finally {
      await swarm.close();
    }
    return runs;
  } finally {
    await Promise.all(nodes.map((n) => n.kill()));
  }
}

/** A rate is held when the clients got at least 95 % of it, and (ours) every seq once and in order, with no socket closed. */
export function held(run: ClusterRun): boolean {
  const wanted = run.targetUpdatesPerSecond * run.clients;
  return run.deliveriesPerSecond >= 0.95 * wanted && run.closed === 0 && (run.setup === 'socketio-2' || run.gaps === 0);
}

/** The publisher at `o.rate` for a warm-up and a window, then the window's figures. */
async function measureRate(
  setup: ClusterSetup,
  nodes: NodeProcess[],
  redis: RedisServer,
  swarm: Swarm,
  publish: (node: NodeProcess) => Promise<boolean>,
  o: ClusterOptions,
  rate: number,
): Promise<ClusterRun> {
  // One POST per tick carries one trade per symbol: rate / symbols POSTs per second.
  const postsPerSecond = rate / o.symbols;
  let posts = 0;
  let errors = 0;
  let running = true;
  const started = performance.now();
  // On schedule, not one after the other: a slow answer must not lower the rate, so up to
  // MAX_POSTS_IN_FLIGHT are out at once.
  const inFlight = new Set<Promise<void>>();
  const publisher = (async () => {
    while (running) {
      const due = started + (posts * 1000) / postsPerSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight.size >= MAX_POSTS_IN_FLIGHT) await Promise.race(inFlight);
      const node = nodes[posts % nodes.length]!;
      posts++;
      const one: Promise<void> = publish(node).then((ok) => {
        if (!ok) errors++;
        inFlight.delete(one);
      });
      inFlight.add(one);
    }
    await Promise.all(inFlight);
  })();
  await sleep(o.warmMs);
  const pids = nodes.map((n) => n.child.pid!);
  const redisPid = setup !== 'memory-1' ? redis.pid : undefined;
  const cpu0 = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const redis0 = redisPid ? cpuSeconds(redisPid) : 0;
  const posts0 = posts;
  const before = await swarm.mark();
  const t0 = performance.now();
  await sleep(o.windowMs);
  const after = await swarm.stats();
  const seconds = (performance.now() - t0) / 1000;
  const deliveries = after.deliveries - before.deliveries;
  const cpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpu0;
  const redisCpu = redisPid ? cpuSeconds(redisPid) - redis0 : 0;
  const publishedPosts = posts - posts0;
  running = false;
  await publisher;
  await sleep(1000); // what is still queued lands before the next rate
  const latencies = after.latencies.sort((a, b) => a - b);
  const frames = after.frames - before.frames;
  return {
    setup,
    nodes: nodes.length,
    clients: o.clients,
    targetUpdatesPerSecond: rate,
    publishedPerSecond: Math.round((publishedPosts * o.symbols) / seconds),
    deliveriesPerSecond: Math.round(deliveries / seconds),
    serverCpuMicrosPerDelivery: deliveries > 0 ? Number(((cpu * 1e6) / deliveries).toFixed(3)) : Number.NaN,
    serverCpuShare: Number((cpu / seconds).toFixed(3)),
    ...(redisPid ? { redisCpuShare: Number((redisCpu / seconds).toFixed(3)) } : {}),
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP99Ms: percentile(latencies, 0.99),
    clientsCpuShare: Number(((after.cpuMicros - before.cpuMicros) / 1e6 / seconds).toFixed(3)),
    updatesPerFrame: frames > 0 ? Number((deliveries / frames).toFixed(2)) : Number.NaN,
    gaps: after.gaps - before.gaps,
    closed: after.closed - before.closed,
    publishErrors: errors,
  };
}

export async function runClusterPart(o: ClusterOptions): Promise<ClusterResult> {
  const errors: string[] = [];
  const runs: ClusterRun[] = [];
  let latencyRun: ClusterRun | undefined;
  let latencyRuns: ClusterRun[] = [];
  let redis: RedisServer;
  try {
    redis = await RedisServer.start();
  } catch (error) {
    return { runs, latencyRuns: [], capacity: { 'redis-2': Number.NaN, 'memory-1': Number.NaN, 'socketio-2': Number.NaN }, deliveriesRatio: Number.NaN, socketIoDeliveriesRatio: Number.NaN, socketIoCpuRatio: Number.NaN, errors: [error instanceof Error ? error.message : String(error)] };
  }
  const line = (run: ClusterRun, label: string) =>
    o.log(
      `cluster ${label} at ${run.targetUpdatesPerSecond}/s: ${run.deliveriesPerSecond} deliveries/s to ${run.clients} clients (${run.publishedPerSecond} updates/s published)${held(run) ? '' : ' NOT HELD'}, ` +
        `${run.serverCpuMicrosPerDelivery} µs node CPU per delivery, nodes ${Math.round(run.serverCpuShare * 100)}%${run.redisCpuShare !== undefined ? `, redis ${Math.round(run.redisCpuShare * 100)}%` : ''}, ` +
        `clients ${Math.round(run.clientsCpuShare * 100)}% of a core, latency p50 ${run.latencyP50Ms} ms p99 ${run.latencyP99Ms} ms, ${run.updatesPerFrame} updates/frame, ${run.gaps} gaps, ${run.closed} closed`,
    );
  try {
    for (const setup of ['redis-2', 'memory-1', 'socketio-2'] as const) {
      try {
        for (const run of await runSetup(setup, redis, o, o.rates)) {
          line(run, setup);
          runs.push(run);
        }
      } catch (error) {
        errors.push(`${setup}: ${error instanceof Error ? error.message : String(error)}`);
      }
      await (await redis.client()).flushall();
    }
    if (o.latencyClients > 0) {
      try {
        // Stepped up to the target's rate, so the figures say where the latency goes up on this
        // machine; one node in memory beside it tells what Redis adds from what the machine costs.
        for (const setup of ['redis-2', 'memory-1'] as const) {
          for (const run of await runSetup(setup, redis, { ...o, clients: o.latencyClients }, LATENCY_RATES)) {
            line(run, `${setup} latency run`);
            latencyRuns.push(run);
          }
          await (await redis.client()).flushall();
        }
        latencyRun = latencyRuns.find((run) => run.setup === 'redis-2' && run.targetUpdatesPerSecond === LATENCY_RATE);
      } catch (error) {
        errors.push(`latency run: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    await redis.stop();
  }
  // Capacity: the most deliveries/s a setup held (ours: gapless, nothing closed); Socket.IO
  // is given its best figure, held or not (its two nodes reorder across the adapter).
  const capacity = (setup: ClusterSetup) => {
    const mine = runs.filter((r) => r.setup === setup && (setup === 'socketio-2' || held(r)));
    return mine.length ? Math.max(...mine.map((r) => r.deliveriesPerSecond)) : undefined;
  };
  // CPU per delivery compared at the first rate, the same load for all.
  const atFirst = (setup: ClusterSetup) => runs.find((r) => r.setup === setup && r.targetUpdatesPerSecond === o.rates[0]);
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? Number((a / b).toFixed(3)) : Number.NaN);
  return {
    runs,
    capacity: { 'redis-2': capacity('redis-2') ?? Number.NaN, 'memory-1': capacity('memory-1') ?? Number.NaN, 'socketio-2': capacity('socketio-2') ?? Number.NaN },
    deliveriesRatio: ratio(capacity('redis-2'), capacity('memory-1')),
    socketIoDeliveriesRatio: ratio(capacity('redis-2'), capacity('socketio-2')),
    socketIoCpuRatio: ratio(atFirst('redis-2')?.serverCpuMicrosPerDelivery, atFirst('socketio-2')?.serverCpuMicrosPerDelivery),
    ...(latencyRun ? { latencyRun } : {}),
    latencyRuns,
    errors,
  };
}
