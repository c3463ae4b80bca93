// The memory engine through the Engine interface: publish and seq, updates since a seq or why
// they are gone, snapshot, epoch, follow and unfollow (what sessions rely on).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCandleUpdate, type Bar, type CandleSnapshotData, type PortfolioSnapshotData } from '../../src/protocol/index.js';
import type { LocalEngine, Subscriber } from '../../server/engine/engine.js';
import { MemoryEngine } from '../../server/engine/memory-engine.js';
import type { OutMessage } from '../../server/frame-writer.js';

const TOPIC = 'candles:AAA:1m';
const bar = (i: number): Bar => ({ time: 60 * i, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: i, trades: i });

/** An engine with the candle series of AAA (history of `history` updates). */
function engineWith(history = 100): LocalEngine {
  const engine = new MemoryEngine({ history, exactHistory: history });
  engine.candleSeries('AAA');
  return engine;
}

/** A follower that keeps what it is given. */
function recorder(): Subscriber & { got: OutMessage[]; texts(): string[] } {
  const got: OutMessage[] = [];
  return { got, enqueue: (message) => got.push(message), texts: () => got.map((m) => m.json) };
}

describe('memory engine', () => {
  test('publish gives each change the next seq; the snapshot is the state at the last one', () => {
    const engine = engineWith();
    assert.equal(engine.has(TOPIC), true);
    assert.equal(engine.has('candles:BBB:1m'), false);
    assert.equal(engine.topicCount, 6, 'one topic per interval');
    assert.deepEqual(engine.snapshot(TOPIC), { epoch: engine.epoch, seq: 0, data: { symbol: 'AAA', interval: '1m', bars: [] } });
    assert.deepEqual([1, 2, 3].map((i) => engine.publish(TOPIC, bar(i), 1000 + i)), [1, 2, 3]);
    assert.equal(engine.publish('candles:AAA:1s', bar(1)), 1, 'seqs are per topic');
    const expected: CandleSnapshotData = { symbol: 'AAA', interval: '1m', bars: [] };
    for (const i of [1, 2, 3]) applyCandleUpdate(expected, bar(i));
    const snapshot = engine.snapshot(TOPIC);
    assert.deepEqual([snapshot.epoch, snapshot.seq], [engine.epoch, 3]);
    assert.deepEqual(snapshot.data, expected);
  });

  test('updatesSince: the exact texts after a seq, or why they are gone (other epoch, too old, ahead)', () => {
    const engine = engineWith(3);
    const live = recorder();
    engine.follow(TOPIC, live);
    for (let i = 1; i <= 5; i++) engine.publish(TOPIC, bar(i), 1000 + i); // history keeps 3, 4, 5
    const { epoch } = engine;
    assert.deepEqual(engine.updatesSince(TOPIC, { epoch, seq: 2 }), { ok: true, updates: live.texts().slice(2), compacted: false });
    assert.deepEqual(engine.updatesSince(TOPIC, { epoch, seq: 5 }), { ok: true, updates: [], compacted: false });
    assert.deepEqual(engine.updatesSince(TOPIC, { epoch, seq: 1 }), { ok: false, gone: 'too-old' });
    assert.deepEqual(engine.updatesSince(TOPIC, { epoch, seq: 6 }), { ok: false, gone: 'ahead' });
    assert.deepEqual(engine.updatesSince(TOPIC, { epoch: `${epoch}-older`, seq: 4 }), { ok: false, gone: 'other-epoch' });
    // Published while nobody followed: written out on request, as it would have been sent.
    engine.unfollow(TOPIC, live);
    engine.publish(TOPIC, bar(6), 1006);
    const after5 = engine.updatesSince(TOPIC, { epoch, seq: 5 });
    assert.ok(after5.ok);
    assert.equal(after5.updates[0], JSON.stringify({ op: 'update', topic: TOPIC, seq: 6, time: 1006, data: bar(6) }));
  });

  test('each engine has an epoch of its own, and says it in snapshots and follow starts', () => {
    const a = engineWith();
    const b = engineWith();
    assert.notEqual(a.epoch, b.epoch);
    assert.match(a.epoch, /^[a-z0-9]+-[0-9a-f]{12}$/);
    assert.equal(a.snapshot(TOPIC).epoch, a.epoch);
    assert.equal(a.follow(TOPIC, recorder()).epoch, a.epoch);
    a.publish(TOPIC, bar(1));
    assert.equal(b.follow(TOPIC, recorder(), { epoch: a.epoch, seq: 0 }).recovered, false, "another engine's seqs mean nothing");
  });

  test('follow: a resumable since recovers the missed updates, any other gets the snapshot; then live updates', () => {
    const engine = engineWith(10);
    engine.publish(TOPIC, bar(1), 1001);
    engine.publish(TOPIC, bar(2), 1002);
    const { epoch } = engine;

    const fresh = recorder();
    const start = engine.follow(TOPIC, fresh);
    assert.equal(start.recovered, false);
    assert.equal(start.seq, 2);
    if (start.recovered) return;
    assert.deepEqual(JSON.parse(start.snapshot), { op: 'snapshot', topic: TOPIC, epoch, seq: 2, data: engine.snapshot(TOPIC).data });

    const resumed = recorder();
    const recovered = engine.follow(TOPIC, resumed, { epoch, seq: 1 });
    assert.deepEqual(recovered, {
      recovered: true,
      epoch,
      seq: 2,
      missed: [JSON.stringify({ op: 'update', topic: TOPIC, seq: 2, time: 1002, data: bar(2) })],
      compacted: false,
    });
    assert.equal(engine.follow(TOPIC, recorder(), { epoch, seq: 9 }).recovered, false, 'a seq ahead gets a snapshot');

    assert.equal(fresh.got.length, 0, 'nothing delivered before the next publish');
    engine.publish(TOPIC, bar(3), 1003);
    assert.equal(fresh.got.length, 1);
    assert.equal(resumed.got[0], fresh.got[0], 'one message object for every follower (serialised and framed once)');
    assert.equal(JSON.parse(fresh.got[0]!.json).seq, 3);
  });

  test('follow twice delivers once; unfollow stops delivery and is harmless when not following', () => {
    const engine = engineWith();
    const a = recorder();
    const b = recorder();
    engine.follow(TOPIC, a);
    engine.follow(TOPIC, a);
    engine.follow(TOPIC, b);
    engine.publish(TOPIC, bar(1));
    assert.deepEqual([a.got.length, b.got.length], [1, 1]);
    engine.unfollow(TOPIC, a);
    engine.unfollow(TOPIC, a);
    engine.unfollow('candles:AAA:1h', b);
    engine.unfollow('candles:NOPE:1m', b);
    engine.publish(TOPIC, bar(2));
    assert.deepEqual([a.got.length, b.got.length], [1, 2]);
    engine.publish('candles:AAA:1s', bar(1));
    assert.equal(b.got.length, 2, 'only the followed topic is delivered');
  });

  test('withholdNext: the next update is kept in history but not delivered; false for an unknown topic', () => {
    const engine = engineWith();
    const follower = recorder();
    engine.follow(TOPIC, follower);
    assert.equal(engine.withholdNext(TOPIC), true);
    assert.equal(engine.withholdNext('candles:NOPE:1m'), false);
    engine.publish(TOPIC, bar(1));
    engine.publish(TOPIC, bar(2));
    assert.deepEqual(follower.got.map((m) => JSON.parse(m.json).seq), [2]);
    const since = engine.updatesSince(TOPIC, { epoch: engine.epoch, seq: 0 });
    assert.ok(since.ok);
    assert.deepEqual(since.updates.map((text) => JSON.parse(text).seq), [1, 2]);
  });

  test('a portfolio topic takes its updates; seed fills a candle topic before its first update only', () => {
    const engine = engineWith();
    const state: PortfolioSnapshotData = { account: 'acct', currency: 'USD', positions: [], totals: { marketValue: 0, unrealizedPnl: 0, realizedPnl: 0, totalPnl: 0 } };
    const name = engine.addPortfolio('acct', state);
    assert.equal(name, 'portfolio:acct');
    const row = { symbol: 'AAA', qty: 1, avgPrice: 10, lastPrice: 11, marketValue: 11, unrealizedPnl: 1, realizedPnl: 0 };
    const totals = { marketValue: 11, unrealizedPnl: 1, realizedPnl: 0, totalPnl: 1 };
    assert.equal(engine.publish(name, { positions: [row], removed: [], totals }), 1);
    assert.deepEqual(engine.snapshot(name).data, { ...state, positions: [row], totals });

    engine.seed('candles:AAA:5m', bar(1));
    assert.deepEqual(engine.snapshot('candles:AAA:5m'), { epoch: engine.epoch, seq: 0, data: { symbol: 'AAA', interval: '5m', bars: [bar(1)] } });
    engine.publish('candles:AAA:5m', bar(2));
    assert.throws(() => engine.seed('candles:AAA:5m', bar(3)), /initial state/);
    assert.throws(() => engine.publish('candles:NOPE:1m', bar(1)), /no such topic/);
  });
});
