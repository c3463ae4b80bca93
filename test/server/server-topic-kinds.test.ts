// events:, state: and published portfolio: topics on the wire: what a client rebuilds equals the server's
// snapshot after every update, resume replays exactly, the Node publishing API, and the demo's own publishing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyUpdateOfKind, cloneData, parseTopic, sumPositions, type PortfolioSnapshotData } from '../../src/protocol/index.js';
import { MAX_PUBLISHED_TOPICS, PublishError } from '../../server/publisher.js';
import { getJson, serverFor, TestClient, waitUntil, type Message } from '../support/node/server.js';

const TOKEN = 'publish-secret';

/** Applies an update by its topic's kind; returns the new state (a state: applier gives a new document). */
function apply(topic: string, state: unknown, data: unknown): unknown {
  const parsed = parseTopic(topic);
  if (!parsed.ok) throw new Error(`bad topic ${topic}`);
  return applyUpdateOfKind(parsed.topic.kind, state, data);
}

const restSnapshot = async (server: { httpUrl: string }, topic: string) => (await getJson(`${server.httpUrl}/api/snapshot?topic=${topic}`)).body;

describe('topic names', () => {
  test('well-formed but unpublished is unknown_topic; malformed is bad_request', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const client = await TestClient.connect(server);
    for (const [topic, code] of [
      ['events:nobody', 'unknown_topic'],
      ['state:nothing', 'unknown_topic'],
      ['portfolio:acme', 'unknown_topic'],
      ['events:a:b', 'bad_request'],
      ['events:', 'bad_request'],
      ['state:has space', 'bad_request'],
      [`state:${'k'.repeat(65)}`, 'bad_request'],
      ['stuff:x', 'bad_request'],
    ] as const) {
      const answer = await client.sub(topic);
      assert.equal(answer.op, 'error', topic);
      assert.equal(answer.code, code, topic);
    }
    client.close();
  });
});

describe('state: topics', () => {
  test('patches compose: after every update the client document equals GET /api/snapshot', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    server.putState('curve', { '1y': 4.1, '2y': 4.0, meta: { source: 'desk', flags: ['a'] } });
    const client = await TestClient.connect(server);
    await client.sub('state:curve');
    const snapshot = await client.next((m) => m.op === 'snapshot');
    let doc = cloneData(snapshot.data);
    assert.deepEqual(doc, (await restSnapshot(server, 'state:curve')).data);
    const changes: Array<() => unknown> = [
      () => server.patchState('curve', { '1y': 4.2 }),
      () => server.patchState('curve', { meta: { flags: ['a', 'b'], owner: { name: 'x' } } }),
      () => server.patchState('curve', { meta: { source: null } }),
      () => server.putState('curve', { '1y': 4.2, '5y': 3.9, meta: { owner: { name: 'y' } } }),
      () => server.publish('state:curve', { op: 'patch', patch: { '5y': null, '10y': 3.7, meta: null } }),
      () => server.publish('state:curve', { op: 'put', doc: { only: true } }),
    ];
    let seq = snapshot.seq;
    for (const change of changes) {
      change();
      const update = await client.next((m) => m.op === 'update');
      assert.equal(update.seq, ++seq);
      doc = apply('state:curve', doc, update.data);
      const rest = await restSnapshot(server, 'state:curve');
      assert.equal(rest.seq, seq);
      assert.deepEqual(doc, rest.data, `after seq ${seq}`);
    }
    assert.deepEqual(doc, { only: true });
    client.close();
  });

  test('an update carries only what changed', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    server.putState('k', { a: 1, b: { c: 2, d: 3 }, e: [1] });
    const client = await TestClient.connect(server);
    await client.sub('state:k');
    await client.next((m) => m.op === 'snapshot');
    server.putState('k', { a: 1, b: { c: 2, d: 4 } });
    assert.deepEqual((await client.next((m) => m.op === 'update')).data, { b: { d: 4 }, e: null });
    client.close();
  });
});

describe('events: topics', () => {
  test('resume replays exactly the missed events, even past the snapshot size, then live ones', async (t) => {
    const server = await serverFor(t, { feed: 'none', eventsKept: 5 });
    for (let i = 0; i < 3; i++) server.publishEvent('bus', { type: 'step', time: 1000 + i, data: { i } });
    const first = await TestClient.connect(server);
    await first.sub('events:bus');
    const snapshot = await first.next((m) => m.op === 'snapshot');
    assert.equal(snapshot.seq, 3);
    first.close();

    const missed = Array.from({ length: 8 }, (_, k) => ({ type: k % 2 ? 'alert' : 'step', time: 2000 + k, id: `m${k}`, data: { k } }));
    server.publishEvent('bus', missed);
    const second = await TestClient.connect(server);
    const answer = await second.sub('events:bus', { epoch: server.epoch, seq: 3 });
    assert.deepEqual([answer.recovered, answer.seq], [true, 11]);
    server.publishEvent('bus', { type: 'live', time: 3000, data: 'after' });
    const updates: Message[] = [];
    while (updates.length < 9) updates.push(await second.next((m) => m.op === 'update'));
    assert.deepEqual(updates.map((u) => u.seq), [4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(updates.slice(0, 8).map((u) => u.data), missed, 'the missed events, exactly');
    assert.equal(second.all((m) => m.op === 'snapshot').length, 0);
    let state = cloneData(snapshot.data);
    for (const u of updates) state = apply('events:bus', state, u.data);
    const rest = await restSnapshot(server, 'events:bus');
    assert.equal(rest.seq, 12);
    assert.deepEqual(state, rest.data, 'the client list (trimmed to max) equals the server snapshot');
    assert.equal(rest.data.events.length, 5);
    second.close();
  });

  test('the same id published twice is delivered and stored once', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    server.publishEvent('orders', { type: 'created', id: 'o-1', data: 1 });
    const client = await TestClient.connect(server);
    await client.sub('events:orders');
    await client.next((m) => m.op === 'snapshot');
    assert.deepEqual(server.publishEvent('orders', { type: 'created', id: 'o-1', data: 1 }), { topic: 'events:orders', seq: 1, stored: 0 });
    server.publishEvent('orders', [{ type: 'created', id: 'o-2', data: 2 }, { type: 'created', id: 'o-2', data: 2 }]);
    const update = await client.next((m) => m.op === 'update');
    assert.equal(update.data.id, 'o-2');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(client.all((m) => m.op === 'update').length, 1);
    assert.deepEqual((await restSnapshot(server, 'events:orders')).data.events.map((e: any) => e.id), ['o-1', 'o-2']);
    client.close();
  });
});

describe('published portfolios', () => {
  test('totals equal the rows after every update, and the client rows equal the server snapshot', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    server.publishTrades([{ symbol: 'AAA', price: 10, size: 1, time: 1 }]);
    server.upsertPositions('acme', [{ symbol: 'AAA', qty: 3, avgPrice: 9.5 }], { currency: 'USD' });
    const client = await TestClient.connect(server);
    await client.sub('portfolio:acme');
    let state = cloneData((await client.next((m) => m.op === 'snapshot')).data) as PortfolioSnapshotData;
    const steps: Array<() => unknown> = [
      () => server.upsertPositions('acme', [{ symbol: 'BBB', qty: 7, avgPrice: 1.1, lastPrice: 1.3, realizedPnl: 0.07 }]),
      () => server.publishTrades([{ symbol: 'AAA', price: 10.37, size: 1, time: 2 }]),
      () => server.upsertPositions('acme', [{ symbol: 'AAA', qty: 4.5, avgPrice: 9.9 }]),
      () => server.publishTrades([{ symbol: 'BBB', price: 1.21, size: 1, time: 3 }]), // the server has BBB now: marked from it
      () => server.removePositions('acme', ['AAA']),
      () => server.publish('portfolio:acme', { positions: [{ symbol: 'CCC', qty: 0.1, avgPrice: 0.3, lastPrice: 0.7 }], replace: true }),
    ];
    for (const step of steps) {
      step();
      const update = await client.next((m) => m.op === 'update');
      state = apply('portfolio:acme', state, update.data) as PortfolioSnapshotData;
      assert.deepEqual(state.totals, sumPositions(state.positions), `totals at seq ${update.seq}`);
      const rest = await restSnapshot(server, 'portfolio:acme');
      assert.deepEqual(state, rest.data, `client equals server at seq ${update.seq}`);
    }
    assert.deepEqual(state.positions.map((p) => p.symbol), ['CCC']);
    client.close();
  });

  test('a trade of a held symbol re-marks the row (from the symbol’s own trades)', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    server.upsertPositions('acme', [{ symbol: 'XYZ', qty: 2, avgPrice: 100, lastPrice: 101 }]);
    server.publishTrades([{ symbol: 'XYZ', price: 110, size: 1, time: Date.now() }]);
    const row = (await restSnapshot(server, 'portfolio:acme')).data.positions[0];
    assert.deepEqual([row.lastPrice, row.marketValue, row.unrealizedPnl], [110, 220, 20]);
  });
});

describe('Node publishing API', () => {
  test('refuses bad input with a PublishError naming the field, and applies nothing', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    assert.throws(() => server.publishEvent('c', [{ type: 'ok', data: 1 }, { type: 5 as unknown as string, data: 1 }]), (e: unknown) => e instanceof PublishError && /events\[1\]\.type/.test(e.message));
    assert.equal((await getJson(`${server.httpUrl}/api/snapshot?topic=events:c`)).status, 404);
    assert.throws(() => server.putState('k', [] as unknown as Record<string, unknown>), TypeError);
    assert.throws(() => server.publish('candles:AAA:1m', { positions: [] }), /publishTrades/);
    assert.throws(() => server.publish('state:k', { positions: [] }), /op: "put"/);
    assert.throws(() => server.publish('nope', { positions: [] }), /bad topic/);
    assert.throws(() => server.upsertPositions('acme', [{ symbol: 'NEW', qty: 1, avgPrice: 1 }]), /lastPrice is required/);
    assert.equal(server.publish('events:c', { type: 'ok', data: 1 }).seq, 1);
  });

  test('publishing creates at most MAX_PUBLISHED_TOPICS topics; existing ones keep taking changes', async (t) => {
    const server = await serverFor(t, { feed: 'none', history: 1 });
    for (let i = 1; i <= MAX_PUBLISHED_TOPICS; i++) server.putState(`k${i}`, { i });
    assert.throws(() => server.publishEvent('one-too-many', { type: 't', data: 1 }), /at most 10000 published topics/);
    assert.throws(() => server.upsertPositions('acme', [{ symbol: 'A', qty: 1, avgPrice: 1, lastPrice: 1 }]), /published topics/);
    assert.equal((await getJson(`${server.httpUrl}/api/snapshot?topic=events:one-too-many`)).status, 404);
    assert.equal(server.patchState('k1', { j: 2 }).seq, 2, 'an existing topic still takes changes');
  });
});

describe('the demo publishes every kind', () => {
  test('simulated fills go out as trade_executed events on events:fills; state:market follows the trades', async (t) => {
    const server = await serverFor(t, { symbols: ['BTC-USD', 'AAPL'], rate: 20, tickMs: 20, fillRate: 30, seed: 3 });
    await waitUntil(async () => (await getJson(`${server.httpUrl}/api/snapshot?topic=events:fills`)).status === 200, 5000, 'a fill event');
    const fills = (await restSnapshot(server, 'events:fills')).data.events;
    assert.equal(fills[0].type, 'trade_executed');
    assert.equal(fills[0].data.account, 'demo');
    assert.ok(['buy', 'sell'].includes(fills[0].data.side));
    assert.ok(fills[0].data.qty > 0 && fills[0].data.price > 0);
    await waitUntil(async () => (await getJson(`${server.httpUrl}/api/snapshot?topic=state:market`)).status === 200, 3000, 'the market document');
    const market = (await restSnapshot(server, 'state:market')).data;
    assert.ok(market['BTC-USD'].last > 0);
    assert.ok(market['AAPL'].trades > 0);
  });
});
