// The simulated account: only changed rows are sent, removed rows are listed, and after every
// update the totals equal the sums of the rows the client holds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPortfolioUpdate, cloneData, sumPositions, type PortfolioSnapshotData } from '../../src/protocol/index.js';
import type { Subscriber } from '../../server/engine/engine.js';
import { MemoryEngine } from '../../server/engine/memory-engine.js';
import { PortfolioBook } from '../../server/portfolio.js';
import { serverFor, TestClient, waitUntil } from '../support/node/server.js';

function bookWithRecorder() {
  const engine = new MemoryEngine({ history: 100 });
  const book = new PortfolioBook(engine, 'acct', 'USD', [
    { symbol: 'AAA', qty: 10, avgPrice: 100, lastPrice: 100 },
    { symbol: 'BBB', qty: 5, avgPrice: 20, lastPrice: 21 },
  ]);
  const updates: any[] = [];
  const recorder: Subscriber = { enqueue: (message) => updates.push(JSON.parse(message.json)) };
  engine.follow(book.topic, recorder);
  const initial = cloneData(engine.snapshot(book.topic).data as PortfolioSnapshotData);
  return { book, engine, updates, initial };
}

describe('portfolio book', () => {
  test('marks, buys, partial and full sells: rows, removed, avg price and realized P&L', () => {
    const { book, engine, updates, initial } = bookWithRecorder();
    assert.deepEqual(initial.totals, sumPositions(initial.positions));
    assert.equal(initial.positions[0]!.marketValue, 1000);

    book.mark([{ symbol: 'AAA', price: 110, size: 1, time: 1 }, { symbol: 'ZZZ', price: 5, size: 1, time: 1 }]);
    book.flush();
    assert.equal(updates.length, 1);
    assert.deepEqual(updates[0].data.positions.map((p: { symbol: string }) => p.symbol), ['AAA'], 'only the changed row');
    assert.deepEqual(updates[0].data.positions[0], {
      symbol: 'AAA', qty: 10, avgPrice: 100, lastPrice: 110, marketValue: 1100, unrealizedPnl: 100, realizedPnl: 0,
    });

    book.flush();
    assert.equal(updates.length, 1, 'nothing changed, nothing sent');

    book.mark([{ symbol: 'AAA', price: 90, size: 1, time: 0 }]);
    book.flush();
    assert.equal(updates.length, 1, 'an older trade does not move the mark back');

    book.fill('AAA', 10, 120); // avg (10*100 + 10*120) / 20 = 110
    book.fill('AAA', -5, 130); // realized 5 * (130 - 110) = 100
    book.flush();
    assert.deepEqual(updates[1].data.positions[0], {
      symbol: 'AAA', qty: 15, avgPrice: 110, lastPrice: 130, marketValue: 1950, unrealizedPnl: 300, realizedPnl: 100,
    });

    book.fill('BBB', -Infinity, 25);
    book.flush();
    assert.deepEqual(updates[2].data.removed, ['BBB']);
    assert.deepEqual(updates[2].data.positions, []);

    book.fill('CCC', 2, 50);
    book.flush();
    assert.deepEqual(updates[3].data.positions.map((p: { symbol: string }) => p.symbol), ['CCC']);

    // Replaying the updates on the initial state gives the server's state, totals == sums every time.
    const state: PortfolioSnapshotData = initial;
    updates.forEach((u, i) => {
      assert.equal(u.seq, i + 1);
      applyPortfolioUpdate(state, u.data);
      assert.deepEqual(state.totals, sumPositions(state.positions), `after update ${u.seq}`);
    });
    assert.deepEqual(state, engine.snapshot(book.topic).data);
    assert.deepEqual(state.positions.map((p) => p.symbol), ['AAA', 'CCC']);
  });
});

describe('portfolio:demo on the wire', () => {
  test('totals equal the row sums after every update, with fills', async (t) => {
    const server = await serverFor(t, { seed: 5, rate: 30, tickMs: 20, fillRate: 40 });
    const client = await TestClient.connect(server);
    await client.sub('portfolio:demo');
    const snapshot = await client.next((m) => m.op === 'snapshot');
    const state = cloneData(snapshot.data) as PortfolioSnapshotData;
    assert.equal(state.account, 'demo');
    assert.equal(state.currency, 'USD');
    assert.ok(state.positions.length >= 3, 'positions in several symbols');
    assert.deepEqual(state.totals, sumPositions(state.positions));
    let seq = snapshot.seq;
    let sawFill = false;
    await waitUntil(() => client.all((m) => m.op === 'update').length >= 40, 8000, '40 portfolio updates');
    for (const update of client.all((m) => m.op === 'update')) {
      assert.equal(update.seq, seq + 1);
      seq = update.seq;
      // Only changed rows: never the whole book when one mark moved.
      assert.ok(update.data.positions.length <= state.positions.length + 1);
      const before = new Map(state.positions.map((p) => [p.symbol, p]));
      applyPortfolioUpdate(state, update.data);
      for (const row of update.data.positions) {
        const old = before.get(row.symbol);
        if (!old || old.qty !== row.qty) sawFill = true;
        assert.ok(Number.isInteger(Math.round(row.marketValue * 100)), 'money in cents');
      }
      assert.deepEqual(state.totals, sumPositions(state.positions), `totals after update ${update.seq}`);
      const { unrealizedPnl, realizedPnl, totalPnl } = state.totals;
      assert.equal(totalPnl, Math.round((unrealizedPnl + realizedPnl) * 100) / 100, 'total = unrealized + realized, in cents');
      assert.equal(totalPnl, Number(totalPnl.toFixed(2)), 'no float noise');
    }
    assert.ok(sawFill, 'fills changed quantities');
    client.close();
  });
});
