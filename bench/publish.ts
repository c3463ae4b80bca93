/**
 * Part 5: publishing over HTTP (issue 13). A publisher posts one event per request to
 * `POST /api/events/bench` over HTTP keep-alive and 100 WebSocket subscribers receive
 * every event. Ours (the reference server: token check, validation, the events fold,
 * history, fan-out) against a bare baseline (a minimal Node HTTP handler that forwards the
 * same body to the same `ws` clients), rounds interleaved, each side in its own processes.
 */
import { spawnChild, sleep, type Child } from './lib/proc.js';
import { median, round } from './lib/stats.js';

/** The channel the part publishes on, and the token the bench servers take. */
export const BENCH_CHANNEL = 'bench';
export const PUBLISH_TOKEN = 'bench-publish-token';

export type PublishImpl = 'ours' | 'bare';

export interface PublishOptions {
  subscribers: number;
  rounds: number;
  concurrency: number;
  warmMs: number;
  windowMs: number;
  deadline?: number;
  log: (line: string) => void;
}

export interface PublishMeasurement {
  impl: PublishImpl;
  round: number;
  /** Events the publisher got a 200 for, per second. */
  publishedPerSecond: number;
  /** Events every subscriber received, per second (deliveries / subscribers). */
  deliveredEventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuShare: number;
  /** Server CPU per delivered event (all 100 deliveries of it), microseconds: steadier than rates on a shared machine. */
  serverCpuMicrosPerEvent: number;
  /** CPU of the subscribers' process, in cores: the machine is shared, so what they take the servers cannot. */
  clientsCpuShare: number;
  /** Events per WebSocket frame a subscriber received: how much the server batched. */
  eventsPerFrame: number;
  failed: number;
}

interface Summary {
  deliveredEventsPerSecond: number;
  publishedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuShare: number;
  serverCpuMicrosPerEvent: number;
}

export interface PublishResult {
  subscribers: number;
  concurrency: number;
  ours?: Summary;
  bare?: Summary;
  /** ours / bare delivered events/s, per round. */
  ratios: number[];
  medianRatio: number;
  /** ours / bare server CPU per event, per round. */
  cpuRatios: number[];
  medianCpuRatio: number;
  measurements: PublishMeasurement[];
  errors: string[];
}

interface Side {
  impl: PublishImpl;
  server: Child;
  clients: Child;
  publisher: Child;
  httpUrl: string;
}

async function startSide(impl: PublishImpl, opts: PublishOptions): Promise<Side> {
  const server = spawnChild('publish-server-child.ts', ['--impl', impl], { nofile: 8192, nodeFlags: process.env.LMW_PROF && impl === 'ours' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.LMW_PROF}`] : [] });
  const clients = spawnChild('publish-clients.ts', [], { nofile: 8192 });
  const publisher = spawnChild('publish-publisher.ts');
  try {
    const info = await server.call<{ url: string; httpUrl: string }>('start', undefined, 30_000);
    await clients.call('connect', { url: info.url, count: opts.subscribers, topic: `events:${BENCH_CHANNEL}` }, 60_000);
    return { impl, server, clients, publisher, httpUrl: info.httpUrl };
  } catch (error) {
    await Promise.all([server.stop(), clients.stop(), publisher.stop()]);
    throw error;
  }
}

async function stopSide(side: Side) {
  await side.clients.call('disconnect').catch(() => undefined);
  await side.server.call('close').catch(() => undefined);
  await Promise.all([side.server.stop(), side.clients.stop(), side.publisher.stop()]);
}

async function measure(side: Side, roundNo: number, opts: PublishOptions): Promise<PublishMeasurement> {
  const run = side.publisher.call<{ ok: number; failed: number; seconds: number }>(
    'run',
    { httpUrl: side.httpUrl, token: PUBLISH_TOKEN, path: `/api/events/${BENCH_CHANNEL}`, concurrency: opts.concurrency, warmMs: opts.warmMs, windowMs: opts.windowMs },
    opts.warmMs + opts.windowMs + 30_000,
  );
  await sleep(opts.warmMs);
  const s0 = await side.server.call<{ cpuMicros: number }>('stats');
  const c0 = await side.clients.call<{ received: number; frames: number; cpuMicros: number; at: number }>('mark');
  await sleep(opts.windowMs);
  const c1 = await side.clients.call<{ received: number; frames: number; cpuMicros: number; at: number; p50: number; p99: number }>('stats');
  const s1 = await side.server.call<{ cpuMicros: number }>('stats');
  const published = await run;
  await sleep(200); // let the last deliveries land before the next round
  const seconds = (c1.at - c0.at) / 1000;
  return {
    impl: side.impl,
    round: roundNo,
    publishedPerSecond: round(published.ok / published.seconds),
    deliveredEventsPerSecond: round((c1.received - c0.received) / opts.subscribers / seconds),
    p50Ms: round(c1.p50),
    p99Ms: round(c1.p99),
    serverCpuShare: round((s1.cpuMicros - s0.cpuMicros) / 1e6 / seconds),
    serverCpuMicrosPerEvent: round((s1.cpuMicros - s0.cpuMicros) / Math.max(1, (c1.received - c0.received) / opts.subscribers)),
    clientsCpuShare: round((c1.cpuMicros - c0.cpuMicros) / 1e6 / seconds),
    eventsPerFrame: round((c1.received - c0.received) / Math.max(1, c1.frames - c0.frames)),
    failed: published.failed,
  };
}

export async function runPublishPart(opts: PublishOptions): Promise<PublishResult> {
  const errors: string[] = [];
  const measurements: PublishMeasurement[] = [];
  const sides: Side[] = [];
  try {
    for (const impl of ['ours', 'bare'] as const) {
      try {
        sides.push(await startSide(impl, opts));
      } catch (error) {
        errors.push(`${impl}: ${(error as Error).message}`);
        opts.log(`  ${impl}: could not start: ${(error as Error).message}`);
      }
    }
    // One unmeasured round per side first: the JIT tiers up each server's whole publish
    // path (ours has more of it), so round 1 is not a measure of warm-up.
    for (const side of sides) {
      try {
        const m = await measure(side, 0, opts);
        opts.log(`  ${m.impl.padEnd(4)} warm-up: ${Math.round(m.deliveredEventsPerSecond)} events/s delivered (not counted)`);
      } catch (error) {
        errors.push(`${side.impl} warm-up: ${(error as Error).message}`);
      }
    }
    for (let r = 1; r <= opts.rounds; r++) {
      if (opts.deadline !== undefined && performance.now() > opts.deadline) {
        errors.push(`stopped after ${r - 1} rounds (time limit)`);
        break;
      }
      for (const side of r % 2 === 1 ? sides : [...sides].reverse()) {
        try {
          const m = await measure(side, r, opts);
          measurements.push(m);
          opts.log(
            `  ${m.impl.padEnd(4)} r${r}: ${Math.round(m.publishedPerSecond)} events/s published, ${Math.round(m.deliveredEventsPerSecond)} delivered to each of ${opts.subscribers}, ` +
              `publish-to-deliver p50 ${m.p50Ms} ms p99 ${m.p99Ms} ms, server ${Math.round(m.serverCpuShare * 100)} % of a core, ${m.serverCpuMicrosPerEvent} us CPU/event, clients ${Math.round(m.clientsCpuShare * 100)} %, ${m.eventsPerFrame} events/frame${m.failed ? `, ${m.failed} failed` : ''}`,
          );
        } catch (error) {
          errors.push(`${side.impl} r${r}: ${(error as Error).message}`);
        }
      }
    }
  } finally {
    await Promise.all(sides.map(stopSide));
  }
  const summarise = (impl: PublishImpl) => {
    const ms = measurements.filter((m) => m.impl === impl);
    if (ms.length === 0) return undefined;
    const med = (pick: (m: PublishMeasurement) => number) => round(median(ms.map(pick)));
    return {
      deliveredEventsPerSecond: med((m) => m.deliveredEventsPerSecond),
      publishedPerSecond: med((m) => m.publishedPerSecond),
      p50Ms: med((m) => m.p50Ms),
      p99Ms: med((m) => m.p99Ms),
      serverCpuShare: med((m) => m.serverCpuShare),
      serverCpuMicrosPerEvent: med((m) => m.serverCpuMicrosPerEvent),
    };
  };
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let r = 1; r <= opts.rounds; r++) {
    const o = measurements.find((m) => m.impl === 'ours' && m.round === r);
    const b = measurements.find((m) => m.impl === 'bare' && m.round === r);
    if (o && b && b.deliveredEventsPerSecond > 0) ratios.push(round(o.deliveredEventsPerSecond / b.deliveredEventsPerSecond));
    if (o && b && b.serverCpuMicrosPerEvent > 0) cpuRatios.push(round(o.serverCpuMicrosPerEvent / b.serverCpuMicrosPerEvent));
  }
  return {
    subscribers: opts.subscribers,
    concurrency: opts.concurrency,
    ...(summarise('ours') ? { ours: summarise('ours') } : {}),
    ...(summarise('bare') ? { bare: summarise('bare') } : {}),
    ratios,
    medianRatio: round(median(ratios)),
    cpuRatios,
    medianCpuRatio: round(median(cpuRatios)),
    measurements,
    errors,
  };
}
