/**
 * Part 3: idle connections. A fresh server process (ours or the bare baseline) per
 * measurement; a client swarm in another process opens N connections that say hello and
 * subscribe to one quiet topic, then sit. Server bytes per connection = (RSS after GC
 * with N connections - RSS after GC before them) / N. Rounds interleave the servers.
 */
import type { Impl } from './fanout.js';
import { FANOUT_TOPIC_SYMBOL } from './fanout.js';
import { sleep, spawnChild } from './lib/proc.js';
import { median, round } from './lib/stats.js';

export interface IdleOptions {
  connections: number;
  rounds: number;
  impls: Impl[];
  oursOptions?: Record<string, unknown>;
  settleMs: number;
  /** performance.now() past which no new round starts (the bench's overall time limit). */
  deadline?: number;
  log: (line: string) => void;
}

export interface IdleMeasurement {
  impl: Impl;
  round: number;
  connections: number;
  rssBytesPerConnection: number;
  heapBytesPerConnection: number;
  connectMs: number;
}

export interface IdleResult {
  connections: number;
  ours?: { rssBytesPerConnection: number; heapBytesPerConnection: number };
  bare?: { rssBytesPerConnection: number; heapBytesPerConnection: number };
  ratios: number[];
  medianRatio: number;
  measurements: IdleMeasurement[];
  errors: string[];
}

interface Memory {
  rss: number;
  heapUsed: number;
  gc: boolean;
}

async function measureOnce(impl: Impl, roundNo: number, opts: IdleOptions): Promise<IdleMeasurement> {
  const server = spawnChild('server-child.ts', ['--impl', impl], { nofile: 65_536, nodeFlags: ['--expose-gc'] });
  const clients = spawnChild('fanout-clients.ts', [], { nofile: 65_536 });
  try {
    const info = (await server.call('start', { symbol: FANOUT_TOPIC_SYMBOL, options: opts.oursOptions }, 30_000)) as { url: string; baseMs: number };
    await sleep(300);
    const before = (await server.call('memory')) as Memory;
    if (!before.gc) throw new Error('server child has no gc (needs --expose-gc)');
    const connected = (await clients.call('connect', { url: info.url, count: opts.connections, topic: `candles:${FANOUT_TOPIC_SYMBOL}:1m`, concurrency: 250 }, 180_000)) as { open: number; ms: number };
    await sleep(opts.settleMs);
    const after = (await server.call('memory')) as Memory;
    const stats = (await clients.call('stats')) as { open: number };
    if (stats.open !== opts.connections) throw new Error(`${opts.connections - stats.open} connections closed while idle`);
    return {
      impl,
      round: roundNo,
      connections: opts.connections,
      rssBytesPerConnection: round((after.rss - before.rss) / opts.connections),
      heapBytesPerConnection: round((after.heapUsed - before.heapUsed) / opts.connections),
      connectMs: connected.ms,
    };
  } finally {
    await clients.call('disconnect').catch(() => undefined);
    await server.call('close').catch(() => undefined);
    await Promise.all([clients.stop(), server.stop()]);
  }
}

export async function runIdlePart(opts: IdleOptions): Promise<IdleResult> {
  const measurements: IdleMeasurement[] = [];
  const errors: string[] = [];
  for (let r = 1; r <= opts.rounds; r++) {
    if (opts.deadline !== undefined && performance.now() > opts.deadline) {
      errors.push(`stopped after ${r - 1} rounds (time limit)`);
      break;
    }
    const order = r % 2 === 1 ? opts.impls : [...opts.impls].reverse();
    for (const impl of order) {
      try {
        const m = await measureOnce(impl, r, opts);
        measurements.push(m);
        opts.log(`  ${impl.padEnd(4)} r${r}: ${m.connections} idle connections, ${m.rssBytesPerConnection} B RSS and ${m.heapBytesPerConnection} B heap each (connected in ${m.connectMs} ms)`);
      } catch (error) {
        errors.push(`${impl} r${r}: ${(error as Error).message}`);
        opts.log(`  ${impl} r${r}: ${(error as Error).message}`);
      }
    }
  }
  const summarise = (impl: Impl) => {
    const ms = measurements.filter((m) => m.impl === impl);
    return ms.length
      ? {
          rssBytesPerConnection: round(median(ms.map((m) => m.rssBytesPerConnection))),
          heapBytesPerConnection: round(median(ms.map((m) => m.heapBytesPerConnection))),
        }
      : undefined;
  };
  const ratios: number[] = [];
  for (let r = 1; r <= opts.rounds; r++) {
    const o = measurements.find((m) => m.impl === 'ours' && m.round === r);
    const b = measurements.find((m) => m.impl === 'bare' && m.round === r);
    if (o && b && b.rssBytesPerConnection > 0) ratios.push(round(o.rssBytesPerConnection / b.rssBytesPerConnection));
  }
  const ours = summarise('ours');
  const bare = summarise('bare');
  return { connections: opts.connections, ...(ours ? { ours } : {}), ...(bare ? { bare } : {}), ratios, medianRatio: round(median(ratios)), measurements, errors };
}
