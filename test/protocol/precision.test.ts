// Price precision helpers (src/protocol/precision.ts) and the validation of the optional
// precision fields: what both sides use to agree on how many decimals a price has.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decimalsOf,
  derivePrecision,
  minMoveFor,
  parseServerFrame,
  statedPrecision,
  validateSnapshotData,
  validateUpdateData,
} from '../../src/protocol/index.js';

const bar = { time: 60, open: 1, high: 1, low: 1, close: 1, volume: 1, trades: 1 };
const row = { symbol: 'EURUSD', qty: 1, avgPrice: 1.0826, lastPrice: 1.082441, marketValue: 1.08, unrealizedPnl: 0, realizedPnl: 0 };
const totals = { marketValue: 1.08, unrealizedPnl: 0, realizedPnl: 0, totalPnl: 0 };

describe('precision helpers', () => {
  test('decimalsOf reads the shortest decimal form, capped', () => {
    assert.equal(decimalsOf(1.0826), 4);
    assert.equal(decimalsOf(0.00001234), 8);
    assert.equal(decimalsOf(65000), 0);
    assert.equal(decimalsOf(0.00001), 5);
    assert.equal(decimalsOf(0.1 + 0.2, 8), 8);
  });

  test('derivePrecision (no server precision) shows about 5 significant digits, at least 2 decimals', () => {
    assert.equal(derivePrecision(65000.12), 2);
    assert.equal(derivePrecision(190.12), 2);
    assert.equal(derivePrecision(1.0826), 4);
    assert.equal(derivePrecision(0.5), 5);
    assert.equal(derivePrecision(0.00001234), 9);
    assert.equal(derivePrecision(0), 2);
    assert.equal(derivePrecision(Number.NaN), 2);
    assert.equal(derivePrecision(1e-20), 10, 'capped at MAX_PRECISION');
  });

  test('statedPrecision prefers precision, then the tick size, else nothing', () => {
    assert.equal(statedPrecision({ precision: 3, tickSize: 0.00001 }), 3);
    assert.equal(statedPrecision({ tickSize: 0.00001 }), 5);
    assert.equal(statedPrecision({ tickSize: 0.25 }), 2);
    assert.equal(statedPrecision({}), undefined);
    assert.equal(statedPrecision(undefined), undefined);
  });

  test('minMoveFor uses the tick when it fits the precision, else one unit of the last decimal', () => {
    assert.equal(minMoveFor(5, 0.00001), 0.00001);
    assert.equal(minMoveFor(2, 0.05), 0.05);
    assert.equal(minMoveFor(2, 0.00001), 0.01);
    assert.equal(minMoveFor(4), 0.0001);
    assert.equal(minMoveFor(0), 1);
  });
});

describe('precision on the wire', () => {
  test('candle snapshots may carry precision and tickSize; bad values are refused', () => {
    const topic = 'candles:EURUSD:1m';
    const base = { symbol: 'EURUSD', interval: '1m', bars: [bar] };
    assert.equal(validateSnapshotData(topic, base), null, 'both are optional');
    assert.equal(validateSnapshotData(topic, { ...base, precision: 5, tickSize: 0.00001 }), null);
    for (const precision of [-1, 11, 2.5, '5', null]) assert.match(validateSnapshotData(topic, { ...base, precision }) ?? '', /precision/);
    for (const tickSize of [0, -0.01, Infinity, '0.01']) assert.match(validateSnapshotData(topic, { ...base, tickSize }) ?? '', /tickSize/);
  });

  test('portfolio rows may carry a precision, in snapshots and updates', () => {
    const topic = 'portfolio:demo';
    const snap = (r: object) => ({ account: 'demo', currency: 'USD', positions: [r], totals });
    assert.equal(validateSnapshotData(topic, snap(row)), null);
    assert.equal(validateSnapshotData(topic, snap({ ...row, precision: 5 })), null);
    assert.match(validateSnapshotData(topic, snap({ ...row, precision: 'x' })) ?? '', /position.precision/);
    assert.equal(validateUpdateData(topic, { positions: [{ ...row, precision: 4 }], removed: [], totals }), null);
    assert.match(validateUpdateData(topic, { positions: [{ ...row, precision: 99 }], removed: [], totals }) ?? '', /precision/);
    const frame = JSON.stringify({ op: 'snapshot', topic: 'candles:X:1m', epoch: 'e', seq: 1, data: { symbol: 'X', interval: '1m', bars: [], precision: 12 } });
    assert.equal(parseServerFrame(frame).messages.length, 0, 'a frame with a bad precision is not delivered');
  });
});
