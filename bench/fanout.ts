/**
 * Part 2: server fan-out. Each server (ours, the bare `ws` baseline) runs in its own
 * process with a swarm of clients in another; all clients follow one topic and the
 * server publishes as fast as the credit window lets it. Rounds interleave the two
 * servers; deliveries/s are counted by the clients, CPU by the server process itself.
 */
import { spawnChild, sleep, type Child } from './lib/proc.js';
import { median, round } from './lib/stats.js';

export type Impl = 'ours' | 'bare' | 'deflate';

export interface FanoutOptions {
  clientCounts: number[];
  rounds: number;
  warmMs: number;
  windowMs: number;
  /** Trades the server may run ahead of the slowest client. */
  creditWindow: number;
  impls: Impl[];
  /** Extra options for our server (e.g. connection limits raised for the bench). */
  oursOptions?: Record<string, unknown>;
  /** Also measure the baseline with permessage-deflate at these client counts (not a target). */
  deflateAt?: number[];
  /** performance.now() past which no new round starts (the bench's overall time limit). */
  deadline?: number;
  log: (line: string) => void;
}

export interface FanoutMeasurement {
  impl: Impl;
  clients: number;
  round: number;
  deliveriesPerSecond: number;
  framesPerSecond: number;
  serverCpuMicrosPerDelivery: number;
  serverCpuShare: number;
  clientCpuShare: number;
  /** Share of the window the server waited for the slowest client (credit window full). */
  waitingShare: number;
  closed: number;
}

export interface FanoutResult {
  byClients: Record<
    string,
    {
      ours?: { deliveriesPerSecond: number; framesPerSecond: number; serverCpuMicrosPerDelivery: number; serverCpuShare: number };
      deflate?: { deliveriesPerSecond: number; framesPerSecond: number; serverCpuMicrosPerDelivery: number; serverCpuShare: number };
      /** permessage-deflate / bare per round (deliveries/s). */
      deflateRatios?: number[];
      bare: { deliveriesPerSecond: number; framesPerSecond: number; serverCpuMicrosPerDelivery: number; serverCpuShare: number };
      deliveriesRatios: number[];
      cpuRatios: number[];
      medianDeliveriesRatio: number;
      medianCpuRatio: number;
    }
  >;
  measurements: FanoutMeasurement[];
  /** One update frame from each server, and whether they match once numbers and ids are blanked. */
  wireCheck?: { ours?: string; bare?: string; sameShape: boolean | null };
  errors: string[];
}

export const FANOUT_TOPIC_SYMBOL = 'BENCH';

interface Pair {
  impl: Impl;
  server: Child;
  clients: Child;
}

async function startPair(impl: Impl, count: number, opts: FanoutOptions): Promise<Pair> {
  const server = spawnChild('server-child.ts', ['--impl', impl], { nofile: 65_536 });
  const clients = spawnChild('fanout-clients.ts', [], { nofile: 65_536 });
  try {
    const info = (await server.call('start', { symbol: FANOUT_TOPIC_SYMBOL, options: opts.oursOptions }, 30_000)) as { url: string; baseMs: number };
    clients.onEvent((event) => {
      if (typeof event.ack === 'number' && server.process.connected) server.process.send({ ack: event.ack });
    });
    await clients.call('connect', { url: info.url, count, topic: `candles:${FANOUT_TOPIC_SYMBOL}:1m`, baseMs: info.baseMs, deflate: impl === 'deflate' }, 120_000);
    return { impl, server, clients };
  } catch (error) {
    await Promise.all([server.stop(), clients.stop()]);
    throw error;
  }
}

async function stopPair(pair: Pair) {
  await pair.clients.call('disconnect').catch(() => undefined);
  await pair.server.call('close').catch(() => undefined);
  await Promise.all([pair.clients.stop(), pair.server.stop()]);
}

interface ServerStats {
  parkedMs: number;
  cpuMicros: number;
  published: number;
  watermark: number;
}
interface ClientStats {
  sample?: string;
  received: number;
  frames: number;
  closed: number;
  open: number;
  watermark: number;
  cpuMicros: number;
}

async function measurePair(pair: Pair, count: number, roundNo: number, opts: FanoutOptions): Promise<FanoutMeasurement> {
  await pair.clients.call('acks', { everyMs: 10, on: true });
  await pair.server.call('run', { window: opts.creditWindow });
  await sleep(opts.warmMs);
  const s0 = (await pair.server.call('stats')) as ServerStats;
  const c0 = (await pair.clients.call('stats')) as ClientStats;
  const t0 = performance.now();
  await sleep(opts.windowMs);
  const s1 = (await pair.server.call('stats')) as ServerStats;
  const c1 = (await pair.clients.call('stats')) as ClientStats;
  const seconds = (performance.now() - t0) / 1000;
  await pair.server.call('pause');
  // Let the clients drain what is in flight (bounded), so the next round starts clean.
  for (let i = 0; i < 40; i++) {
    const s = (await pair.server.call('stats')) as ServerStats;
    const c = (await pair.clients.call('stats')) as ClientStats;
    if (c.watermark >= s.published) break;
    await sleep(50);
  }
  await pair.clients.call('acks', { everyMs: 10, on: false });
  const deliveries = c1.received - c0.received;
  const serverCpu = s1.cpuMicros - s0.cpuMicros;
  return {
    impl: pair.impl,
    clients: count,
    round: roundNo,
    deliveriesPerSecond: round(deliveries / seconds),
    framesPerSecond: round((c1.frames - c0.frames) / seconds),
    serverCpuMicrosPerDelivery: deliveries > 0 ? round(serverCpu / deliveries) : Number.NaN,
    serverCpuShare: round(serverCpu / 1e6 / seconds),
    clientCpuShare: round((c1.cpuMicros - c0.cpuMicros) / 1e6 / seconds),
    waitingShare: round((s1.parkedMs - s0.parkedMs) / 1000 / seconds),
    closed: c1.closed,
  };
}

export async function runFanoutPart(opts: FanoutOptions): Promise<FanoutResult> {
  const measurements: FanoutMeasurement[] = [];
  const errors: string[] = [];
  const byClients: FanoutResult['byClients'] = {};
  const samples: Partial<Record<Impl, string>> = {};
  for (const count of opts.clientCounts) {
    const pairs: Pair[] = [];
    try {
      for (const impl of [...opts.impls, ...(opts.deflateAt?.includes(count) ? (['deflate'] as const) : [])]) {
        try {
          pairs.push(await startPair(impl, count, opts));
        } catch (error) {
          errors.push(`${impl} x${count}: ${(error as Error).message}`);
          opts.log(`  ${impl} x${count}: could not start: ${(error as Error).message}`);
        }
      }
      for (let r = 1; r <= opts.rounds; r++) {
        if (opts.deadline !== undefined && performance.now() > opts.deadline) {
          errors.push(`x${count}: stopped after ${r - 1} rounds (time limit)`);
          break;
        }
        const order = r % 2 === 1 ? pairs : [...pairs].reverse();
        for (const pair of order) {
          try {
            const m = await measurePair(pair, count, r, opts);
            measurements.push(m);
            opts.log(
              `  ${m.impl.padEnd(4)} x${count} r${r}: ${Math.round(m.deliveriesPerSecond)} deliveries/s, ${Math.round(m.framesPerSecond)} frames/s, ` +
                `server ${m.serverCpuMicrosPerDelivery} us CPU/delivery (${Math.round(m.serverCpuShare * 100)} % of a core), clients ${Math.round(m.clientCpuShare * 100)} %, waiting for clients ${Math.round(m.waitingShare * 100)} %` +
                (m.closed ? `, ${m.closed} clients closed` : ''),
            );
          } catch (error) {
            errors.push(`${pair.impl} x${count} r${r}: ${(error as Error).message}`);
            opts.log(`  ${pair.impl} x${count} r${r}: ${(error as Error).message}`);
          }
        }
      }
      for (const pair of pairs) {
        const stats = (await pair.clients.call('stats').catch(() => ({}))) as Partial<ClientStats>;
        if (stats.sample) samples[pair.impl] ??= stats.sample;
      }
    } finally {
      await Promise.all(pairs.map(stopPair));
    }
    const of = (impl: Impl) => measurements.filter((m) => m.clients === count && m.impl === impl);
    const summarise = (impl: Impl) => {
      const ms = of(impl);
      if (ms.length === 0) return undefined;
      return {
        deliveriesPerSecond: round(median(ms.map((m) => m.deliveriesPerSecond))),
        framesPerSecond: round(median(ms.map((m) => m.framesPerSecond))),
        serverCpuMicrosPerDelivery: round(median(ms.map((m) => m.serverCpuMicrosPerDelivery))),
        serverCpuShare: round(median(ms.map((m) => m.serverCpuShare))),
      };
    };
    const deliveriesRatios: number[] = [];
    const cpuRatios: number[] = [];
    for (let r = 1; r <= opts.rounds; r++) {
      const o = of('ours').find((m) => m.round === r);
      const b = of('bare').find((m) => m.round === r);
      if (o && b && b.deliveriesPerSecond > 0) {
        deliveriesRatios.push(round(o.deliveriesPerSecond / b.deliveriesPerSecond));
        cpuRatios.push(round(o.serverCpuMicrosPerDelivery / b.serverCpuMicrosPerDelivery));
      }
    }
    const deflateRatios: number[] = [];
    for (let r = 1; r <= opts.rounds; r++) {
      const d = of('deflate').find((m) => m.round === r);
      const b = of('bare').find((m) => m.round === r);
      if (d && b && b.deliveriesPerSecond > 0) deflateRatios.push(round(d.deliveriesPerSecond / b.deliveriesPerSecond));
    }
    const bare = summarise('bare');
    if (bare) {
      byClients[String(count)] = {
        ...(summarise('ours') ? { ours: summarise('ours') } : {}),
        ...(summarise('deflate') ? { deflate: summarise('deflate'), deflateRatios } : {}),
        bare,
        deliveriesRatios,
        cpuRatios,
        medianDeliveriesRatio: round(median(deliveriesRatios)),
        medianCpuRatio: round(median(cpuRatios)),
      };
    }
  }
  const blank = (text: string) => text.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, '0');
  const wireCheck = {
    ...samples,
    sameShape: samples.ours && samples.bare ? blank(samples.ours) === blank(samples.bare) : null,
  };
  return { byClients, measurements, wireCheck, errors };
}
