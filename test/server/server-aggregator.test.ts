// Candle aggregation checked against OHLC computed independently here: generated trades (with late
// ones), and real Kraken XBT/USDT trades against the exchange's own 1-minute candles.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INTERVALS, INTERVAL_SECONDS, type Bar, type Trade } from '../../src/protocol/index.js';
import { Random } from '../../server/feeds/random.js';
import { getJson, serverFor, TestClient, waitUntil } from '../support/node/server.js';
import { SPAN_SECONDS } from '../../server/aggregator.js';

/** OHLCV by trade time: trades ordered by time (ties in arrival order), grouped by UTC bucket start. */
function expectedBars(trades: readonly Trade[], intervalSec: number): Bar[] {
  const ordered = trades.map((trade, arrival) => ({ trade, arrival })).sort((a, b) => a.trade.time - b.trade.time || a.arrival - b.arrival);
  const bars = new Map<number, Bar & { arrivals: number[] }>();
  for (const { trade } of ordered) {
    const time = Math.floor(trade.time / 1000 / intervalSec) * intervalSec;
    const bar = bars.get(time);
    if (!bar) {
      bars.set(time, { time, open: trade.price, high: trade.price, low: trade.price, close: trade.price, volume: trade.size, trades: 1, arrivals: [] });
    } else {
      bar.high = Math.max(bar.high, trade.price);
      bar.low = Math.min(bar.low, trade.price);
      bar.close = trade.price;
      bar.volume += trade.size;
      bar.trades += 1;
    }
  }
  return [...bars.values()].sort((a, b) => a.time - b.time).map(({ arrivals: _, ...bar }) => bar);
}

function assertBarsEqual(actual: Bar[], expected: Bar[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: bar count`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const where = `${what} bar ${e.time}`;
    assert.equal(a.time, e.time, where);
    assert.equal(a.open, e.open, `${where} open`);
    assert.equal(a.high, e.high, `${where} high`);
    assert.equal(a.low, e.low, `${where} low`);
    assert.equal(a.close, e.close, `${where} close`);
    assert.equal(a.trades, e.trades, `${where} trades`);
    assert.ok(Math.abs(a.volume - e.volume) <= 1e-9 * Math.max(1, e.volume), `${where} volume ${a.volume} vs ${e.volume}`);
  }
}

describe('aggregator', () => {
  test('generated trades with late ones, for every interval', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const random = new Random(42);
    const start = Date.UTC(2030, 0, 1, 0, 0, 0);
    const trades: Trade[] = [];
    let price = 100;
    let now = start;
    for (let i = 0; i < 3000; i++) {
      now += Math.floor(random.exponential(900));
      price = Math.round(price * (1 + random.normal() * 0.002) * 100) / 100;
      // One trade in ten arrives late, up to 20 minutes, so older bars of every interval get updated.
      const late = random.next() < 0.1 ? Math.floor(random.next() * 20 * 60_000) : 0;
      // Some share a millisecond with the previous trade: ties keep arrival order.
      const time = random.next() < 0.05 && trades.length > 0 ? trades.at(-1)!.time : now - late;
      trades.push({ symbol: 'GEN', price, size: Math.round(random.exponential(2) * 1000) / 1000, time });
    }
    // Published in uneven chunks: the batching of updates must not change the result.
    for (let i = 0; i < trades.length; ) {
      const n = 1 + Math.floor(random.next() * 40);
      server.publishTrades(trades.slice(i, i + n));
      i += n;
    }
    for (const interval of INTERVALS) {
      const rest = await getJson(`${server.httpUrl}/api/snapshot?topic=candles:GEN:${interval}`);
      assert.equal(rest.status, 200);
      assertBarsEqual(rest.body.data.bars, expectedBars(trades, INTERVAL_SECONDS[interval]), interval);
    }
  });

  test('a late trade updates its older bar and the update carries that bar time', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const start = Date.UTC(2030, 0, 1, 0, 0, 0);
    server.publishTrades([
      { symbol: 'LATE', price: 10, size: 1, time: start + 5_000 },
      { symbol: 'LATE', price: 11, size: 1, time: start + 65_000 },
    ]);
    const client = await TestClient.connect(server);
    await client.sub('candles:LATE:1m');
    await client.next((m) => m.op === 'snapshot');
    // Older than the first trade of the first minute: it becomes that bar's open, not its close.
    server.publishTrades([{ symbol: 'LATE', price: 9, size: 2, time: start + 1_000 }]);
    const update = await client.next((m) => m.op === 'update');
    assert.deepEqual(update.data, { time: start / 1000, open: 9, high: 10, low: 9, close: 10, volume: 3, trades: 2 });
    client.close();
  });

  test("a trade more than SPAN_SECONDS late moves its bar's high, low, volume and count, not its open or close", async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const start = Date.UTC(2030, 0, 1, 0, 0, 0);
    // Bars of 1s every second for 40 minutes: the window keeps the last 2,000, and the spans of its oldest are forgotten.
    for (let i = 0; i < 40 * 60; i += 20)
      server.publishTrades(Array.from({ length: 20 }, (_, k) => ({ symbol: 'OLD', price: 10 + ((i + k) % 3), size: 1, time: start + (i + k) * 1000 + 500 })));
    const first = async () => (await getJson(`${server.httpUrl}/api/snapshot?topic=candles:OLD:1s`)).body.data.bars[0];
    const before = await first();
    assert.equal(before.time, start / 1000 + 400);
    server.publishTrades([{ symbol: 'OLD', price: 50, size: 2, time: start + 400_100 }]); // before the bar's only trade
    assert.deepEqual(await first(), { ...before, high: 50, volume: before.volume + 2, trades: before.trades + 1 });
    assert.ok(SPAN_SECONDS < 40 * 60);
  });

  test('a series keeps at most 2000 bars; a trade older than a full window is dropped', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const start = Date.UTC(2030, 0, 1, 0, 0, 0);
    const trades: Trade[] = [];
    for (let i = 0; i < 2100; i++) trades.push({ symbol: 'WIN', price: 1 + i, size: 1, time: start + i * 1000 });
    server.publishTrades(trades);
    const before = await getJson(`${server.httpUrl}/api/snapshot?topic=candles:WIN:1s`);
    assert.equal(before.body.data.bars.length, 2000);
    assert.equal(before.body.data.bars[0].time, start / 1000 + 100);
    server.publishTrades([{ symbol: 'WIN', price: 5, size: 1, time: start + 50_000 }]);
    const after = await getJson(`${server.httpUrl}/api/snapshot?topic=candles:WIN:1s`);
    assert.equal(after.body.seq, before.body.seq, 'no update for a bar outside the window');
    assert.deepEqual(after.body.data, before.body.data);
  });
});

/** The shared real-data folder next to the repository (read in place, never copied into it). */
const DATA = process.env.LMW_DATA_DIR ?? fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const HAS_DATA = existsSync(join(DATA, 'a1_kraken_XBTUSDT_trades_2025-11-10.json'));
type KrakenTrade = [string, string, number, string, string, string, number];
type KrakenCandle = [number, string, string, string, string, string, string, number];

async function krakenTrades(): Promise<Trade[]> {
  const raw = JSON.parse(await readFile(join(DATA, 'a1_kraken_XBTUSDT_trades_2025-11-10.json'), 'utf8'));
  const rows = (raw.result.XBTUSDT as KrakenTrade[]).slice().sort((a, b) => a[6] - b[6]);
  return rows.map(([price, volume, time]) => ({ symbol: 'XBTUSDT', price: Number(price), size: Number(volume), time: Math.floor(time * 1000) }));
}

/**
 * The exchange's closed 1m candles that our trades fully cover: strictly after the minute of the first
 * trade (earlier trades of that minute are not in the file) and before the minute of the last one.
 * Empty exchange candles (count 0) repeat the previous close; we make no bar for an empty minute.
 */
async function exchangeCandles(trades: readonly Trade[]): Promise<{ bars: Bar[]; empty: number[] }> {
  const raw = JSON.parse(await readFile(join(DATA, 'a2_kraken_XBTUSDT_ohlc1m_2025-11-10.json'), 'utf8'));
  const rows = (raw.result.XBTUSDT as KrakenCandle[]).slice(0, -1); // the last row is the unclosed candle
  const first = Math.floor(trades[0]!.time / 60_000) * 60;
  const last = Math.floor(trades.at(-1)!.time / 60_000) * 60;
  const covered = rows.filter(([time]) => time > first && time < last);
  return {
    bars: covered
      .filter((row) => row[7] > 0)
      .map(([time, open, high, low, close, , volume, count]) => ({
        time,
        open: Number(open),
        high: Number(high),
        low: Number(low),
        close: Number(close),
        volume: Number(volume),
        trades: count,
      })),
    empty: covered.filter((row) => row[7] === 0).map(([time]) => time),
  };
}

function assertMatchesExchange(ours: Bar[], exchange: { bars: Bar[]; empty: number[] }): void {
  const byTime = new Map(ours.map((bar) => [bar.time, bar]));
  assert.ok(exchange.bars.length > 250, `compared ${exchange.bars.length} candles`);
  for (const e of exchange.bars) {
    const a = byTime.get(e.time);
    assert.ok(a, `bar ${e.time} missing`);
    assert.deepEqual([a.open, a.high, a.low, a.close, a.trades], [e.open, e.high, e.low, e.close, e.trades], `bar ${e.time}`);
    // The exchange prints volume with 8 decimals.
    assert.ok(Math.abs(a.volume - e.volume) < 1e-8, `bar ${e.time} volume ${a.volume} vs ${e.volume}`);
  }
  for (const time of exchange.empty) assert.equal(byTime.has(time), false, `no bar for the empty minute ${time}`);
}

// Without the data each test is skipped on its own, so the counts line reports them as skipped.
const needsData = { skip: HAS_DATA ? false : `no data in ${DATA}` };

describe('real data: Kraken XBT/USDT trades against the exchange 1m OHLC', () => {
  test('published trades', needsData, async (t) => {
    const trades = await krakenTrades();
    const server = await serverFor(t, { feed: 'none' });
    server.publishTrades(trades);
    const rest = await getJson(`${server.httpUrl}/api/snapshot?topic=candles:XBTUSDT:1m`);
    assertMatchesExchange(rest.body.data.bars, await exchangeCandles(trades));
  });

  test('the same trades through --replay (JSON Lines) at high speed', needsData, async (t) => {
    const trades = await krakenTrades();
    const dir = await mkdtemp(join(tmpdir(), 'lmw-replay-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'trades.jsonl');
    await writeFile(file, trades.map((trade) => JSON.stringify(trade)).join('\n') + '\n');
    const server = await serverFor(t, { feed: 'replay', replayFile: file, speed: 200_000 });
    let bars: Bar[] = [];
    await waitUntil(
      () => {
        void getJson(`${server.httpUrl}/api/snapshot?topic=candles:XBTUSDT:1m`).then((r) => (bars = r.status === 200 ? r.body.data.bars : []));
        return bars.reduce((n, bar) => n + bar.trades, 0) === trades.length;
      },
      8000,
      'the replay to finish',
    );
    assertMatchesExchange(bars, await exchangeCandles(trades));
  });

  test('a replay file with a bad line fails to start with the line number', needsData, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'lmw-replay-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'bad.jsonl');
    await writeFile(file, '{"symbol":"A","price":1,"size":1,"time":1}\n{"symbol":"A","price":-1,"size":1,"time":2}\n');
    const { startMarketServer } = await import('../../server/app.js');
    await assert.rejects(startMarketServer({ port: 0, feed: 'replay', replayFile: file }), /bad\.jsonl:2: trade\.price/);
  });
});
