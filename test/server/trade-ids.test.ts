// Trade ids (memory engine): a trade retried with the same id counts once, through POST
// /api/trades and the Node API; trades without an id are never deduped; bad ids are refused
// whole; the window of ids is bounded by count and by age.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INTERVALS, MAX_TRADE_ID_LENGTH, validateTrade, type Trade } from '../../src/protocol/index.js';
import { TradeIds } from '../../server/trade-ids.js';
import { getJson, serverFor, TestClient } from '../support/node/server.js';

const TOKEN = 'trade-ids-token';
const T0 = Date.UTC(2030, 0, 1);

const post = (httpUrl: string, body: unknown) =>
  getJson(`${httpUrl}/api/trades`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });

/** The snapshot of a topic (status and body). */
const snapshot = (httpUrl: string, topic: string) => getJson(`${httpUrl}/api/snapshot?topic=${topic}`);

const trade = (id: string | undefined, price: number, size: number, time = T0, symbol = 'IDS'): Trade =>
  id === undefined ? { symbol, price, size, time } : { symbol, price, size, time, id };

describe('trade ids over POST /api/trades (memory)', () => {
  test('the same id posted twice counts once: one bar of one trade in every interval, the retry answers duplicates: 1', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    const first = await post(server.httpUrl, [trade('t-1', 10, 2)]);
    assert.deepEqual([first.status, first.body], [200, { accepted: 1, duplicates: 0 }]);
    const seq = (await snapshot(server.httpUrl, 'candles:IDS:1m')).body.seq;
    const retry = await post(server.httpUrl, [trade('t-1', 10, 2)]);
    assert.deepEqual([retry.status, retry.body], [200, { accepted: 0, duplicates: 1 }]);
    for (const interval of INTERVALS) {
      const { body } = await snapshot(server.httpUrl, `candles:IDS:${interval}`);
      assert.equal(body.data.bars.length, 1, interval);
      assert.deepEqual([body.data.bars[0].volume, body.data.bars[0].trades], [2, 1], interval);
    }
    assert.equal((await snapshot(server.httpUrl, 'candles:IDS:1m')).body.seq, seq, 'the retry published no update');
    // A retry that brings a new trade along: only the new one is applied.
    const mixed = await post(server.httpUrl, [trade('t-1', 10, 2), trade('t-2', 11, 1, T0 + 5)]);
    assert.deepEqual(mixed.body, { accepted: 1, duplicates: 1 });
    const bar = (await snapshot(server.httpUrl, 'candles:IDS:1m')).body.data.bars[0];
    assert.deepEqual(bar, { time: T0 / 1000, open: 10, high: 11, low: 10, close: 11, volume: 3, trades: 2 });
  });

  test('the same id twice in one batch counts once; the same id on another symbol is another trade', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    const r = await post(server.httpUrl, [trade('x', 10, 2), trade('x', 10, 2), trade('x', 20, 4, T0, 'OTHER')]);
    assert.deepEqual(r.body, { accepted: 2, duplicates: 1 });
    const ids = (await snapshot(server.httpUrl, 'candles:IDS:1m')).body.data.bars[0];
    assert.deepEqual([ids.volume, ids.trades], [2, 1]);
    const other = (await snapshot(server.httpUrl, 'candles:OTHER:1m')).body.data.bars[0];
    assert.deepEqual([other.volume, other.trades], [4, 1]);
  });

  test('a subscriber gets one update for a trade and none for its retry', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    await post(server.httpUrl, [trade(undefined, 9, 1)]);
    const client = await TestClient.connect(server);
    t.after(() => client.close());
    await client.sub('candles:IDS:1m');
    await post(server.httpUrl, [trade('live-1', 10, 2, T0 + 1)]);
    await post(server.httpUrl, [trade('live-1', 10, 2, T0 + 1)]);
    await post(server.httpUrl, [trade(undefined, 11, 1, T0 + 2)]); // a marker: after it, nothing else is coming
    const updates = await client.next((m) => m.op === 'update' && m.data.close === 11).then(() => client.all((m) => m.op === 'update'));
    assert.deepEqual(
      updates.map((m) => [m.data.volume, m.data.trades]),
      [
        [3, 2],
        [4, 3],
      ],
    );
  });

  test('trades without an id are never deduped, even when equal', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    assert.deepEqual((await post(server.httpUrl, [trade(undefined, 10, 2), trade(undefined, 10, 2)])).body, { accepted: 2, duplicates: 0 });
    assert.deepEqual((await post(server.httpUrl, [trade(undefined, 10, 2)])).body, { accepted: 1, duplicates: 0 });
    const bar = (await snapshot(server.httpUrl, 'candles:IDS:1m')).body.data.bars[0];
    assert.deepEqual([bar.volume, bar.trades], [6, 3]);
  });

  test('bad ids get 400 with the field and the reason, and the whole batch is refused', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    const good = trade('ok-1', 10, 1);
    for (const [id, reason] of [
      [42, /^trades\[1\]: trade\.id must be a string$/],
      [null, /^trades\[1\]: trade\.id must be a string$/],
      [['a'], /^trades\[1\]: trade\.id must be a string$/],
      ['', /^trades\[1\]: trade\.id must be 1 to 128 visible ASCII characters/],
      ['x'.repeat(MAX_TRADE_ID_LENGTH + 1), /^trades\[1\]: trade\.id must be 1 to 128 visible ASCII characters/],
      ['has space', /trade\.id must be 1 to 128 visible ASCII characters \(! to ~, no spaces\)/],
      ['tab\there', /trade\.id must be/],
      ['naïve', /trade\.id must be/],
      ['\ud800', /trade\.id must be/],
    ] as const) {
      const r = await post(server.httpUrl, [good, { ...trade(undefined, 11, 1), id }]);
      assert.equal(r.status, 400, JSON.stringify(id));
      assert.equal(r.body.error, 'bad_request');
      assert.match(r.body.message, reason, JSON.stringify(id));
    }
    assert.equal((await snapshot(server.httpUrl, 'candles:IDS:1m')).status, 404, 'nothing applied: the good trade of each batch neither');
    // Nor was its id recorded: the same trade now goes through.
    assert.deepEqual((await post(server.httpUrl, [good])).body, { accepted: 1, duplicates: 0 });
    // The longest id and the whole visible ASCII range are fine.
    assert.equal(validateTrade(trade('x'.repeat(MAX_TRADE_ID_LENGTH), 1, 1)), null);
    assert.equal(validateTrade(trade('!~azAZ09-_.:/{}"\\', 1, 1)), null);
  });

  test('the Node API dedupes too: publishTradesAsync says how many were applied and dropped; a bad id throws', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    assert.deepEqual(await server.publishTradesAsync([trade('n-1', 10, 1), trade('n-2', 10, 1)]), { accepted: 2, duplicates: 0 });
    server.publishTrades([trade('n-1', 10, 1)]);
    assert.deepEqual(await server.publishTradesAsync([trade('n-2', 10, 1), trade('n-3', 10, 1)]), { accepted: 1, duplicates: 1 });
    const bar = (await snapshot(server.httpUrl, 'candles:IDS:1m')).body.data.bars[0];
    assert.deepEqual([bar.volume, bar.trades], [3, 3]);
    assert.throws(() => server.publishTrades([{ ...trade(undefined, 1, 1), id: 7 } as unknown as Trade]), /trades\[0\]: trade\.id must be a string/);
  });
});

describe('the trade id window', () => {
  test('an id is forgotten after the window ms (by arrival time), and a symbol that stops trading lets go of its ids', () => {
    let now = 1_000_000;
    const ids = new TradeIds({ count: 100, ms: 1000 }, () => now);
    assert.equal(ids.filter([trade('a', 1, 1)]).duplicates, 0);
    now += 999;
    assert.equal(ids.filter([trade('a', 1, 1)]).duplicates, 1, 'still in the window');
    now += 1;
    assert.deepEqual(ids.filter([trade('a', 1, 1)]).fresh.length, 1, 'past the window: a new trade');
    assert.equal(ids.filter([trade('q', 1, 1, T0, 'QUIET')]).duplicates, 0);
    assert.equal(ids.size, 2);
    now += 5000;
    ids.filter([trade(undefined, 1, 1, T0, 'BUSY')]);
    assert.equal(ids.size, 0, 'every expired id is let go, on every symbol');
  });

  test("a window keeps the last count ids per symbol; a batch's own repeats count however long it is", () => {
    const ids = new TradeIds({ count: 3, ms: 60_000 }, () => 0);
    assert.equal(ids.filter(['a', 'b', 'c', 'd', 'e'].map((id) => trade(id, 1, 1))).duplicates, 0);
    assert.equal(ids.size, 3);
    // a and b fell out; c, d and e are held.
    const again = ids.filter(['a', 'b', 'c', 'd', 'e'].map((id) => trade(id, 1, 1)));
    assert.deepEqual(
      again.fresh.map((t) => t.id),
      ['a', 'b'],
    );
    assert.equal(again.duplicates, 3);
    const long = ids.filter(['p', 'q', 'r', 's', 't', 'p'].map((id) => trade(id, 1, 1, T0, 'LONG')));
    assert.deepEqual([long.fresh.length, long.duplicates], [5, 1]);
    assert.equal(ids.size, 6, 'each symbol trimmed to 3');
  });
});
