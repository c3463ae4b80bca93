// Fuzz and leak checks at CI size against a server in a child process (heap measured after GC there).
// `npm run soak` runs the same scenarios at full size (scripts/soak.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mib } from './stress/harness.js';
import { FUZZ_HEAP_GROWTH_LIMIT, FUZZ_PEAK_LIMIT, LEAK_HEAP_GROWTH_LIMIT } from './stress/limits.js';
import { fuzzScenario, leakScenario } from './stress/scenarios.js';

test('fuzz: 10,000 hostile frames from 8 clients; the server stays up, its heap bounded, a bystander gapless', async (t) => {
  const r = await fuzzScenario({ frames: 10_000, clients: 8, seed: 1 });
  t.diagnostic(
    `${r.stats.framesSent} frames over ${r.stats.connections} connections in ${r.durationMs} ms; heap ${mib(r.heapBefore)} -> ${mib(r.heapAfter)} ` +
      `(peak ${mib(r.peakHeap)}); watcher ${r.watcher.updates} updates; closes ${JSON.stringify(r.closesByCode)}; errors ${JSON.stringify(r.errorsByCode)}`,
  );
  assert.ok(r.stats.framesSent >= 10_000);
  assert.ok(r.serverAlive, 'server process still running');
  for (const kind of ['invalid_json', 'wrong_types', 'huge_numbers', 'deep_nesting', 'unknown_op', 'not_object', 'binary', 'invalid_utf8', 'oversized', 'hostile_valid', 'flood'])
    assert.ok((r.stats.byKind[kind] ?? 0) > 0, `no ${kind} frames were sent`);
  // The server answered the garbage with errors and cut the abusive connections with the documented codes.
  assert.ok((r.errorsByCode.bad_request ?? 0) > 500, 'bad_request errors');
  assert.ok((r.errorsByCode.unknown_op ?? 0) > 0 && (r.errorsByCode.unknown_topic ?? 0) > 0);
  for (const code of ['1009', '1007', '4429']) assert.ok((r.closesByCode[code] ?? 0) > 0, `no ${code} closes`);
  assert.ok(r.framesDropped > 0, 'floods were rate limited');
  // Bystander: connected throughout, one epoch, every topic's seq +1 each time, up to date with REST.
  assert.deepEqual(r.watcher.problems, []);
  assert.ok(r.watcher.open, 'watcher still connected');
  assert.equal(r.watcher.epochs, 1);
  assert.equal(Object.keys(r.watcher.perTopic).length, 3, JSON.stringify(r.watcher.perTopic));
  assert.ok(r.watcher.finalSeqMatchesRest);
  // Bounded memory; everything the fuzzers held is released.
  assert.ok(r.heapAfter - r.heapBefore < FUZZ_HEAP_GROWTH_LIMIT, `heap grew ${mib(r.heapAfter - r.heapBefore)}`);
  assert.ok(r.peakHeap - r.heapBefore < FUZZ_PEAK_LIMIT, `peak heap ${mib(r.peakHeap)}`);
  assert.deepEqual(r.counts, { connections: 1, subscriptions: 3, addresses: 1 });
});

test('leaks: 5,000 connect/subscribe/disconnect cycles leave no connection, subscription or heap behind', async (t) => {
  const r = await leakScenario({ cycles: 5_000 });
  t.diagnostic(`${r.cycles} cycles in ${r.durationMs} ms; heap ${mib(r.heapBefore)} -> ${mib(r.heapAfter)} (peak ${mib(r.peakHeap)})`);
  assert.deepEqual(r.countsAfter, { connections: 0, subscriptions: 0, addresses: 0 });
  assert.ok(r.connectionsTotal >= r.cycles, `${r.connectionsTotal} connections accepted`);
  assert.ok(r.heapAfter - r.heapBefore < LEAK_HEAP_GROWTH_LIMIT, `heap grew ${mib(r.heapAfter - r.heapBefore)}`);
});
