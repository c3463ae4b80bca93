// Portfolio and state topics on Redis answer as one node in memory does: trades posted to any
// node re-mark every portfolio holding their symbols (the same updates, totals the sums of the
// rows), and a client with `compact` resumes a portfolio with one update and a state document
// with one merged patch; clients without it get the exact replay or a snapshot, as before.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { applyUpdateOfKind, cloneData, sumPositions, type JsonObject, type PortfolioSnapshotData, type Trade } from '../../src/protocol/index.js';
import type { MarketServer } from '../../server/app.js';
import { RedisEngine } from '../../server/engine/redis-engine.js';
import { holdersKey } from '../../server/engine/redis-scripts.js';
import { foldPortfolioChange } from '../../server/portfolio-folds.js';
import { RedisServer } from '../support/node/redis-server.js';
import { nodeFor, postTrades, PUBLISH_TOKEN } from '../support/node/redis-nodes.js';
import { resumeFrom, snapshotOf } from '../support/node/resume.js';
import { getJson, serverFor, TestClient, waitUntil, type Message } from '../support/node/server.js';

let redis: RedisServer;
before(async () => {
  redis = await RedisServer.start();
});
after(async () => {
  await redis.stop();
});

const T = Date.now() - 600_000;
const trade = (symbol: string, price: number, dt: number): Trade => ({ symbol, price, size: 1, time: T + dt });

function post(httpUrl: string, account: string, body: unknown) {
  return getJson(`${httpUrl}/api/portfolio/${account}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${PUBLISH_TOKEN}` },
    body: JSON.stringify(body),
  });
}

/** One step fed to both sides: a position publish to an account, or a batch of trades. */
type Step = { account: string; body: unknown } | { trades: Trade[] };

/** Where a side's publishes go: Redis posts to one node and trades to another; memory is one node. */
interface Side {
  postTo: MarketServer;
  tradesTo: MarketServer;
}

async function feed(side: Side, steps: readonly Step[]): Promise<void> {
  for (const step of steps) {
    if ('trades' in step) assert.equal(await postTrades(side.tradesTo.httpUrl, step.trades), 200);
    else {
      const answer = await post(side.postTo.httpUrl, step.account, step.body);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
  }
}

async function rest(server: { httpUrl: string }, topic: string): Promise<{ epoch: string; seq: number; data: any }> {
  const { status, body } = await getJson(`${server.httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
  assert.equal(status, 200);
  return body;
}

/** The snapshot and updates of `topic` a client got, each update's totals checked against the sums of the rows it leaves. */
function portfolioStream(client: TestClient, topic: string): { snapshot: Message; updates: Message[]; state: PortfolioSnapshotData } {
  const snapshot = client.messages.find((m) => m.op === 'snapshot' && m.topic === topic)!;
  let state = cloneData(snapshot.data) as PortfolioSnapshotData;
  const updates = client.all((m) => m.op === 'update' && m.topic === topic);
  for (const update of updates) {
    state = applyUpdateOfKind('portfolio', state, update.data) as PortfolioSnapshotData;
    assert.deepEqual(state.totals, sumPositions(state.positions), `totals at seq ${update.seq} are the sums of the rows`);
  }
  return { snapshot, updates, state };
}

/** Two Redis nodes and one memory node, for one test. */
async function sides(t: TestContext, options: { exactHistory?: number; history?: number } = {}) {
  const a = await nodeFor(t, redis.url, options);
  const b = await nodeFor(t, redis.url, options);
  const memory = await serverFor(t, { feed: 'none', publishToken: PUBLISH_TOKEN, publishRate: 0, ...options });
  return { a, b, memory, onRedis: { postTo: a, tradesTo: b }, onMemory: { postTo: memory, tradesTo: memory } };
}

describe('redis portfolio and state topics', () => {
  test('trades posted to node B re-mark the portfolios posted via node A: the updates one node in memory sends, totals the sums of the rows', async (t) => {
    const { a, b, memory, onRedis, onMemory } = await sides(t);
    const start: Step[] = [
      { trades: [trade('RM-X', 100.25, 0), trade('RM-Y', 50.5, 0)] },
      {
        account: 'rm-acme',
        body: {
          currency: 'USD',
          positions: [
            { symbol: 'RM-X', qty: 2, avgPrice: 99 },
            { symbol: 'RM-Y', qty: 10, avgPrice: 51, realizedPnl: 3.5 },
            { symbol: 'RM-Z', qty: 3, avgPrice: 7, lastPrice: 7.5 },
          ],
        },
      },
      { account: 'rm-beta', body: { positions: [{ symbol: 'RM-X', qty: 0.5, avgPrice: 101 }] } },
    ];
    await feed(onRedis, start);
    await feed(onMemory, start);
    const clients = { redisAcme: await TestClient.connect(a), redisBeta: await TestClient.connect(b), memAcme: await TestClient.connect(memory), memBeta: await TestClient.connect(memory) };
    t.after(() => Object.values(clients).forEach((c) => c.close()));
    await snapshotOf(clients.redisAcme, 'portfolio:rm-acme');
    await snapshotOf(clients.redisBeta, 'portfolio:rm-beta');
    await snapshotOf(clients.memAcme, 'portfolio:rm-acme');
    await snapshotOf(clients.memBeta, 'portfolio:rm-beta');

    const steps: Step[] = [
      { trades: [trade('RM-X', 101, 1)] }, // both accounts
      { trades: [trade('RM-X', 101.5, 2), trade('RM-Y', 50.75, 2), trade('RM-X', 102, 3), trade('RM-Y', 49, 1)] }, // Y's last one is late: older than its mark
      { trades: [trade('RM-Z', 8, 4)] }, // Z's first trade re-marks the posted lastPrice
      { trades: [trade('RM-Z', 9, 3)] }, // late: nothing
      { trades: [trade('RM-X', 102, 5)] }, // the same price: nothing
      { trades: [trade('RM-X', 103, 6), trade('RM-X', 102, 7)] }, // up and back within a batch: the rows go out again
      { trades: [trade('RM-W', 5, 8)] }, // held by nobody
      { account: 'rm-acme', body: { positions: [], removed: ['RM-Y'] } },
      { trades: [trade('RM-Y', 48, 9)] }, // no longer held
      { account: 'rm-acme', body: { positions: [{ symbol: 'RM-Y', qty: 1, avgPrice: 48.5 }] } }, // back, marked from its newest trade
      { trades: [trade('RM-Y', 47.25, 10), trade('RM-X', 99.5, 10), trade('RM-Z', 8.125, 10)] },
      { account: 'rm-beta', body: { positions: [{ symbol: 'RM-Z', qty: 4, avgPrice: 8 }], replace: true } }, // beta: X goes, Z comes
      { trades: [trade('RM-X', 98, 11), trade('RM-Z', 8.5, 11)] },
    ];
    await feed(onRedis, steps);
    await feed(onMemory, steps);

    for (const account of ['rm-acme', 'rm-beta']) {
      const topic = `portfolio:${account}`;
      const [redisClient, memClient] = account === 'rm-acme' ? [clients.redisAcme, clients.memAcme] : [clients.redisBeta, clients.memBeta];
      const last = (await rest(a, topic)).seq;
      assert.equal(last, (await rest(memory, topic)).seq, `${topic}: as many updates as in memory`);
      await waitUntil(() => redisClient.all((m) => m.op === 'update' && m.seq === last).length === 1, 5000, `${topic} update ${last}`);
      const fromRedis = portfolioStream(redisClient, topic);
      const fromMemory = portfolioStream(memClient, topic);
      assert.deepEqual(fromRedis.snapshot.data, fromMemory.snapshot.data, `${topic}: the snapshot`);
      assert.deepEqual(
        fromRedis.updates.map((m) => [m.seq, m.data]),
        fromMemory.updates.map((m) => [m.seq, m.data]),
        `${topic}: the updates`,
      );
      assert.deepEqual(fromRedis.state, (await rest(b, topic)).data, `${topic}: the client's rows are the server's`);
      assert.deepEqual((await rest(b, topic)).data, (await rest(memory, topic)).data);
    }
    // One update per trade batch that moved a held row (six of them), plus the row posted again.
    assert.equal(portfolioStream(clients.redisAcme, 'portfolio:rm-acme').updates.filter((m) => m.data.removed.length === 0 && m.data.positions.length > 0).length, 7);
    // The index lists each account under the symbols it holds.
    const admin = await redis.client();
    assert.deepEqual((await admin.smembers(holdersKey('RM-Y'))).sort(), ['rm-acme']);
    assert.deepEqual((await admin.smembers(holdersKey('RM-X'))).sort(), ['rm-acme']);
    assert.deepEqual((await admin.smembers(holdersKey('RM-Z'))).sort(), ['rm-acme', 'rm-beta']);
  });

  test('trades on two nodes racing posts that remove and add rows: every held row ends marked from its newest trade, each holder listed, totals the sums of rows', async (t) => {
    const a = await nodeFor(t, redis.url);
    const b = await nodeFor(t, redis.url);
    const symbols = ['RC-1', 'RC-2', 'RC-3'];
    await a.publishTradesAsync(symbols.map((symbol, i) => trade(symbol, 10 + i, 0)));
    const rows = (...held: string[]) => held.map((symbol, i) => ({ symbol, qty: 1 + i, avgPrice: 10 }));
    for (const account of ['rc-one', 'rc-two']) assert.equal((await post(a.httpUrl, account, { positions: rows(...symbols) })).status, 200);
    const watchers = [await TestClient.connect(a), await TestClient.connect(b)];
    t.after(() => watchers.forEach((c) => c.close()));
    await snapshotOf(watchers[0]!, 'portfolio:rc-one');
    await snapshotOf(watchers[1]!, 'portfolio:rc-two');
    const trading = (async () => {
      for (let i = 1; i <= 60; i++) {
        const batch = symbols.filter((_, k) => (i + k) % 2 === 0).map((symbol, k) => trade(symbol, 10 + ((i * 7 + k) % 11) / 4, i));
        assert.equal(await postTrades((i % 2 ? a : b).httpUrl, batch), 200);
      }
    })();
    // rc-one: RC-2 removed through one node while it is posted again through the other; rc-two: replaced whole.
    const posting = (node: MarketServer, account: string, body: (i: number) => unknown) =>
      (async () => {
        for (let i = 0; i < 40; i++) {
          const answer = await post(node.httpUrl, account, body(i));
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
        }
      })();
    await Promise.all([
      trading,
      posting(a, 'rc-one', () => ({ positions: [], removed: ['RC-2'] })),
      posting(b, 'rc-one', (i) => ({ positions: rows('RC-2', 'RC-1').map((row) => ({ ...row, qty: row.qty + i })) })),
      posting(b, 'rc-two', (i) => ({ positions: rows(...(i % 2 ? ['RC-3', 'RC-1'] : ['RC-2'])), replace: true })),
    ]);
    const admin = await redis.client();
    for (const [account, watcher] of [['rc-one', watchers[0]!], ['rc-two', watchers[1]!]] as const) {
      const topic = `portfolio:${account}`;
      const now = await rest(b, topic);
      await waitUntil(() => watcher.all((m) => m.op === 'update' && m.seq === now.seq).length === 1, 5000, `${topic} update ${now.seq}`);
      assert.deepEqual(portfolioStream(watcher, topic).state, now.data, `${topic}: the client's rows are the server's`);
      assert.deepEqual(now.data.totals, sumPositions(now.data.positions));
      for (const row of now.data.positions as Array<{ symbol: string; lastPrice: number }>) {
        const mark = await admin.hget(`lmw:{c:${row.symbol}}:p`, 'mark');
        assert.equal(row.lastPrice, Number(mark), `${topic} ${row.symbol}: marked from its newest trade`);
        assert.equal(await admin.sismember(holdersKey(row.symbol), account), 1, `${topic} listed under ${row.symbol}`);
      }
    }
  });

  test('a trade stored between the marks a post folded with and the post itself re-marks the posted row after it', async (t) => {
    const engines = [0, 1].map(() => new RedisEngine({ url: redis.url, history: 64, exactHistory: 64, maxBars: 2_000, eventsKept: 100 }));
    await Promise.all(engines.map((e) => e.connect()));
    t.after(() => Promise.all(engines.map((e) => e.close())));
    const [one, other] = engines as [RedisEngine, RedisEngine];
    await other.publishTrades([trade('RP-1', 10, 0)]);
    const change = { positions: [{ symbol: 'RP-1', qty: 2, avgPrice: 9 }] };
    const initial: PortfolioSnapshotData = { account: 'rp-acme', currency: 'USD', positions: [], totals: sumPositions([]) };
    let traded = false;
    const seq = await one.portfolios.post('rp-acme', ['RP-1'], initial, await one.marks(['RP-1']), async (doc, markTimes, marks) => {
      assert.equal(marks.get('RP-1')!.price, 10);
      if (!traded) {
        traded = true;
        await other.publishTrades([trade('RP-1', 11, 1)]); // its re-mark finds no row yet
      }
      return foldPortfolioChange(doc, change, marks, markTimes);
    });
    assert.equal(seq, 1);
    const now = await one.snapshot('portfolio:rp-acme');
    assert.equal(now.seq, 2, 'the post, then its re-mark');
    const row = (now.data as PortfolioSnapshotData).positions[0]!;
    assert.deepEqual([row.lastPrice, row.marketValue, row.unrealizedPnl], [11, 22, 4]);
  });

  test('a compact client away for many portfolio updates resumes on another node with one update that ends at the snapshot, as in memory', async (t) => {
    const { a, b, memory, onRedis, onMemory } = await sides(t, { exactHistory: 4 });
    const start: Step[] = [
      { trades: [trade('CP-A', 10, 0), trade('CP-B', 20, 0)] },
      {
        account: 'cp-acme',
        body: {
          positions: [
            { symbol: 'CP-A', qty: 1, avgPrice: 9 },
            { symbol: 'CP-B', qty: 2, avgPrice: 19 },
            { symbol: 'CP-C', qty: 3, avgPrice: 30, lastPrice: 31 },
            { symbol: 'CP-D', qty: 4, avgPrice: 40, lastPrice: 41 },
          ],
        },
      },
    ];
    await feed(onRedis, start);
    await feed(onMemory, start);
    const held: Record<string, { epoch: string; seq: number; data: unknown }> = {};
    for (const [name, server] of [['redis', a], ['memory', memory]] as const) {
      const client = await TestClient.connect(server, { caps: ['compact'] });
      held[name] = await snapshotOf(client, 'portfolio:cp-acme');
      client.close();
    }
    const steps: Step[] = [];
    for (let i = 1; i <= 20; i++) steps.push({ trades: [trade('CP-A', 10 + i / 4, i)] });
    steps.push({ account: 'cp-acme', body: { positions: [], removed: ['CP-B'] } });
    steps.push({ account: 'cp-acme', body: { positions: [{ symbol: 'CP-E', qty: 1, avgPrice: 1, lastPrice: 1 }] } });
    steps.push({ account: 'cp-acme', body: { positions: [{ symbol: 'CP-B', qty: 9, avgPrice: 22 }] } }); // back, now after E
    steps.push({ account: 'cp-acme', body: { positions: [{ symbol: 'CP-F', qty: 1, avgPrice: 1, lastPrice: 1 }] } });
    steps.push({ account: 'cp-acme', body: { positions: [], removed: ['CP-F'] } }); // came and went
    for (let i = 21; i <= 30; i++) steps.push({ trades: [trade('CP-B', 20 + i / 8, i), trade('CP-C', 31 + i, i)] });
    await feed(onRedis, steps);
    await feed(onMemory, steps);
    const now = await rest(a, 'portfolio:cp-acme');
    assert.equal(now.seq, (await rest(memory, 'portfolio:cp-acme')).seq);
    assert.equal(held.redis!.seq, held.memory!.seq);
    assert.ok(now.seq - held.redis!.seq > 30, 'more than 30 updates missed');

    const onB = await TestClient.connect(b, { caps: ['compact'] });
    const onMem = await TestClient.connect(memory, { caps: ['compact'] });
    t.after(() => (onB.close(), onMem.close()));
    const fromRedis = await resumeFrom(onB, 'portfolio:cp-acme', held.redis!);
    const fromMemory = await resumeFrom(onMem, 'portfolio:cp-acme', held.memory!);
    assert.deepEqual([fromRedis.answer.recovered, fromRedis.answer.compacted, fromRedis.updates.length], [true, true, 1]);
    assert.equal(fromRedis.updates[0]!.seq, now.seq);
    assert.equal(fromRedis.answer.seq, now.seq);
    assert.deepEqual(fromRedis.state, now.data, 'the resumed rows, their order and totals are the snapshot');
    assert.deepEqual(
      (fromRedis.state as PortfolioSnapshotData).positions.map((p) => p.symbol),
      ['CP-A', 'CP-C', 'CP-D', 'CP-E', 'CP-B'],
    );
    assert.deepEqual(fromRedis.updates[0]!.data, fromMemory.updates[0]!.data, 'the same update as in memory');
    assert.deepEqual([fromMemory.answer.recovered, fromMemory.answer.compacted], [true, true]);
    // Compacted from a recent seq too, as in memory: one update.
    const recent = { epoch: now.epoch, seq: now.seq - 2, data: now.data };
    const near = await resumeFrom(onB, 'portfolio:cp-acme', recent);
    assert.deepEqual([near.answer.recovered, near.answer.compacted, near.updates.length], [true, true, 1]);
    assert.deepEqual(near.updates[0]!.data.positions.map((p: { symbol: string }) => p.symbol), ['CP-C', 'CP-B']); // in state order

    // Without compact: the exact updates within the exact history, else a snapshot.
    const plain = await TestClient.connect(a);
    t.after(() => plain.close());
    const exact = await resumeFrom(plain, 'portfolio:cp-acme', { epoch: now.epoch, seq: now.seq - 3, data: (await rest(memory, 'portfolio:cp-acme')).data });
    assert.deepEqual([exact.answer.recovered, exact.answer.compacted], [true, undefined]);
    assert.deepEqual(exact.updates.map((m) => m.seq), [now.seq - 2, now.seq - 1, now.seq]);
    const gone = await resumeFrom(plain, 'portfolio:cp-acme', held.redis!);
    assert.equal(gone.answer.recovered, false);
    assert.deepEqual(gone.snapshot!.data, now.data);
  });

  test('a compact client resumes a Redis state document with one merged patch, as in memory; patches no single one can express replay exactly', async (t) => {
    const { a, b, memory } = await sides(t, { history: 30 });
    const put = { op: 'put' as const, doc: { a: 0, b: { x: 0 }, k: { n: 1 }, list: [0] } };
    await a.publishAsync('state:cs-risk', put);
    memory.putState('cs-risk', put.doc);
    const held: Record<string, { epoch: string; seq: number; data: unknown }> = {};
    for (const [name, server] of [['redis', b], ['memory', memory]] as const) {
      const client = await TestClient.connect(server, { caps: ['compact'] });
      held[name] = await snapshotOf(client, 'state:cs-risk');
      client.close();
    }
    const patches: JsonObject[] = [{ a: 1 }, { b: { x: 1 } }, { b: { y: 2 } }, { a: null }, { c: [1, 2] }];
    for (let i = 0; i < 15; i++) patches.push({ b: { [`m${i % 5}`]: i }, list: [i] });
    for (const [i, patch] of patches.entries()) {
      await (i % 2 ? a : b).publishAsync('state:cs-risk', { op: 'patch', patch });
      memory.patchState('cs-risk', patch);
    }
    const now = await rest(a, 'state:cs-risk');
    assert.deepEqual(now.data, (await rest(memory, 'state:cs-risk')).data);

    const plain = await TestClient.connect(a);
    t.after(() => plain.close());
    const exact = await resumeFrom(plain, 'state:cs-risk', held.redis!);
    assert.deepEqual([exact.answer.recovered, exact.answer.compacted, exact.updates.length], [true, undefined, 20], 'a client without compact: every patch');
    const onA = await TestClient.connect(a, { caps: ['compact'] });
    const onMem = await TestClient.connect(memory, { caps: ['compact'] });
    t.after(() => (onA.close(), onMem.close()));
    const one = await resumeFrom(onA, 'state:cs-risk', held.redis!);
    const fromMemory = await resumeFrom(onMem, 'state:cs-risk', held.memory!);
    assert.deepEqual([one.answer.recovered, one.answer.compacted, one.updates.length], [true, true, 1]);
    assert.equal(one.updates[0]!.seq, now.seq);
    assert.deepEqual(one.updates[0]!.data, fromMemory.updates[0]!.data, 'the patch memory composes');
    assert.deepEqual(one.state, now.data);

    // k set to a number, then an object merged into it: no merge patch says "replace k" from the old k.
    const held2 = { epoch: one.answer.epoch, seq: one.answer.seq, data: one.state };
    await b.publishAsync('state:cs-risk', { op: 'patch', patch: { k: 5 } });
    await a.publishAsync('state:cs-risk', { op: 'patch', patch: { k: { m: 2 } } });
    const both = await resumeFrom(onA, 'state:cs-risk', held2);
    assert.deepEqual([both.answer.recovered, both.answer.compacted, both.updates.length], [true, undefined, 2]);
    assert.deepEqual(both.state, (await rest(b, 'state:cs-risk')).data);

    // Past the kept patches (--history 30): a snapshot, compact or not.
    for (let i = 0; i < 31; i++) await a.publishAsync('state:cs-risk', { op: 'patch', patch: { n: i } });
    const late = await resumeFrom(onA, 'state:cs-risk', held2);
    assert.equal(late.answer.recovered, false);
    assert.deepEqual(late.snapshot!.data, (await rest(a, 'state:cs-risk')).data);
  });
});
