#!/usr/bin/env node
// `npm run soak` (node --import tsx scripts/soak.mjs [--quick]): the server's fuzz and leak scenarios at
// full size, with a summary; exits non-zero when a bound is broken. The server suite runs the same
// scenarios at CI size (test/server/server-stress.test.ts). Finishes in a few minutes on 2 cores.
import { fuzzScenario, leakScenario } from '../test/server/stress/scenarios.ts';
import { FUZZ_HEAP_GROWTH_LIMIT, FUZZ_PEAK_LIMIT, LEAK_HEAP_GROWTH_LIMIT } from '../test/server/stress/limits.ts';

const quick = process.argv.includes('--quick');
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
  return ok ? 'ok' : 'FAILED';
};
const started = Date.now();

const fuzzRuns = quick ? [{ frames: 20_000, clients: 8, seed: 11 }] : [
  { frames: 100_000, clients: 8, seed: 11 },
  { frames: 100_000, clients: 32, seed: 12 },
];
for (const run of fuzzRuns) {
  console.log(`fuzz: ${run.frames} frames from ${run.clients} clients (seed ${run.seed}) ...`);
  const r = await fuzzScenario(run);
  const growth = r.heapAfter - r.heapBefore;
  console.log(
    [
      `  sent ${r.stats.framesSent} frames over ${r.stats.connections} connections in ${(r.durationMs / 1000).toFixed(1)} s`,
      `  by kind ${JSON.stringify(r.stats.byKind)}`,
      `  server errors ${JSON.stringify(r.errorsByCode)}, frames dropped by the rate limiter ${r.framesDropped}, closes ${JSON.stringify(r.closesByCode)}`,
      `  server alive: ${check(r.serverAlive, 'fuzz: server died')}`,
      `  heap after GC ${mib(r.heapBefore)} -> ${mib(r.heapAfter)} (+${mib(growth)}, limit ${mib(FUZZ_HEAP_GROWTH_LIMIT)}): ${check(growth < FUZZ_HEAP_GROWTH_LIMIT, 'fuzz: heap growth')}`,
      `  peak heap ${mib(r.peakHeap)} (limit before + ${mib(FUZZ_PEAK_LIMIT)}): ${check(r.peakHeap - r.heapBefore < FUZZ_PEAK_LIMIT, 'fuzz: peak heap')}`,
      `  bystander: ${r.watcher.updates} updates ${JSON.stringify(r.watcher.perTopic)}, epochs ${r.watcher.epochs}, problems ${r.watcher.problems.length}: ` +
        check(r.watcher.open && r.watcher.epochs === 1 && r.watcher.problems.length === 0 && r.watcher.finalSeqMatchesRest, 'fuzz: bystander stream'),
      `  counts after ${JSON.stringify(r.counts)}: ${check(r.counts.connections === 1 && r.counts.subscriptions === 3, 'fuzz: counts')}`,
    ].join('\n'),
  );
}

const leakRuns = quick ? [2_000] : [10_000, 20_000];
for (const cycles of leakRuns) {
  console.log(`leak: ${cycles} connect/subscribe/disconnect cycles ...`);
  const r = await leakScenario({ cycles });
  const growth = r.heapAfter - r.heapBefore;
  const zero = r.countsAfter.connections === 0 && r.countsAfter.subscriptions === 0 && r.countsAfter.addresses === 0;
  console.log(
    [
      `  ${r.cycles} cycles in ${(r.durationMs / 1000).toFixed(1)} s (${r.connectionsTotal} connections accepted incl. warm-up)`,
      `  counts after ${JSON.stringify(r.countsAfter)}: ${check(zero, 'leak: counts not zero')}`,
      `  heap after GC ${mib(r.heapBefore)} -> ${mib(r.heapAfter)} (+${mib(growth)}, limit ${mib(LEAK_HEAP_GROWTH_LIMIT)}), peak ${mib(r.peakHeap)}: ` +
        check(growth < LEAK_HEAP_GROWTH_LIMIT, 'leak: heap growth'),
    ].join('\n'),
  );
}

console.log(`soak ${failures.length ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(0)} s${failures.length ? `: ${failures.join('; ')}` : ''}`);
process.exit(failures.length ? 1 : 0);
