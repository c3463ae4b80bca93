// Unit tests of src/protocol: the validators and appliers both sides rely on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyPortfolioUpdate,
  parseClientFrame,
  parseServerFrame,
  parseTopic,
  sumPositions,
  upsertBar,
  validateSnapshotData,
  validateTrade,
  type Bar,
  type PortfolioSnapshotData,
  type Position,
} from '../../src/protocol/index.js';

const bar = (time: number, close = 1): Bar => ({ time, open: 1, high: 2, low: 0.5, close, volume: 3, trades: 4 });

describe('parseTopic', () => {
  test('accepts candle and portfolio topics', () => {
    assert.deepEqual(parseTopic('candles:BTC-USD:1m'), { ok: true, topic: { kind: 'candles', symbol: 'BTC-USD', interval: '1m' } });
    assert.deepEqual(parseTopic('portfolio:demo'), { ok: true, topic: { kind: 'portfolio', account: 'demo' } });
  });
  test('rejects with a readable reason', () => {
    for (const bad of ['', 'candles:BTC', 'candles:BTC:2m', 'candles:<b>:1m', 'portfolio:', 'trades:X', 'x'.repeat(200), 42]) {
      const result = parseTopic(bad);
      assert.equal(result.ok, false, String(bad));
      if (!result.ok) assert.match(result.reason, /\w/);
    }
    const interval = parseTopic('candles:BTC:2m');
    assert.ok(!interval.ok && interval.reason.includes('1s 5s 1m 5m 15m 1h'));
  });
});

describe('parseClientFrame', () => {
  test('accepts every op in its documented shape', () => {
    assert.deepEqual(parseClientFrame('{"op":"hello","v":1}'), { ok: true, message: { op: 'hello', v: 1 } });
    assert.deepEqual(parseClientFrame('{"op":"hello","v":1,"token":"t"}'), { ok: true, message: { op: 'hello', v: 1, token: 't' } });
    assert.deepEqual(parseClientFrame('{"op":"sub","id":1,"topic":"portfolio:demo","since":{"epoch":"e","seq":5}}'), {
      ok: true,
      message: { op: 'sub', id: 1, topic: 'portfolio:demo', since: { epoch: 'e', seq: 5 } },
    });
    assert.deepEqual(parseClientFrame('{"op":"unsub","id":2,"topic":"t"}'), { ok: true, message: { op: 'unsub', id: 2, topic: 't' } });
    assert.deepEqual(parseClientFrame('{"op":"ping","id":3,"t":12.5}'), { ok: true, message: { op: 'ping', id: 3, t: 12.5 } });
    assert.deepEqual(parseClientFrame('{"op":"refresh","token":"x"}'), { ok: true, message: { op: 'refresh', token: 'x' } });
  });
  test('rejects malformed frames with bad_request and keeps the id when usable', () => {
    const cases: [string, string][] = [
      ['not json', 'bad_request'],
      ['[1,2]', 'bad_request'],
      ['{"op":"hello","v":2}', 'bad_request'],
      ['{"op":"sub","id":-1,"topic":"x"}', 'bad_request'],
      ['{"op":"sub","id":1e300,"topic":"x"}', 'bad_request'],
      ['{"op":"sub","id":1,"topic":5}', 'bad_request'],
      ['{"op":"sub","id":1,"topic":"x","since":{"epoch":"","seq":1}}', 'bad_request'],
      ['{"op":"ping","id":1,"t":"now"}', 'bad_request'],
      ['{"op":"shout","id":9}', 'unknown_op'],
    ];
    for (const [text, code] of cases) {
      const result = parseClientFrame(text);
      assert.equal(result.ok, false, text);
      if (!result.ok) assert.equal(result.code, code, text);
    }
    const withId = parseClientFrame('{"op":"sub","id":7,"topic":5}');
    assert.ok(!withId.ok && withId.id === 7);
  });
});

describe('parseServerFrame', () => {
  test('keeps the valid messages of a batch in order and reports the invalid ones', () => {
    const frame = JSON.stringify([
      { op: 'update', topic: 'candles:A:1s', seq: 1, time: 1, data: bar(10) },
      { op: 'update', topic: 'candles:A:1s', seq: 2, time: 1, data: { time: 'x' } },
      { op: 'nope' },
      { op: 'pong', id: 1, t: 1, serverTime: 2 },
    ]);
    const { messages, errors } = parseServerFrame(frame);
    assert.deepEqual(messages.map((m) => m.op), ['update', 'pong']);
    assert.equal(errors.length, 2);
    assert.deepEqual(parseServerFrame('{'), { messages: [], errors: ['frame is not valid JSON'] });
  });
  test('checks snapshot payloads against the topic', () => {
    assert.equal(validateSnapshotData('candles:A:1m', { symbol: 'A', interval: '1m', bars: [bar(1), bar(2)] }), null);
    assert.match(String(validateSnapshotData('candles:A:1m', { bars: [bar(2), bar(1)] })), /ascend/);
    assert.match(String(validateSnapshotData('portfolio:a', { account: 'a', currency: 'USD', positions: [{}] })), /position/);
  });
});

describe('upsertBar', () => {
  test('appends a later bar, replaces the same time, inserts an older one in place', () => {
    const bars = [bar(10), bar(20)];
    upsertBar(bars, bar(30));
    upsertBar(bars, bar(30, 9));
    upsertBar(bars, bar(15));
    upsertBar(bars, bar(10, 5));
    assert.deepEqual(bars.map((b) => [b.time, b.close]), [[10, 5], [15, 1], [20, 1], [30, 9]]);
  });
  test('keeps at most maxBars and ignores a bar older than a full window', () => {
    const bars: Bar[] = [];
    for (let t = 1; t <= 5; t++) upsertBar(bars, bar(t), 3);
    assert.deepEqual(bars.map((b) => b.time), [3, 4, 5]);
    upsertBar(bars, bar(1), 3);
    assert.deepEqual(bars.map((b) => b.time), [3, 4, 5]);
  });
});

describe('applyPortfolioUpdate', () => {
  const row = (symbol: string, qty: number): Position => ({
    symbol,
    qty,
    avgPrice: 10,
    lastPrice: 11,
    marketValue: qty * 11,
    unrealizedPnl: qty,
    realizedPnl: 2,
  });
  test('upserts rows by symbol, keeps order, removes gone rows, takes totals', () => {
    const state: PortfolioSnapshotData = {
      account: 'a',
      currency: 'USD',
      positions: [row('A', 1), row('B', 2)],
      totals: sumPositions([row('A', 1), row('B', 2)]),
    };
    const positions = [row('B', 3), row('C', 4)];
    const next = [row('B', 3), row('C', 4)];
    applyPortfolioUpdate(state, { positions, removed: ['A'], totals: sumPositions(next) });
    assert.deepEqual(state.positions.map((p) => [p.symbol, p.qty]), [['B', 3], ['C', 4]]);
    assert.deepEqual(state.totals, sumPositions(state.positions));
  });
});

describe('sumPositions', () => {
  test('totals of cent rows are cents, without float noise', () => {
    const row = (symbol: string, cents: number): Position => ({
      symbol,
      qty: 1,
      avgPrice: 1,
      lastPrice: 1,
      marketValue: cents,
      unrealizedPnl: cents,
      realizedPnl: cents,
    });
    // 0.1 + 0.2 is 0.30000000000000004 and 1024.13 + 841.2 is 1865.3300000000002 as floats.
    assert.deepEqual(sumPositions([row('A', 0.1), row('B', 0.2)]), {
      marketValue: 0.3,
      unrealizedPnl: 0.3,
      realizedPnl: 0.3,
      totalPnl: 0.6,
    });
    const totals = sumPositions([row('A', 1024.13), row('B', 841.2)]);
    assert.equal(totals.marketValue, 1865.33);
    assert.equal(totals.totalPnl, 3730.66);
  });
});

describe('validateTrade', () => {
  test('accepts a trade and names the bad field otherwise', () => {
    assert.equal(validateTrade({ symbol: 'BTC-USD', price: 1, size: 0.5, time: 1_700_000_000_000 }), null);
    assert.match(String(validateTrade({ symbol: 'BTC-USD', price: -1, size: 1, time: 1 })), /price/);
    assert.match(String(validateTrade({ symbol: 'a:b', price: 1, size: 1, time: 1 })), /symbol/);
    assert.match(String(validateTrade({ symbol: 'A', price: 1, size: 1, time: Number.NaN })), /time/);
  });
});
