// Replies under real dashboards: what a client asks for is written at its pace, in order with the
// live updates, and a reader of any speed gets all of it without 4408. Only a client that stops
// taking data is cut (within slowConsumerMs), and stalled clients leave the server's memory bounded.
// Real server (in a child process for the memory check), real `ws` clients, a throttling proxy.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { applyCandleUpdate, CloseCode, type Bar, type CandleSnapshotData } from '../../src/protocol/index.js';
import type { MarketServer } from '../../server/app.js';
import { startMarketServer } from '../../server/app.js';
import { startChildServer } from './stress/harness.js';
import { delay, getJson, metricValue, serverFor, TestClient, waitUntil, type Message } from '../support/node/server.js';
import { startThrottleProxy } from '../support/node/throttle-proxy.js';

const T0 = Date.UTC(2030, 0, 1);
const symbolsOf = (n: number) => Array.from({ length: n }, (_, i) => `S${String(i).padStart(2, '0')}-USD`);
const FOUR = ['1s', '5s', '1m', '5m'] as const;
const topicsOf = (symbols: readonly string[]) => symbols.flatMap((s) => FOUR.map((i) => `candles:${s}:${i}`));

interface TopicRecord {
  subscribed?: Message;
  /** Seq of the last snapshot or update applied. */
  last?: number;
  snapshots: number;
  updates: number;
  state?: CandleSnapshotData;
}

/**
 * A lean protocol client for big bursts: keeps per-topic bookkeeping (and, with
 * `keepState`, the candle state) instead of every message, and checks that each topic's
 * stream is exact: snapshot at `subscribed.seq`, then seq + 1 every time.
 */
class Reader {
  readonly ws: WebSocket;
  readonly topics = new Map<string, TopicRecord>();
  readonly problems: string[] = [];
  readonly errors: Message[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  bytes = 0;
  closeCode: number | undefined;
  private readonly since = new Map<string, number>();
  private nextId = 1;

  constructor(
    url: string,
    private readonly keepState = false,
    /** Capabilities announced in `hello` (`compact`: takes compacted replays). */
    private readonly caps: string[] = [],
  ) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => {
        this.closeCode = code;
        resolve({ code, reason: reason.toString() });
      }),
    );
    this.ws.on('message', (data) => {
      const text = data.toString();
      this.bytes += text.length;
      const value = JSON.parse(text) as Message | Message[];
      for (const m of Array.isArray(value) ? value : [value]) this.onMessage(m);
    });
  }

  /** hello, then one `sub` per topic, all at once (as a page does on connect). */
  subscribeAll(topics: readonly string[], since?: (topic: string) => { epoch: string; seq: number } | undefined): void {
    this.ws.send(JSON.stringify({ op: 'hello', v: 1, ...(this.caps.length > 0 ? { caps: this.caps } : {}) }));
    for (const topic of topics) {
      const from = since?.(topic);
      if (from) this.since.set(topic, from.seq);
      this.ws.send(JSON.stringify({ op: 'sub', id: this.nextId++, topic, ...(from ? { since: from } : {}) }));
    }
  }

  /** Topics whose reply is complete: snapshot received, or the replay up to `subscribed.seq`. */
  started(): number {
    let n = 0;
    for (const record of this.topics.values())
      if (record.subscribed && record.last !== undefined && record.last >= (record.subscribed.seq as number)) n++;
    return n;
  }

  private onMessage(m: Message): void {
    if (m.op === 'error') this.errors.push(m);
    if (typeof m.topic !== 'string' || !['subscribed', 'snapshot', 'update'].includes(m.op)) return;
    let record = this.topics.get(m.topic);
    if (!record) this.topics.set(m.topic, (record = { snapshots: 0, updates: 0 }));
    if (m.op === 'subscribed') {
      record.subscribed = m;
      record.last = m.recovered ? this.since.get(m.topic) : undefined;
      if (m.recovered && record.last === undefined) this.problems.push(`${m.topic}: recovered without a since`);
      return;
    }
    if (!record.subscribed) {
      this.problems.push(`${m.topic}: ${m.op} before subscribed`);
      return;
    }
    if (m.op === 'snapshot') {
      record.snapshots++;
      if (m.seq !== record.subscribed.seq) this.problems.push(`${m.topic}: snapshot at ${m.seq}, subscribed at ${record.subscribed.seq}`);
      record.last = m.seq;
      if (this.keepState) record.state = m.data;
      return;
    }
    record.updates++;
    const end = record.subscribed.seq as number;
    if (record.last === undefined) this.problems.push(`${m.topic}: update ${m.seq} before the snapshot`);
    else if (record.subscribed.compacted && record.last < end) {
      // A compacted replay: seqs strictly increasing, up to subscribed.seq.
      if (m.seq <= record.last || m.seq > end) this.problems.push(`${m.topic}: compacted update ${m.seq} after ${record.last} (end ${end})`);
    } else if (m.seq !== record.last + 1) this.problems.push(`${m.topic}: update ${m.seq} after ${record.last}`);
    record.last = m.seq;
    if (this.keepState && record.state) applyCandleUpdate(record.state, m.data as Bar);
  }
}

/** The raw socket under a ws client (to stop reading). */
const rawSocket = (ws: WebSocket) => (ws as unknown as { _socket: import('node:net').Socket })._socket;

describe('a reader with 120 topics (30 symbols x 4 intervals, max-subscriptions 200)', () => {
  let server: MarketServer;
  const symbols = symbolsOf(30);
  const topics = topicsOf(symbols);
  before(async () => {
    server = await startMarketServer({ port: 0, symbols, maxSubscriptions: 200 });
  });
  after(() => server.close());

  async function subscribe120(url: string, t: { diagnostic(message: string): void }, what: string) {
    const reader = new Reader(url);
    await reader.opened;
    const started = Date.now();
    reader.subscribeAll(topics);
    await waitUntil(() => reader.started() === topics.length || reader.closeCode !== undefined, 90_000, `${what}: all 120 replies`);
    const elapsed = Date.now() - started;
    assert.equal(reader.closeCode, undefined, `${what}: closed (${reader.closeCode}) after ${reader.started()} of 120 replies`);
    // Live updates keep coming, exact, after the replies.
    const updates = [...reader.topics.values()].reduce((n, r) => n + r.updates, 0);
    await waitUntil(() => [...reader.topics.values()].reduce((n, r) => n + r.updates, 0) > updates + 50, 10_000, 'live updates');
    assert.deepEqual(reader.problems, []);
    assert.deepEqual(reader.errors, []);
    for (const topic of topics) assert.equal(reader.topics.get(topic)?.snapshots, 1, topic);
    assert.equal(reader.ws.readyState, WebSocket.OPEN, 'still open');
    t.diagnostic(`${what}: 120 subscribed + snapshots (${(reader.bytes / 1e6).toFixed(1)} MB) in ${elapsed} ms`);
    reader.ws.close();
    await reader.closed;
    return elapsed;
  }

  test('gets every subscribed + snapshot, in order with the live updates, and stays open (no 4408)', async (t) => {
    await subscribe120(server.url, t, 'loopback');
    assert.equal(await metricValue(server.httpUrl, `lmw_closes_total{code="${CloseCode.SlowConsumer}"}`), 0);
  });

  test('the same through a link throttled to 4 MB/s', async (t) => {
    const proxy = await startThrottleProxy(server.port, 4_000_000);
    t.after(() => proxy.close());
    const elapsed = await subscribe120(proxy.url(server.url), t, '4 MB/s');
    assert.ok(elapsed > 3000, `the link was really throttled (${elapsed} ms for ~23 MB)`);
    assert.equal(await metricValue(server.httpUrl, `lmw_closes_total{code="${CloseCode.SlowConsumer}"}`), 0);
  });
});

describe('resume after a long drop', () => {
  /**
   * 60 topics (15 symbols x 4 intervals), 1,500 trades per symbol while away (every topic
   * changes each time: 90,000 updates), resumed through a link throttled to 8 MB/s (64 Mbit/s).
   */
  async function resume60(t: TestContext, compact: boolean) {
    const away = 1500;
    // Exact replays of candle topics reach back --exact-history updates: enough for the old client here.
    const server = await serverFor(t, { feed: 'none', ...(compact ? {} : { exactHistory: 2 * away }) });
    const symbols = symbolsOf(15);
    const topics = topicsOf(symbols);
    const caps = compact ? ['compact'] : [];
    const round = (k: number) => server.publishTrades(symbols.map((symbol, i) => ({ symbol, price: 100 + i + (k % 17) / 10, size: 1 + (k % 3), time: T0 + k * 1000 })));
    round(0);
    const first = new Reader(server.url, true, caps);
    await first.opened;
    first.subscribeAll(topics);
    await waitUntil(() => first.started() === topics.length, 20_000, 'first subscribe');
    for (let k = 1; k <= 20; k++) round(k);
    await waitUntil(() => [...first.topics.values()].every((r) => r.last === 21), 10_000, 'live updates before the drop');
    rawSocket(first.ws).destroy(); // the link drops
    await first.closed;
    for (let k = 21; k < 21 + away; k++) round(k); // 1,500 updates per topic while away

    const proxy = await startThrottleProxy(server.port, 8_000_000);
    t.after(() => proxy.close());
    const second = new Reader(proxy.url(server.url), true, caps);
    // The resumed client starts from what the first one had.
    for (const [topic, record] of first.topics) second.topics.set(topic, { snapshots: 0, updates: 0, state: record.state, last: record.last });
    await second.opened;
    const started = Date.now();
    second.subscribeAll(topics, (topic) => ({ epoch: server.epoch, seq: first.topics.get(topic)!.last! }));
    await waitUntil(() => second.started() === topics.length || second.closeCode !== undefined, 60_000, 'the resume');
    const elapsed = Date.now() - started;
    assert.equal(second.closeCode, undefined, `closed with ${second.closeCode}`);
    assert.deepEqual(second.problems, []);
    let updates = 0;
    for (const topic of topics) {
      const record = second.topics.get(topic)!;
      assert.equal(record.subscribed?.recovered, true, `${topic} recovered`);
      assert.equal(record.snapshots, 0);
      if (!compact) assert.equal(record.updates, away, `${topic}: every missed update once`);
      updates += record.updates;
      const rest = await getJson(`${server.httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
      assert.equal(rest.body.seq, record.last, `${topic} at the server's seq`);
      assert.deepEqual(record.state, rest.body.data, `${topic}: the client's state is the server's`);
    }
    t.diagnostic(`resume of 60 topics (${compact ? 'compacted' : 'exact'}): ${updates} updates, ${(second.bytes / 1e6).toFixed(1)} MB in ${elapsed} ms`);
    assert.equal(await metricValue(server.httpUrl, `lmw_closes_total{code="${CloseCode.SlowConsumer}"}`), 0);
    second.ws.close();
    return updates;
  }

  test('60 topics, 90,000 missed updates replayed exactly over a 64 Mbit/s link: equal to GET /api/snapshot, no 4408', async (t) => {
    assert.equal(await resume60(t, false), 60 * 1500);
  });

  test('the same with compacted replays (a client with the compact capability): exact state, no 4408', async (t) => {
    const updates = await resume60(t, true);
    assert.ok(updates > 10_000 && updates < 60 * 1500, `${updates} updates: the 1s bars all changed, the longer ones compacted`);
  });
});

describe('the subscription limit', () => {
  test("the 101st sub at the default limit gets too_many_subscriptions, and the connection stays open", async (t) => {
    // 17 simulated symbols: 102 candle topics whose snapshots (~190 KB each) are far more than the mark.
    const server = await serverFor(t, { symbols: symbolsOf(17) });
    const topics = symbolsOf(17).flatMap((s) => ['1s', '5s', '1m', '5m', '15m', '1h'].map((i) => `candles:${s}:${i}`)).slice(0, 101);
    const reader = new Reader(server.url);
    await reader.opened;
    reader.subscribeAll(topics);
    await waitUntil(() => reader.errors.length > 0 || reader.closeCode !== undefined, 30_000, 'the refusal');
    assert.equal(reader.closeCode, undefined, `closed with ${reader.closeCode}`);
    assert.equal(reader.errors.length, 1);
    assert.equal(reader.errors[0]!.code, 'too_many_subscriptions');
    assert.equal(reader.errors[0]!.id, 101);
    assert.equal(reader.errors[0]!.topic, topics[100]);
    await waitUntil(() => reader.started() === 100 || reader.closeCode !== undefined, 60_000, 'the 100 replies');
    assert.equal(reader.closeCode, undefined);
    assert.deepEqual(reader.problems, []);
    assert.equal(await metricValue(server.httpUrl, 'lmw_subscriptions'), 100);
    reader.ws.close();
  });

  test('pending replies count toward the limit: 3 subs read at once at a limit of 2 get one refusal, in order after the two replies', async (t) => {
    const server = await serverFor(t, { symbols: ['AAA-USD'], maxSubscriptions: 2 });
    const client = await TestClient.connect(server);
    const socket = rawSocket(client.ws);
    socket.cork(); // one read on the server: the three subs are handled before anything is written
    for (const [i, interval] of ['1s', '5s', '1m'].entries()) client.send({ op: 'sub', id: i + 1, topic: `candles:AAA-USD:${interval}` });
    process.nextTick(() => socket.uncork());
    const refused = await client.next((m) => m.op === 'error');
    assert.equal(refused.code, 'too_many_subscriptions');
    assert.equal(refused.id, 3);
    assert.deepEqual(
      client.all((m) => m.op === 'subscribed' || m.op === 'snapshot' || m.op === 'error').map((m) => `${m.op}:${m.id ?? m.topic}`),
      ['subscribed:1', 'snapshot:candles:AAA-USD:1s', 'subscribed:2', 'snapshot:candles:AAA-USD:5s', 'error:3'],
    );
    client.close();
  });
});

describe('ops behind a pending reply', () => {
  test('sub, unsub and sub of one topic read at once: each answered in order, and one live stream at the end', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const topic = 'candles:AAA-USD:1m';
    let k = 0;
    const trade = () => server.publishTrades([{ symbol: 'AAA-USD', price: 10 + k / 100, size: 1, time: T0 + k++ * 1000 }]);
    trade();
    const client = await TestClient.connect(server);
    const socket = rawSocket(client.ws);
    const burst = (ops: Array<[string, number]>) => {
      socket.cork(); // one read on the server
      for (const [op, id] of ops) client.send({ op, id, topic });
      process.nextTick(() => socket.uncork());
    };
    burst([['sub', 1], ['unsub', 2]]);
    await client.next((m) => m.op === 'unsubscribed' && m.id === 2);
    trade();
    await delay(100);
    assert.deepEqual(
      client.all((m) => m.topic === topic).map((m) => `${m.op}:${m.id ?? m.seq}`),
      ['subscribed:1', 'snapshot:1', 'unsubscribed:2'],
      'answered in order; no update after the unsub',
    );
    assert.equal(await metricValue(server.httpUrl, 'lmw_subscriptions'), 0);

    burst([['sub', 3], ['unsub', 4], ['sub', 5]]);
    await client.next((m) => m.op === 'subscribed' && m.id === 5);
    trade();
    trade();
    await waitUntil(async () => client.all((m) => m.op === 'update').at(-1)?.seq === (await getJson(`${server.httpUrl}/api/snapshot?topic=${topic}`)).body.seq, 5000, 'the live updates');
    await delay(100);
    const second = client.all((m) => m.topic === topic).slice(3);
    assert.deepEqual(
      second.filter((m) => m.op !== 'update').map((m) => `${m.op}:${m.id ?? ''}`),
      ['subscribed:3', 'snapshot:', 'unsubscribed:4', 'subscribed:5', 'snapshot:'],
      JSON.stringify(second.map((m) => `${m.op}:${m.id ?? m.seq}`)),
    );
    // Each reply's stream is exact: the snapshot at subscribed.seq, then seq + 1 (a reused snapshot
    // is followed by the updates since it); after the unsub nothing, after the last sub one live stream.
    let last: number | undefined;
    for (const m of second) {
      if (m.op === 'subscribed') last = undefined;
      else if (m.op === 'snapshot') last = m.seq;
      else if (m.op === 'unsubscribed') last = -1;
      else {
        assert.ok(last !== undefined && last !== -1, `update ${m.seq} outside a stream`);
        assert.equal(m.seq, last + 1);
        last = m.seq;
      }
    }
    assert.equal(await metricValue(server.httpUrl, 'lmw_subscriptions'), 1);
    client.close();
  });
});

describe('a client that stops taking data', () => {
  test('is still cut with 4408 within slowConsumerMs (plus a margin) of stopping', async (t) => {
    const slowConsumerMs = 500;
    const server = await serverFor(t, { symbols: symbolsOf(15), slowConsumerMs });
    const reader = new Reader(server.url);
    await reader.opened;
    reader.subscribeAll(topicsOf(symbolsOf(15)));
    rawSocket(reader.ws).pause(); // stops reading at once: ~11 MB of replies are waiting
    const stopped = Date.now();
    const bystander = await TestClient.connect(server);
    await bystander.sub('candles:S00-USD:1s');
    const snapshot = await bystander.next((m) => m.op === 'snapshot');
    await waitUntil(async () => (await metricValue(server.httpUrl, `lmw_closes_total{code="${CloseCode.SlowConsumer}"}`)) === 1, 10_000, 'the 4408');
    const elapsed = Date.now() - stopped;
    t.diagnostic(`cut ${elapsed} ms after it stopped reading (slowConsumerMs ${slowConsumerMs})`);
    assert.ok(elapsed < slowConsumerMs + 2500, `cut after ${elapsed} ms`);
    assert.ok(elapsed >= slowConsumerMs, `not before slowConsumerMs (${elapsed} ms)`);
    rawSocket(reader.ws).resume();
    const closed = await reader.closed;
    assert.equal(closed.code, CloseCode.SlowConsumer);
    assert.match(closed.reason, /slow consumer: send buffer over 1048576 bytes for 500 ms/);
    assert.deepEqual(reader.problems, [], 'what it got before the cut is whole and in order');
    // The bystander's stream is untouched.
    await delay(300);
    const seqs = bystander.all((m) => m.op === 'update').map((m) => m.seq as number);
    assert.ok(seqs.length > 0);
    seqs.forEach((seq, i) => assert.equal(seq, snapshot.seq + i + 1, 'gapless'));
    bystander.close();
  });

  test('10 stalled clients with 60 topics each: cut, and the server RSS grows by less than 40 MB', async (t) => {
    const server = await startChildServer({ symbols: symbolsOf(15), slowConsumerMs: 2000 });
    t.after(() => server.stop());
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) * 1024;
    await delay(1500); // warm up
    await server.heap(); // full GCs, so the baseline is not garbage waiting to be collected
    const baseline = rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20);
    t.after(() => clearInterval(sampler));
    const readers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const reader = new Reader(server.url);
        await reader.opened;
        reader.subscribeAll(topicsOf(symbolsOf(15)));
        rawSocket(reader.ws).pause();
        return reader;
      }),
    );
    await waitUntil(async () => (await server.metric(`lmw_closes_total{code="${CloseCode.SlowConsumer}"}`)) === 10, 30_000, 'ten 4408s');
    await waitUntil(async () => (await server.counts()).connections === 0, 10_000, 'connections gone');
    clearInterval(sampler);
    peak = Math.max(peak, rss());
    const growth = peak - baseline;
    t.diagnostic(`RSS ${(baseline / 1048576).toFixed(1)} MiB -> peak ${(peak / 1048576).toFixed(1)} MiB (+${(growth / 1048576).toFixed(1)} MiB) with 10 stalled clients x 60 topics`);
    assert.ok(growth < 40 * 1024 * 1024, `RSS grew ${(growth / 1048576).toFixed(1)} MiB`);
    assert.ok(server.alive());
    for (const reader of readers) reader.ws.terminate();
  });
});

describe('encode once', () => {
  test('a snapshot is encoded once for every client at that seq, and reused with the updates after it for a second', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const topic = 'candles:AAA-USD:1m';
    const trade = (k: number) => server.publishTrades([{ symbol: 'AAA-USD', price: 10 + k / 100, size: 1, time: T0 + k * 1000 }]);
    trade(0);
    const encodes = () => metricValue(server.httpUrl, 'lmw_snapshot_encodes_total');
    const hits = () => metricValue(server.httpUrl, 'lmw_snapshot_cache_hits_total');
    const [encodes0, hits0] = [await encodes(), await hits()];
    const same = await Promise.all([1, 2, 3, 4, 5].map(() => TestClient.connect(server)));
    for (const client of same) await client.sub(topic);
    const snapshots = await Promise.all(same.map((client) => client.next((m) => m.op === 'snapshot')));
    assert.equal((await encodes()) - encodes0, 1, 'five clients at one seq: one encoding');
    assert.equal((await hits()) - hits0, 4);
    for (const client of same) assert.equal(client.frames.find((f) => f.includes('"op":"snapshot"')), same[0]!.frames.find((f) => f.includes('"op":"snapshot"')), 'the same bytes');

    // The topic moves on: a later sub within the second gets the same snapshot and the updates since.
    for (let k = 1; k <= 5; k++) trade(k);
    const late = await TestClient.connect(server);
    const subscribed = await late.sub(topic);
    assert.equal(subscribed.recovered, false);
    assert.equal(subscribed.seq, snapshots[0]!.seq, 'subscribed at the reused snapshot');
    const snapshot = await late.next((m) => m.op === 'snapshot');
    assert.equal(snapshot.seq, snapshots[0]!.seq);
    const updates: Message[] = [];
    for (let k = 1; k <= 5; k++) updates.push(await late.next((m) => m.op === 'update'));
    assert.deepEqual(updates.map((m) => m.seq), [1, 2, 3, 4, 5].map((k) => snapshot.seq + k));
    assert.equal((await encodes()) - encodes0, 1, 'still one encoding');
    const state = snapshot.data as CandleSnapshotData;
    for (const update of updates) applyCandleUpdate(state, update.data as Bar);
    const rest = await getJson(`${server.httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
    assert.equal(rest.body.seq, updates.at(-1)!.seq);
    assert.deepEqual(state, rest.body.data, 'exact');

    // Older than a second: a new sub encodes the current state.
    await delay(1100);
    const fresh = await TestClient.connect(server);
    const again = await fresh.sub(topic);
    assert.equal(again.seq, rest.body.seq);
    assert.equal((await encodes()) - encodes0, 2);
    for (const client of [...same, late, fresh]) client.close();
  });
});
