// Trade ids with the Redis engine, on a real redis-server: a trade retried on another node
// (or on two at once) is folded once, the bars are those of one node in memory given the
// same posts, and the symbol's id window in Redis is bounded by count and age.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { INTERVALS, type Trade } from '../../src/protocol/index.js';
import type { MarketServer } from '../../server/app.js';
import { tradeIdsKey } from '../../server/engine/redis-scripts.js';
import { topicKeys } from '../../server/engine/redis-scripts.js';
import { RedisServer } from '../support/node/redis-server.js';
import { nodeFor, PUBLISH_TOKEN, tradesOf } from '../support/node/redis-nodes.js';
import { delay, getJson, serverFor } from '../support/node/server.js';

let redis: RedisServer;
before(async () => {
  redis = await RedisServer.start();
});
after(async () => {
  await redis.stop();
});

/** POST /api/trades; resolves with the answer's body (asserting 200). */
async function post(node: Pick<MarketServer, 'httpUrl'>, trades: Trade[]): Promise<{ accepted: number; duplicates: number }> {
  const r = await getJson(`${node.httpUrl}/api/trades`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${PUBLISH_TOKEN}` },
    body: JSON.stringify(trades),
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** A memory server that takes the same posts (the reference the Redis nodes must match). */
const memoryFor = (t: TestContext) => serverFor(t, { feed: 'none', publishToken: PUBLISH_TOKEN, publishRate: 0 });

const snapshot = async (node: Pick<MarketServer, 'httpUrl'>, topic: string) => (await getJson(`${node.httpUrl}/api/snapshot?topic=${topic}`)).body;

/** `n` trades of `symbol` from `t0`, ids `<prefix>-<i>`. */
const withIds = (symbol: string, t0: number, n: number, prefix: string, offset = 0): Trade[] =>
  tradesOf(symbol, t0, n, offset).map((trade, i) => ({ ...trade, id: `${prefix}-${i}` }));

async function assertSameBars(symbol: string, redisNode: MarketServer, memory: MarketServer): Promise<void> {
  for (const interval of INTERVALS) {
    const topic = `candles:${symbol}:${interval}`;
    assert.deepEqual((await snapshot(redisNode, topic)).data, (await snapshot(memory, topic)).data, interval);
  }
}

describe('trade ids with redis', () => {
  test('a trade id retried on another node counts once: the same answers and bars as one node in memory', async (t) => {
    const [a, b, memory] = [await nodeFor(t, redis.url), await nodeFor(t, redis.url), await memoryFor(t)];
    const symbol = 'RID-1';
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 120_000; // bars of the last 30 minutes
    const first = withIds(symbol, t0, 10, 'r');
    const later = [...first.slice(0, 5), ...withIds(symbol, t0 + 100, 5, 's', 3)];
    later.push(later.at(-1)!); // and one twice in the batch
    // Each post goes to one node and to the memory server: the answers are the same.
    const steps: Array<[MarketServer, Trade[], { accepted: number; duplicates: number }]> = [
      [a, first, { accepted: 10, duplicates: 0 }],
      [b, first, { accepted: 0, duplicates: 10 }], // the publisher timed out on A and retried on B
      [b, later, { accepted: 5, duplicates: 6 }],
      [a, later, { accepted: 0, duplicates: 11 }],
    ];
    let seq = 0;
    for (const [i, [node, trades, answer]] of steps.entries()) {
      assert.deepEqual(await post(node, trades), answer, `post ${i} on redis`);
      assert.deepEqual(await post(memory, trades), answer, `post ${i} in memory`);
      const now = (await snapshot(a, `candles:${symbol}:1m`)).seq as number;
      if (answer.accepted === 0) assert.equal(now, seq, `post ${i}: a retry publishes no update`);
      seq = now;
    }
    await assertSameBars(symbol, a, memory);
    const bar = (await snapshot(b, `candles:${symbol}:1h`)).data.bars;
    assert.deepEqual([bar.length, bar[0].trades], [1, 15]);
  });

  test('the same new trades posted to two nodes at once are folded once', async (t) => {
    const [a, b, memory] = [await nodeFor(t, redis.url), await nodeFor(t, redis.url), await memoryFor(t)];
    const symbol = 'RID-2';
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    const trades = withIds(symbol, t0, 40, 'c');
    for (let i = 0; i < trades.length; i += 8) {
      const batch = trades.slice(i, i + 8);
      const answers = await Promise.all([post(a, batch), post(b, batch), post(a, batch)]);
      assert.deepEqual(
        [answers.reduce((n, r) => n + r.accepted, 0), answers.reduce((n, r) => n + r.duplicates, 0)],
        [8, 16],
        `batch ${i / 8}: each trade applied once over the three posts`,
      );
    }
    await post(memory, trades);
    await assertSameBars(symbol, b, memory);
  });

  test('trades without an id are never deduped with redis, on one node or two', async (t) => {
    const [a, b] = [await nodeFor(t, redis.url), await nodeFor(t, redis.url)];
    const symbol = 'RID-3';
    const same: Trade = { symbol, price: 10, size: 2, time: Date.now() };
    assert.deepEqual(await post(a, [same, same]), { accepted: 2, duplicates: 0 });
    assert.deepEqual(await post(b, [same]), { accepted: 1, duplicates: 0 });
    const bar = (await snapshot(a, `candles:${symbol}:1m`)).data.bars[0];
    assert.deepEqual([bar.volume, bar.trades], [6, 3]);
    assert.equal(await (await redis.client()).exists(tradeIdsKey(symbol)), 0, 'no id, nothing recorded');
    // The Node API answers the same counts.
    assert.deepEqual(await a.publishTradesAsync([{ ...same, id: 'n-1' }, { ...same, id: 'n-1' }, same]), { accepted: 2, duplicates: 1 });
  });

  test("a symbol's id window in Redis keeps its last count ids, for ms at most, under the symbol's hash tag", async (t) => {
    const window = { count: 3, ms: 60_000 };
    const [a, b, memory] = [
      await nodeFor(t, redis.url, { tradeIdWindow: window }),
      await nodeFor(t, redis.url, { tradeIdWindow: window }),
      await serverFor(t, { feed: 'none', publishToken: PUBLISH_TOKEN, publishRate: 0, tradeIdWindow: window }),
    ];
    const symbol = 'RID-4';
    const key = tradeIdsKey(symbol);
    assert.equal(key.slice(0, key.indexOf('}') + 1), topicKeys(`candles:${symbol}:1m`).precision.slice(0, key.indexOf('}') + 1), 'one cluster slot');
    const trades = withIds(symbol, Date.now(), 5, 'w');
    for (const node of [a, memory]) assert.deepEqual(await post(node, trades), { accepted: 5, duplicates: 0 });
    const client = await redis.client();
    assert.deepEqual(await client.zrange(key, 0, -1), ['w-2', 'w-3', 'w-4']);
    const ttl = await client.pttl(key);
    assert.ok(ttl > 0 && ttl <= window.ms, `the zset expires with its window (${ttl} ms)`);
    // w-0 and w-1 fell out of the window: a retry of them is a new trade, of w-4 a duplicate; as in memory.
    const retry = [trades[0]!, trades[1]!, trades[4]!];
    for (const node of [b, memory]) assert.deepEqual(await post(node, retry), { accepted: 2, duplicates: 1 });
    assert.equal(await client.zcard(key), 3);
    await assertSameBars(symbol, a, memory);
  });

  test('an id older than the window ms is forgotten on every node, as in memory, while newer ids keep the zset', async (t) => {
    const window = { count: 100, ms: 1000 };
    const [a, b, memory] = [
      await nodeFor(t, redis.url, { tradeIdWindow: window }),
      await nodeFor(t, redis.url, { tradeIdWindow: window }),
      await serverFor(t, { feed: 'none', publishToken: PUBLISH_TOKEN, publishRate: 0, tradeIdWindow: window }),
    ];
    const symbol = 'RID-5';
    const t0 = Date.now();
    const old = withIds(symbol, t0, 2, 'old');
    for (const node of [a, memory]) assert.deepEqual(await post(node, old), { accepted: 2, duplicates: 0 });
    for (const node of [b, memory]) assert.deepEqual(await post(node, old.slice(0, 1)), { accepted: 0, duplicates: 1 });
    await delay(600);
    // A newer id (the zset's expiry moves on with it), then past the old ids' window only.
    const newer = withIds(symbol, t0 + 10, 1, 'new');
    for (const node of [a, memory]) assert.deepEqual(await post(node, newer), { accepted: 1, duplicates: 0 });
    await delay(500);
    for (const node of [b, memory]) assert.deepEqual(await post(node, [...old, ...newer]), { accepted: 2, duplicates: 1 });
    await assertSameBars(symbol, a, memory);
  });
});
