// Resume (sub with since), gaps, and the rule that a snapshot plus the updates after it equals a later snapshot.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyUpdateOfKind,
  cloneData,
  parseTopic,
  sumPositions,
  type Bar,
  type PortfolioSnapshotData,
} from '../../src/protocol/index.js';
import { MemoryEngine } from '../../server/engine/memory-engine.js';
import { delay, getJson, serverFor, TestClient, waitUntil, type Message } from '../support/node/server.js';

const trade = (symbol: string, price: number, time: number, size = 1) => ({ symbol, price, size, time });
const T0 = Date.UTC(2030, 0, 1);

/** Applies an update to a topic's state by the kind its name gives. */
function applyToTopic(topic: string, state: unknown, data: unknown): void {
  const parsed = parseTopic(topic);
  if (!parsed.ok) throw new Error(`bad topic ${topic}`);
  applyUpdateOfKind(parsed.topic.kind, state, data);
}

/** Publishes n trades of AAA one second apart (one update per trade on candles:AAA:1s). */
function publishSeconds(server: { publishTrades: (t: ReturnType<typeof trade>[]) => void }, from: number, n: number): void {
  for (let i = 0; i < n; i++) server.publishTrades([trade('AAA', 100 + ((from + i) % 7), T0 + (from + i) * 1000)]);
}

describe('resume', () => {
  test('since in history: recovered:true, exactly the missed updates in order, then live ones', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    publishSeconds(server, 0, 5); // seq 1..5
    const first = await TestClient.connect(server);
    await first.sub('candles:AAA:1s');
    const snapshot = await first.next((m) => m.op === 'snapshot');
    assert.equal(snapshot.seq, 5);
    first.close();

    publishSeconds(server, 5, 4); // seq 6..9, missed
    const second = await TestClient.connect(server);
    const answer = await second.sub('candles:AAA:1s', { epoch: server.epoch, seq: 5 });
    assert.equal(answer.recovered, true);
    assert.equal(answer.seq, 9, 'subscribed.seq is the topic seq: the last missed update that follows');
    publishSeconds(server, 9, 2); // seq 10..11, live
    const updates: Message[] = [];
    while (updates.length < 6) updates.push(await second.next((m) => m.op === 'update'));
    assert.deepEqual(
      updates.map((u) => u.seq),
      [6, 7, 8, 9, 10, 11],
    );
    assert.equal(second.all((m) => m.op === 'snapshot').length, 0, 'no snapshot when recovered');
    // The recovered state equals the server's.
    const state = cloneData(snapshot.data);
    for (const u of updates) applyToTopic(u.topic, state, u.data);
    const rest = await getJson(`${server.httpUrl}/api/snapshot?topic=candles:AAA:1s`);
    assert.equal(rest.body.seq, 11);
    assert.deepEqual(state, rest.body.data);
    second.close();
  });

  test('since at the current seq recovers with nothing to replay', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    publishSeconds(server, 0, 3);
    const client = await TestClient.connect(server);
    const answer = await client.sub('candles:AAA:1s', { epoch: server.epoch, seq: 3 });
    assert.deepEqual([answer.recovered, answer.seq], [true, 3]);
    publishSeconds(server, 3, 1);
    assert.equal((await client.next((m) => m.op === 'update')).seq, 4);
    client.close();
  });

  test('another epoch (a restart) gets recovered:false and a snapshot', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    publishSeconds(server, 0, 3);
    const client = await TestClient.connect(server);
    const answer = await client.sub('candles:AAA:1s', { epoch: 'some-older-epoch', seq: 2 });
    assert.deepEqual([answer.recovered, answer.seq, answer.epoch], [false, 3, server.epoch]);
    const snapshot = await client.next((m) => m.op === 'snapshot');
    assert.equal(snapshot.seq, 3);
    assert.equal(snapshot.data.bars.length, 3);
    client.close();
  });

  test('a seq older than the exact history (a client without compaction) gets a snapshot; the oldest resumable seq still recovers', async (t) => {
    const server = await serverFor(t, { feed: 'none', exactHistory: 3 });
    publishSeconds(server, 0, 10); // the exact ring keeps 8, 9, 10
    const client = await TestClient.connect(server);
    const tooOld = await client.sub('candles:AAA:1s', { epoch: server.epoch, seq: 6 });
    assert.equal(tooOld.recovered, false);
    assert.equal((await client.next((m) => m.op === 'snapshot')).seq, 10);
    const oldest = await client.sub('candles:AAA:1s', { epoch: server.epoch, seq: 7 });
    assert.equal(oldest.recovered, true);
    const replayed = [await client.next((m) => m.op === 'update'), await client.next((m) => m.op === 'update'), await client.next((m) => m.op === 'update')];
    assert.deepEqual(
      replayed.map((u) => u.seq),
      [8, 9, 10],
    );
    client.close();
  });

  test('a seq ahead of the server gets a snapshot', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    publishSeconds(server, 0, 2);
    const client = await TestClient.connect(server);
    const answer = await client.sub('candles:AAA:1s', { epoch: server.epoch, seq: 50 });
    assert.equal(answer.recovered, false);
    assert.equal((await client.next((m) => m.op === 'snapshot')).seq, 2);
    client.close();
  });

  test('an injected gap withholds one update from subscribers; a resync with since recovers it', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    publishSeconds(server, 0, 1);
    const client = await TestClient.connect(server);
    await client.sub('candles:AAA:1s');
    await client.next((m) => m.op === 'snapshot');
    server.controls.injectGap('candles:AAA:1s');
    publishSeconds(server, 1, 2); // seq 2 withheld, seq 3 sent
    const update = await client.next((m) => m.op === 'update');
    assert.equal(update.seq, 3, 'the client sees seq jump by 2');
    const answer = await client.sub('candles:AAA:1s', { epoch: server.epoch, seq: 1 });
    assert.equal(answer.recovered, true);
    assert.deepEqual(
      [(await client.next((m) => m.op === 'update')).seq, (await client.next((m) => m.op === 'update')).seq],
      [2, 3],
    );
    assert.throws(() => server.controls.injectGap('candles:NOPE:1m'), /unknown topic/);
    client.close();
  });
});

describe('update text', () => {
  test('a candle update is the text of JSON.stringify, for awkward numbers too; non-finite ones fall back to it', () => {
    const engine = new MemoryEngine({ history: 10 });
    const topic = engine.candleSeries('AAA')[0]!;
    const sent: string[] = [];
    engine.follow(topic.name, { enqueue: (message) => sent.push(message.json) });
    const bars: Bar[] = [
      { time: 1, open: 100.125, high: 0.1 + 0.2, low: 5e-7, close: 123456789.123456, volume: 1e21, trades: 1 },
      { time: 2, open: -0, high: 2 ** 53, low: 1e-7, close: 7, volume: 0.000001, trades: 2 },
      { time: 3, open: 1, high: 1, low: 1, close: 1, volume: Infinity, trades: 3 },
      { time: 4, open: 1, high: 1, low: 1, close: Number.NaN, volume: 1, trades: 4 },
    ];
    bars.forEach((bar, i) => engine.publish(topic.name, bar, 1_700_000_000_000 + i));
    assert.deepEqual(
      sent,
      bars.map((data, i) => JSON.stringify({ op: 'update', topic: topic.name, seq: i + 1, time: 1_700_000_000_000 + i, data })),
    );
    assert.match(sent[2]!, /"volume":null/);
  });

  test('replayed updates are the bytes a live subscriber got, and the ones published while nobody followed are canonical JSON', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    server.publishTrades([trade('AAA', 100, T0 - 1000)]); // seq 1: the topic exists
    const live = await TestClient.connect(server);
    await live.sub('candles:AAA:1s');
    await live.next((m) => m.op === 'snapshot');
    const prices = [100.125, 0.1 + 0.2, 5e-7, 123456789.5, 3];
    prices.forEach((price, i) => server.publishTrades([trade('AAA', price, T0 + i * 1000, 0.1 + i / 3)])); // seq 2..6, sent live
    await waitUntil(() => live.all((m) => m.op === 'update').length === 5, 5000, 'five live updates');
    live.close();
    prices.forEach((price, i) => server.publishTrades([trade('AAA', price * 2, T0 + (5 + i) * 1000, 1 / 3)])); // seq 7..11, nobody follows

    const resumed = await TestClient.connect(server);
    assert.equal((await resumed.sub('candles:AAA:1s', { epoch: server.epoch, seq: 1 })).recovered, true);
    await waitUntil(() => resumed.all((m) => m.op === 'update').length === 10, 5000, 'ten replayed updates');
    // Every frame is exactly what JSON.stringify writes for what it carries.
    for (const frame of [...live.frames, ...resumed.frames]) assert.equal(JSON.stringify(JSON.parse(frame)), frame);
    const replayed = resumed.all((m) => m.op === 'update');
    assert.deepEqual(replayed.slice(0, 5), live.all((m) => m.op === 'update'));
    assert.deepEqual(replayed.map((m) => m.seq), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const snapshot = (await getJson(`${server.httpUrl}/api/snapshot?topic=candles:AAA:1s`)).body;
    assert.deepEqual(replayed.slice(5).map((m) => m.data), snapshot.data.bars.slice(-5));
    resumed.close();
  });
});

describe('snapshot + updates == later snapshot', () => {
  test('for every topic of a running simulator (candles and portfolio)', async (t) => {
    const server = await serverFor(t, { rate: 40, seed: 3, symbols: ['BTC-USD', 'AAPL'], fillRate: 20, tickMs: 20 });
    const topics = ['candles:BTC-USD:1s', 'candles:BTC-USD:1h', 'candles:AAPL:5s', 'portfolio:demo'];
    const client = await TestClient.connect(server);
    for (const topic of topics) await client.sub(topic);
    await delay(700);
    // Stop the feed's effect on what we compare: read the REST snapshot, then wait for the stream to reach its seq.
    const states = new Map<string, { seq: number; data: any }>();
    for (const m of client.messages) {
      if (m.op === 'snapshot') states.set(m.topic, { seq: m.seq, data: cloneData(m.data) });
      else if (m.op === 'update') {
        const s = states.get(m.topic)!;
        assert.equal(m.seq, s.seq + 1, `${m.topic} gapless`);
        applyToTopic(m.topic, s.data, m.data);
        s.seq = m.seq;
        if (m.topic.startsWith('portfolio')) {
          const data = s.data as PortfolioSnapshotData;
          assert.deepEqual(data.totals, sumPositions(data.positions), 'totals == row sums after every update');
        }
      }
    }
    for (const topic of topics) {
      const rest = await getJson(`${server.httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
      const s = states.get(topic)!;
      assert.ok(rest.body.seq >= s.seq);
      // Catch up on the updates that came after the REST read started.
      while (s.seq < rest.body.seq) {
        const find = () => client.messages.find((x) => x.op === 'update' && x.topic === topic && x.seq === s.seq + 1);
        await waitUntil(() => find() !== undefined, 5000, `${topic} update ${s.seq + 1}`);
        const m = find()!;
        applyToTopic(topic, s.data, m.data);
        s.seq = m.seq;
      }
      // The REST answer is the state at rest.body.seq; the stream's state at that seq must equal it.
      assert.ok(s.seq > 0, `${topic} had updates`);
      assert.equal(rest.body.epoch, server.epoch);
      assert.deepEqual(s.data, rest.body.data, topic);
    }
    client.close();
  });
});
