/**
 * Part 6 (issue 12): server memory per symbol. Two server processes run the simulator at
 * the default rate, one on 1 symbol and one on 50, side by side for `settleMs` (a minute by
 * default); per symbol = (RSS with 50 - RSS with 1) / 49, after GC, with a breakdown from
 * the engine (bar windows with their per-bar seq columns, exact rings) and the rest (heap:
 * the simulator, aggregator spans, topic objects). The baseline, measured in the same run, is
 * what the engine held per symbol before (Bar objects, and the histories filled by then), built in
 * a third process. Bytes per idle connection come from part 3 (`--only=idle`).
 */
import { sleep, spawnChild } from './lib/proc.js';

export interface MemoryOptions {
  settleMs: number;
  symbols: number;
  log: (line: string) => void;
}

interface Reading {
  gc: boolean;
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  barBytes: number;
  ringBytes: number;
}

export interface MemoryResult {
  symbols: number;
  settleSeconds: number;
  perSymbol: { rss: number; heap: number; bars: number; exactRings: number; other: number };
  baselinePerSymbol: { rss: number; heap: number };
  /** ours / baseline, RSS per symbol. */
  ratio: number;
  one: Reading;
  many: Reading;
  errors: string[];
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `SYM${String(i).padStart(3, '0')}-USD`);

export async function runMemoryPart(opts: MemoryOptions): Promise<MemoryResult> {
  const errors: string[] = [];
  const one = spawnChild('memory-server-child.ts', [], { nodeFlags: ['--expose-gc'] });
  const many = spawnChild('memory-server-child.ts', [], { nodeFlags: ['--expose-gc'] });
  const base = spawnChild('memory-server-child.ts', [], { nodeFlags: ['--expose-gc'] });
  try {
    await Promise.all([one.call('start', { symbols: names(1) }, 60_000), many.call('start', { symbols: names(opts.symbols) }, 120_000)]);
    opts.log(`memory: 1 and ${opts.symbols} symbols running; reading after ${Math.round(opts.settleMs / 1000)} s`);
    const baseBefore = (await base.call('memory')) as Reading;
    // The history a topic had filled after settleMs at the default 5 trades/s (one update per trade per interval).
    await base.call('baseline', { symbols: 10, updates: Math.round((5 * opts.settleMs) / 1000) }, 60_000);
    const baseAfter = (await base.call('memory')) as Reading;
    await sleep(opts.settleMs);
    const [a, b] = (await Promise.all([one.call('memory'), many.call('memory')])) as [Reading, Reading];
    if (!a.gc || !b.gc) errors.push('no gc in a server child (needs --expose-gc)');
    const n = opts.symbols - 1;
    const perSymbol = {
      rss: (b.rss - a.rss) / n,
      heap: (b.heapUsed - a.heapUsed) / n,
      bars: (b.barBytes - a.barBytes) / n,
      exactRings: (b.ringBytes - a.ringBytes) / n,
      other: 0,
    };
    perSymbol.other = perSymbol.rss - perSymbol.bars - perSymbol.exactRings;
    const baselinePerSymbol = { rss: (baseAfter.rss - baseBefore.rss) / 10, heap: (baseAfter.heapUsed - baseBefore.heapUsed) / 10 };
    return {
      symbols: opts.symbols,
      settleSeconds: Math.round(opts.settleMs / 1000),
      perSymbol,
      baselinePerSymbol,
      ratio: perSymbol.rss / baselinePerSymbol.rss,
      one: a,
      many: b,
      errors,
    };
  } finally {
    await Promise.all([one.stop(), many.stop(), base.stop()]);
  }
}
