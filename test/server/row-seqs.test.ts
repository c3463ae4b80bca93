// The row seqs of a portfolio topic (server/engine/row-seqs.ts), shared by the memory topic and
// the Redis ledger: a stored copy answers a compacted resume as the live one does, and marks of
// long-gone rows are forgotten behind a floor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPortfolioUpdate, cloneData, sumPositions, type PortfolioSnapshotData, type PortfolioUpdateData, type Position } from '../../src/protocol/index.js';
import { RowSeqs } from '../../server/engine/row-seqs.js';

const row = (symbol: string, qty = 1): Position => ({ symbol, qty, avgPrice: 1, lastPrice: 1, marketValue: qty, unrealizedPnl: 0, realizedPnl: 0 });

/** Applies updates at seqs 1, 2, … to an empty account, recording them in `seqs`; returns the state. */
function run(seqs: RowSeqs, updates: Array<{ positions?: Position[]; removed?: string[] }>): PortfolioSnapshotData {
  const state: PortfolioSnapshotData = { account: 'x', currency: 'USD', positions: [], totals: sumPositions([]) };
  updates.forEach((u, i) => {
    const after = applyPortfolioUpdate(cloneData(state), { positions: u.positions ?? [], removed: u.removed ?? [], totals: state.totals });
    const update: PortfolioUpdateData = { positions: u.positions ?? [], removed: u.removed ?? [], totals: sumPositions(after.positions) };
    seqs.apply(state.positions, update, i + 1);
    applyPortfolioUpdate(state, update);
  });
  return state;
}

test('a stored copy answers as the live one: the same rows, and removed in the order first seen, numeric symbols too', () => {
  const seqs = new RowSeqs();
  const state = run(seqs, [
    { positions: [row('B'), row('10'), row('2')] },
    { removed: ['10'] },
    { positions: [row('B', 2)] },
    { positions: [row('10', 3)] },
    { removed: ['2'] },
  ]);
  const copy = RowSeqs.fromJSON(JSON.parse(JSON.stringify(seqs.toJSON())));
  for (let after = 0; after < 5; after++) assert.deepEqual(copy.compacted(state, after), seqs.compacted(state, after), `after ${after}`);
  assert.deepEqual(seqs.compacted(state, 1), { positions: [row('B', 2), row('10', 3)], removed: ['10', '2'], totals: state.totals });
});

test('marks of more than 1,000 gone rows are forgotten, and a resume from before them is not compacted', () => {
  const seqs = new RowSeqs();
  const updates: Array<{ positions?: Position[]; removed?: string[] }> = [{ positions: [row('KEEP')] }];
  for (let i = 0; i < 1_005; i++) updates.push({ positions: [row(`G${i}`)] }, { removed: [`G${i}`] });
  const state = run(seqs, updates);
  const { floor, rows } = seqs.toJSON();
  assert.equal(rows.length, 1 + 1_000);
  assert.ok(floor > 0);
  assert.equal(seqs.compacted(state, floor - 1), undefined);
  assert.deepEqual(seqs.compacted(state, floor)?.positions, []);
  assert.equal(RowSeqs.fromJSON(seqs.toJSON()).compacted(state, floor - 1), undefined, 'the floor is stored too');
});
