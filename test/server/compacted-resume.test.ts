// Compacted resume: a client that announces `compact` resumes a keyed topic from any seq of the
// epoch with only the latest change of each key, and ends at exactly the server's state.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resumeFrom, snapshotOf } from '../support/node/resume.js';
import { delay, getJson, serverFor, TestClient } from '../support/node/server.js';

const T0 = Date.UTC(2030, 0, 1);
const trade = (price: number, time: number) => ({ symbol: 'AAA', price, size: 1, time });

async function rest(server: { httpUrl: string }, topic: string): Promise<{ seq: number; data: unknown }> {
  const { status, body } = await getJson(`${server.httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
  assert.equal(status, 200);
  return body;
}

describe('compacted resume', () => {
  test('a compact client away for more updates than any history resumes 1m and 1h exactly, with no snapshot', async (t) => {
    const server = await serverFor(t, { feed: 'none', exactHistory: 20, history: 20 });
    for (let i = 0; i < 30; i++) server.publishTrades([trade(100 + (i % 5), T0 + i * 1000)]);
    const before = await TestClient.connect(server, { caps: ['compact'] });
    assert.deepEqual(before.messages.find((m) => m.op === 'welcome')!.caps, ['compact']);
    const topics = ['candles:AAA:1m', 'candles:AAA:1h'];
    const held: Array<{ epoch: string; seq: number; data: unknown }> = [];
    for (const topic of topics) held.push(await snapshotOf(before, topic)); // one at a time: next() has one cursor
    before.close();

    // 50 minutes of trades, one per second, and now and then a late one into a bar ten minutes old.
    for (let i = 30; i < 3_030; i++) {
      const late = i % 250 === 0 ? [trade(90, T0 + (i - 600) * 1000)] : [];
      server.publishTrades([trade(Math.round((100 + Math.sin(i) * 3) * 100) / 100, T0 + i * 1000), ...late]); // cents: the precision (snapshot metadata) stays
    }

    const after = await TestClient.connect(server, { caps: ['compact'] });
    for (const [i, topic] of topics.entries()) {
      const { answer, updates, state } = await resumeFrom(after, topic, held[i]!);
      assert.deepEqual([answer.recovered, answer.compacted], [true, true], topic);
      assert.ok(answer.seq - held[i]!.seq > 3_000, `${topic}: more than 3,000 updates were missed`);
      const seqs = updates.map((u) => u.seq);
      assert.ok(seqs.every((s, k) => s > (k === 0 ? held[i]!.seq : seqs[k - 1]!)), `${topic}: seqs strictly increasing`);
      assert.equal(seqs.at(-1), answer.seq, `${topic}: the replay ends at subscribed.seq`);
      assert.ok(updates.length <= 60, `${topic}: ${updates.length} updates, one per changed bar`);
      const now = await rest(server, topic);
      assert.equal(now.seq, answer.seq);
      assert.deepEqual(state, now.data, `${topic}: the resumed state is the server's`);
    }
    await delay(50);
    assert.equal(after.all((m) => m.op === 'snapshot').length, 0, 'no snapshot, so no reset');
    after.close();
  });

  test('a client without compact gets the exact replay while the exact history covers it, then a snapshot', async (t) => {
    const server = await serverFor(t, { feed: 'none', exactHistory: 20 });
    for (let i = 0; i < 30; i++) server.publishTrades([trade(100 + i, T0 + i * 1000)]);
    const old = await TestClient.connect(server);
    assert.equal(old.messages.find((m) => m.op === 'welcome')!.caps, undefined, 'no caps asked, none given');
    const held = await snapshotOf(old, 'candles:AAA:1s');
    old.close();

    for (let i = 30; i < 40; i++) server.publishTrades([trade(100 + i, T0 + i * 1000)]);
    const near = await TestClient.connect(server);
    const exact = await resumeFrom(near, 'candles:AAA:1s', held);
    assert.deepEqual([exact.answer.recovered, exact.answer.compacted], [true, undefined]);
    assert.deepEqual(exact.updates.map((u) => u.seq), Array.from({ length: 10 }, (_, k) => held.seq + 1 + k), 'contiguous');
    assert.deepEqual(exact.state, (await rest(server, 'candles:AAA:1s')).data);
    near.close();

    for (let i = 40; i < 80; i++) server.publishTrades([trade(100 + i, T0 + i * 1000)]);
    const far = await TestClient.connect(server);
    const gone = await resumeFrom(far, 'candles:AAA:1s', held);
    assert.equal(gone.answer.recovered, false);
    assert.equal(gone.snapshot?.seq, gone.answer.seq);
    far.close();
  });

  test('a portfolio resumes as one update that leaves the rows, their order and the totals as the server has them', async (t) => {
    const server = await serverFor(t, { feed: 'none', exactHistory: 1 });
    server.upsertPositions('acme', [
      { symbol: 'A', qty: 1, avgPrice: 10, lastPrice: 11 },
      { symbol: 'B', qty: 2, avgPrice: 20, lastPrice: 21 },
      { symbol: 'C', qty: 3, avgPrice: 30, lastPrice: 31 },
    ]);
    const before = await TestClient.connect(server, { caps: ['compact'] });
    const held = await snapshotOf(before, 'portfolio:acme');
    before.close();

    server.upsertPositions('acme', [{ symbol: 'A', qty: 5, avgPrice: 12, lastPrice: 13 }]);
    server.removePositions('acme', ['B']);
    server.upsertPositions('acme', [{ symbol: 'D', qty: 4, avgPrice: 40, lastPrice: 41 }]);
    server.upsertPositions('acme', [{ symbol: 'B', qty: 9, avgPrice: 22, lastPrice: 23 }]); // back, now after D
    server.upsertPositions('acme', [{ symbol: 'E', qty: 1, avgPrice: 1, lastPrice: 1 }]);
    server.removePositions('acme', ['E']); // came and went

    const after = await TestClient.connect(server, { caps: ['compact'] });
    const { answer, updates, state } = await resumeFrom(after, 'portfolio:acme', held);
    assert.deepEqual([answer.recovered, answer.compacted, updates.length], [true, true, 1]);
    assert.equal(updates[0]!.seq, answer.seq);
    const now = await rest(server, 'portfolio:acme');
    assert.deepEqual(
      (state as { positions: Array<{ symbol: string }> }).positions.map((p) => p.symbol),
      ['A', 'C', 'D', 'B'],
    );
    assert.deepEqual(state, now.data);
    after.close();
  });

  test('a state document resumes as one merged patch; patches no single one can express replay exactly', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    server.putState('risk', { a: 0, b: { x: 0 }, k: { n: 1 } });
    const before = await TestClient.connect(server, { caps: ['compact'] });
    const held = await snapshotOf(before, 'state:risk');
    before.close();
    for (const patch of [{ a: 1 }, { b: { x: 1 } }, { b: { y: 2 } }, { a: null }, { c: [1, 2] }]) server.patchState('risk', patch);

    const plain = await TestClient.connect(server);
    const exact = await resumeFrom(plain, 'state:risk', held);
    assert.deepEqual([exact.answer.compacted, exact.updates.length], [undefined, 5], 'a client without compact: every patch');
    plain.close();
    const after = await TestClient.connect(server, { caps: ['compact'] });
    const one = await resumeFrom(after, 'state:risk', held);
    assert.deepEqual([one.answer.recovered, one.answer.compacted, one.updates.length], [true, true, 1]);
    assert.deepEqual(one.updates[0]!.data, { a: null, b: { x: 1, y: 2 }, c: [1, 2] });
    assert.deepEqual(one.state, (await rest(server, 'state:risk')).data);
    after.close();

    // k set to a number, then an object merged into it: no merge patch says "replace k" from the old k.
    const held2 = { epoch: one.answer.epoch, seq: one.answer.seq, data: one.state };
    server.patchState('risk', { k: 5 });
    server.patchState('risk', { k: { m: 2 } });
    const last = await TestClient.connect(server, { caps: ['compact'] });
    const both = await resumeFrom(last, 'state:risk', held2);
    assert.deepEqual([both.answer.recovered, both.answer.compacted, both.updates.length], [true, undefined, 2]);
    assert.deepEqual(both.state, (await rest(server, 'state:risk')).data);
    last.close();
  });

  test('an events topic is a log: exact replay only, and none older than --history-ms', async (t) => {
    const server = await serverFor(t, { feed: 'none', historyMs: 1_000 });
    server.publishEvent('ops', { type: 'a', data: 1 });
    const before = await TestClient.connect(server, { caps: ['compact'] });
    const held = await snapshotOf(before, 'events:ops');
    before.close();
    server.publishEvent('ops', [{ type: 'b', data: 2 }, { type: 'c', data: 3 }]);

    const soon = await TestClient.connect(server, { caps: ['compact'] });
    const fresh = await resumeFrom(soon, 'events:ops', held);
    assert.deepEqual([fresh.answer.recovered, fresh.answer.compacted, fresh.updates.length], [true, undefined, 2]);
    soon.close();

    await delay(1_200);
    const late = await TestClient.connect(server, { caps: ['compact'] });
    const aged = await resumeFrom(late, 'events:ops', held);
    assert.equal(aged.answer.recovered, false, 'the missed events are older than --history-ms');
    assert.deepEqual(aged.snapshot?.data, (await rest(server, 'events:ops')).data);
    late.close();
  });

  test('hello caps: unknown names are ignored, a malformed list is a bad hello', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const other = await TestClient.connect(server, { caps: ['future-thing'] });
    assert.equal(other.messages.find((m) => m.op === 'welcome')!.caps, undefined);
    other.close();
    const bad = await TestClient.connect(server, false);
    bad.send({ op: 'hello', v: 1, caps: 'compact' });
    const error = await bad.next((m) => m.op === 'error');
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, /caps/);
    assert.equal((await bad.closed).code, 4400);
  });
});
