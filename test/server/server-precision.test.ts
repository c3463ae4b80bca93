// Price precision per symbol (issue 16): what the candle snapshots and the portfolio rows say,
// for simulated symbols (their tick size) and published ones (the decimals seen in their prices).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CandleSnapshotData, PortfolioSnapshotData } from '../../src/protocol/index.js';
import { PrecisionBook } from '../../server/precision.js';
import { getJson, serverFor, TestClient } from '../support/node/server.js';

const TOKEN = 'precision-test-token';

async function snapshot<D>(httpUrl: string, topic: string): Promise<D> {
  const r = await getJson(`${httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
  assert.equal(r.status, 200, `${topic}: ${JSON.stringify(r.body)}`);
  return r.body.data as D;
}

async function publish(httpUrl: string, trades: Array<{ symbol: string; price: number }>): Promise<void> {
  const time = Date.now();
  const body = JSON.stringify(trades.map((t, i) => ({ ...t, size: 1, time: time + i })));
  const r = await getJson(`${httpUrl}/api/trades`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

describe('price precision in snapshots', () => {
  test('simulated symbols carry their tick size and its decimals, on every interval, over REST and WebSocket', async (t) => {
    const server = await serverFor(t, { symbols: ['EURUSD', 'BTC-USD', 'USDJPY', 'ZZZ'], rate: 5, seed: 3 });
    const expected: Record<string, { precision: number; tickSize: number }> = {
      EURUSD: { precision: 5, tickSize: 0.00001 },
      'BTC-USD': { precision: 2, tickSize: 0.01 },
      USDJPY: { precision: 3, tickSize: 0.001 },
      ZZZ: { precision: 2, tickSize: 0.01 }, // no profile: the simulator's default tick
    };
    for (const [symbol, stated] of Object.entries(expected)) {
      for (const interval of ['1s', '1m', '1h']) {
        const data = await snapshot<CandleSnapshotData>(server.httpUrl, `candles:${symbol}:${interval}`);
        assert.deepEqual({ precision: data.precision, tickSize: data.tickSize }, stated, `${symbol} ${interval}`);
      }
    }
    const client = await TestClient.connect(server);
    t.after(() => client.ws.close());
    await client.sub('candles:EURUSD:1m');
    const snap = await client.next((m) => m.op === 'snapshot');
    assert.equal(snap.data.precision, 5);
    assert.equal(snap.data.tickSize, 0.00001);
    // The simulator's own prices stay on its ticks, so the precision is the truth about them.
    for (const bar of snap.data.bars as CandleSnapshotData['bars']) assert.equal(Number(bar.close.toFixed(5)), bar.close);
  });

  test('the demo portfolio rows carry each symbol\'s precision', async (t) => {
    const server = await serverFor(t, { symbols: ['EURUSD', 'USDJPY', 'BTC-USD'], rate: 5, seed: 3 });
    const data = await snapshot<PortfolioSnapshotData>(server.httpUrl, 'portfolio:demo');
    const bySymbol = Object.fromEntries(data.positions.map((p) => [p.symbol, p.precision]));
    assert.deepEqual(bySymbol, { EURUSD: 5, USDJPY: 3, 'BTC-USD': 2 });
  });

  test('published symbols get the most decimals seen in their prices, capped at 8; simulated ones keep their tick', async (t) => {
    const server = await serverFor(t, { symbols: ['EURUSD'], rate: 1, seed: 3, publishToken: TOKEN });
    const precisionOf = async (symbol: string) => (await snapshot<CandleSnapshotData>(server.httpUrl, `candles:${symbol}:1m`)).precision;
    await publish(server.httpUrl, [{ symbol: 'PUB-FX', price: 1.0826 }, { symbol: 'PUB-FX', price: 1.08 }]);
    assert.equal(await precisionOf('PUB-FX'), 4);
    await publish(server.httpUrl, [{ symbol: 'PUB-FX', price: 1.08265 }]);
    assert.equal(await precisionOf('PUB-FX'), 5, 'rises with a finer price');
    await publish(server.httpUrl, [{ symbol: 'PUB-FX', price: 1.1 }]);
    assert.equal(await precisionOf('PUB-FX'), 5, 'never falls back');
    await publish(server.httpUrl, [{ symbol: 'PUB-COIN', price: 0.00001234 }]);
    assert.equal(await precisionOf('PUB-COIN'), 8);
    await publish(server.httpUrl, [{ symbol: 'PUB-NOISE', price: 0.1 + 0.2 }]);
    assert.equal(await precisionOf('PUB-NOISE'), 8, 'float noise is capped');
    await publish(server.httpUrl, [{ symbol: 'PUB-WHOLE', price: 190 }]);
    assert.equal(await precisionOf('PUB-WHOLE'), 2, 'whole prices still get cents: a later 190.5 must not show as 191');
    const whole = await snapshot<CandleSnapshotData>(server.httpUrl, 'candles:PUB-WHOLE:5m');
    assert.equal(whole.tickSize, undefined, 'published symbols have no tick size');
    await publish(server.httpUrl, [{ symbol: 'EURUSD', price: 1.123456789 }]);
    assert.equal(await precisionOf('EURUSD'), 5, 'a simulated symbol keeps its tick size');
  });
});

describe('PrecisionBook', () => {
  test('observes decimals, reports changes only, and lets a declared tick size win', () => {
    const book = new PrecisionBook();
    assert.equal(book.of('A'), undefined);
    assert.equal(book.observe('A', 65000), true);
    assert.deepEqual(book.of('A'), { precision: 2 }, 'at least 2 decimals');
    assert.equal(book.observe('A', 65000.5), false, 'no more decimals than seen');
    assert.equal(book.observe('A', 65000.25), false);
    assert.equal(book.observe('A', 65000.125), true);
    assert.deepEqual(book.of('A'), { precision: 3 });
    assert.deepEqual(book.declare('B', 0.00001), { precision: 5, tickSize: 0.00001 });
    assert.equal(book.observe('B', 1.123456789), false);
    assert.deepEqual(book.of('B'), { precision: 5, tickSize: 0.00001 });
  });
});
