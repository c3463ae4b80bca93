// Limits: per-connection rate limit (rate_limited, then 4429), max subscriptions, max connections in
// total (503) and per IP (429), slow consumers (4408), large turns cut into bounded frames, hostile
// frames answered with short errors. Real server, real sockets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { CloseCode } from '../../src/protocol/index.js';
import { MAX_BATCHED_CHARS } from '../../server/frame-writer.js';
import { MAX_ERROR_MESSAGE_LENGTH } from '../../server/session.js';
import { DEFAULT_MAX_SUBSCRIPTIONS, FLOOD_CLOSE_DROPPED, FrameRateLimiter } from '../../server/limits.js';
import { delay, getJson, metricValue, serverFor, TestClient, waitUntil, type Message } from '../support/node/server.js';

const T0 = Date.UTC(2030, 0, 1);
const pings = (client: TestClient, from: number, count: number) => {
  for (let i = 0; i < count; i++) client.send({ op: 'ping', id: from + i, t: i });
};
/** The raw socket under a ws client (to cork writes or stop reading). */
const rawSocket = (client: TestClient) => (client.ws as unknown as { _socket: import('node:net').Socket })._socket;

describe('rate limit (token bucket, fake clock)', () => {
  test('accepts the burst, refills at the rate, notifies at most once a second, closes a long or large flood', () => {
    let now = 1000;
    const limiter = new FrameRateLimiter(10, 5, now);
    const take = (n: number) => Array.from({ length: n }, () => limiter.take(now));
    assert.deepEqual(take(5), Array(5).fill('accept'));
    assert.deepEqual(take(3), ['drop-and-notify', 'drop', 'drop']);
    now += 100; // one token back
    assert.deepEqual(take(2), ['accept', 'drop']);
    now += 1000; // 10 tokens back (5 kept, bucket full): the flood is over
    assert.deepEqual(take(6), [...Array(5).fill('accept'), 'drop-and-notify']);
    // A sustained flood (20 frames/s against 10/s): it closes 2 s after its first dropped frame.
    const sustained = new FrameRateLimiter(10, 5, 0);
    let firstDrop: number | undefined;
    let closedAt: number | undefined;
    for (let t = 0; t < 10_000 && closedAt === undefined; t += 50) {
      const verdict = sustained.take(t);
      if (verdict !== 'accept') firstDrop ??= t;
      if (verdict === 'close') closedAt = t;
    }
    assert.ok(firstDrop !== undefined && closedAt !== undefined);
    assert.ok(closedAt! - firstDrop! >= 2000 && closedAt! - firstDrop! <= 2100, `closed ${closedAt! - firstDrop!} ms into the flood`);
    // A large one: FLOOD_CLOSE_DROPPED frames dropped in a row close at once.
    const burst = new FrameRateLimiter(10, 5, 0);
    const verdicts = Array.from({ length: 5 + FLOOD_CLOSE_DROPPED }, () => burst.take(0));
    assert.equal(verdicts.filter((v) => v === 'close').length, 1);
    assert.equal(verdicts.at(-1), 'close');
    assert.equal(new FrameRateLimiter(0, 0, 0).take(0), 'accept', 'rate 0 = off');
  });
});

describe('rate limit on a real connection', () => {
  test('over the burst: frames are dropped unread, one rate_limited error, the connection stays usable', async (t) => {
    const server = await serverFor(t, { feed: 'none', clientRate: 10, clientBurst: 20 });
    const client = await TestClient.connect(server);
    pings(client, 1, 60);
    await client.next((m) => m.op === 'error');
    await delay(150); // 1.5 tokens back
    pings(client, 100, 1);
    await client.next((m) => m.op === 'pong' && m.id === 100);
    const pongs = client.all((m) => m.op === 'pong').map((m) => m.id);
    // The hello took one token: 19 of the 60 pings fit in the burst.
    assert.deepEqual(pongs, [...Array.from({ length: 19 }, (_, i) => i + 1), 100]);
    const errors = client.all((m) => m.op === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'rate_limited');
    assert.equal(await metricValue(server.httpUrl, 'lmw_frames_dropped_total'), 41);
    client.close();
  });

  test('with the default limits a reconnecting client can re-subscribe a full set of topics at once', async (t) => {
    const server = await serverFor(t, { feed: 'none', symbols: ['AAA'] });
    const client = await TestClient.connect(server);
    // The most a connection may hold (100), sent in one go as a resubscribe does: none may be dropped.
    for (let id = 1; id <= DEFAULT_MAX_SUBSCRIPTIONS; id++) client.send({ op: 'sub', id, topic: `candles:S${id}:1m` });
    pings(client, 1000, 5);
    await client.next((m) => m.op === 'pong' && m.id === 1004);
    const answered = new Set(client.all((m) => m.op === 'error' && m.code === 'unknown_topic').map((m) => m.id));
    assert.equal(answered.size, DEFAULT_MAX_SUBSCRIPTIONS);
    assert.equal(client.all((m) => m.op === 'error' && m.code === 'rate_limited').length, 0);
    assert.equal(await metricValue(server.httpUrl, 'lmw_frames_dropped_total'), 0);
    client.close();
  });

  test(`a flood of ${FLOOD_CLOSE_DROPPED} dropped frames closes with 4429 after a single rate_limited error`, async (t) => {
    const server = await serverFor(t, { feed: 'none', clientRate: 10, clientBurst: 20 });
    const client = await TestClient.connect(server);
    pings(client, 1, 19 + FLOOD_CLOSE_DROPPED - 1);
    await client.next((m) => m.op === 'pong' && m.id === 19);
    await delay(50);
    assert.equal(client.ws.readyState, WebSocket.OPEN, 'one short of the flood limit: still open');
    pings(client, 500, 1);
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.RateLimited);
    assert.equal(client.all((m) => m.op === 'pong').length, 19);
    assert.equal(client.all((m) => m.op === 'error' && m.code === 'rate_limited').length, 1, 'not one error per dropped frame');
    assert.equal(await metricValue(server.httpUrl, 'lmw_closes_total{code="4429"}'), 1);
  });

  test('a sustained rate above the limit closes with 4429 about 2 s after frames start being dropped', async (t) => {
    const server = await serverFor(t, { feed: 'none', clientRate: 10, clientBurst: 5 });
    const client = await TestClient.connect(server);
    let id = 1;
    const timer = setInterval(() => client.ws.readyState === WebSocket.OPEN && pings(client, id++, 1), 40); // 25/s
    t.after(() => clearInterval(timer));
    const started = Date.now();
    const closed = await client.closed;
    clearInterval(timer);
    assert.equal(closed.code, CloseCode.RateLimited);
    const elapsed = Date.now() - started;
    assert.ok(elapsed > 1500 && elapsed < 6000, `closed after ${elapsed} ms`);
    const notices = client.all((m) => m.code === 'rate_limited').length;
    assert.ok(notices >= 2 && notices <= 3, `${notices} rate_limited errors, about one per second`);
    assert.ok(client.all((m) => m.op === 'pong').length >= 20, 'frames within the rate were answered meanwhile');
  });
});

describe('max subscriptions', () => {
  test('a sub past the limit gets too_many_subscriptions for that sub; re-sub and unsub-then-sub work', async (t) => {
    const server = await serverFor(t, { feed: 'none', maxSubscriptions: 2 });
    server.publishTrades(['A', 'B', 'C'].map((symbol) => ({ symbol, price: 1, size: 1, time: T0 })));
    const client = await TestClient.connect(server);
    assert.equal((await client.sub('candles:A:1m')).op, 'subscribed');
    assert.equal((await client.sub('candles:B:1m')).op, 'subscribed');
    const refused = await client.sub('candles:C:1m');
    assert.equal(refused.code, 'too_many_subscriptions');
    assert.equal(refused.topic, 'candles:C:1m');
    assert.equal(refused.id, 3);
    assert.equal((await client.sub('candles:A:1m')).op, 'subscribed', 'a topic already held does not count twice');
    client.send({ op: 'unsub', id: 99, topic: 'candles:B:1m' });
    await client.next((m) => m.op === 'unsubscribed');
    assert.equal((await client.sub('candles:C:1m')).op, 'subscribed');
    assert.equal(await metricValue(server.httpUrl, 'lmw_subscriptions'), 2);
    client.close();
  });
});

describe('connection limits at the upgrade', () => {
  test('past maxConnections upgrades get HTTP 503; a slot freed is usable again', async (t) => {
    const server = await serverFor(t, { feed: 'none', maxConnections: 2 });
    const a = await TestClient.connect(server);
    const b = await TestClient.connect(server, false);
    await assert.rejects(TestClient.connect(server), /upgrade refused: 503/);
    a.close();
    await waitUntil(async () => (await getJson(`${server.httpUrl}/healthz`)).body.connections === 1, 5000, 'slot freed');
    const c = await TestClient.connect(server);
    b.close();
    c.close();
    assert.equal(await metricValue(server.httpUrl, 'lmw_upgrades_refused_total{reason="max_connections"}'), 1);
  });

  test('past maxConnectionsPerIp upgrades from that address get HTTP 429; other addresses are not affected', async (t) => {
    const server = await serverFor(t, { feed: 'none', maxConnectionsPerIp: 2 });
    const mine = [await TestClient.connect(server), await TestClient.connect(server)];
    await assert.rejects(TestClient.connect(server), /upgrade refused: 429/);
    const other = await TestClient.connect(server, true, { localAddress: '127.0.0.2' });
    assert.equal(await metricValue(server.httpUrl, 'lmw_client_addresses'), 2);
    for (const client of [...mine, other]) client.close();
    await waitUntil(async () => (await metricValue(server.httpUrl, 'lmw_client_addresses')) === 0, 5000, 'addresses released');
    const again = await TestClient.connect(server);
    again.close();
  });
});

describe('slow consumers', () => {
  test('a client that stops reading is closed with 4408 once its send buffer stays past the mark; others keep a gapless stream', async (t) => {
    const server = await serverFor(t, { symbols: ['BTC-USD'], rate: 50, tickMs: 20, maxBufferedBytes: 256 * 1024, slowConsumerMs: 300, clientRate: 0 });
    const good = await TestClient.connect(server);
    await good.sub('candles:BTC-USD:1s');
    const slow = await TestClient.connect(server);
    await slow.sub('candles:BTC-USD:1m');
    await slow.next((m) => m.op === 'snapshot');
    rawSocket(slow).pause(); // stop reading: the kernel buffers fill, then ws's send buffer grows
    let id = 100;
    const deadline = Date.now() + 20_000;
    while ((await metricValue(server.httpUrl, 'lmw_closes_total{code="4408"}')) === 0) {
      assert.ok(Date.now() < deadline, 'never closed as a slow consumer');
      // Each re-sub queues a fresh ~225 KB snapshot.
      for (let i = 0; i < 5; i++) slow.send({ op: 'sub', id: id++, topic: 'candles:BTC-USD:1m' });
      await delay(20);
    }
    rawSocket(slow).resume();
    const closed = await slow.closed;
    assert.equal(closed.code, CloseCode.SlowConsumer);
    assert.match(closed.reason, /slow consumer/);
    // Everything it did receive is well-formed and in order: its queue was dropped, never cut mid-message.
    const snapshots = slow.all((m) => m.op === 'snapshot').length;
    assert.ok(snapshots >= 1);
    await waitUntil(async () => (await getJson(`${server.httpUrl}/healthz`)).body.connections === 1, 5000, 'slow client gone');
    assert.equal(await metricValue(server.httpUrl, 'lmw_subscriptions'), 1);
    await delay(500);
    const seqs = good.all((m) => m.op === 'update').map((m) => m.seq as number);
    const start = good.all((m) => m.op === 'snapshot')[0]!.seq as number;
    assert.ok(seqs.length > 10, `${seqs.length} updates`);
    seqs.forEach((seq, i) => assert.equal(seq, start + i + 1, 'gapless'));
    good.close();
  });

  test('a turn with more than MAX_BATCHED_CHARS of messages goes out as several frames, in order; only a message over the cap is a frame alone', async (t) => {
    const server = await serverFor(t, { symbols: ['BTC-USD'], rate: 0, clientRate: 0 });
    const client = await TestClient.connect(server);
    const topics = ['1s', '5s', '1m', '5m'].map((interval) => `candles:BTC-USD:${interval}`);
    const cut = client.frames.length;
    const socket = rawSocket(client);
    socket.cork(); // one TCP write: the server reads the four subs in one turn
    topics.forEach((topic, i) => client.send({ op: 'sub', id: i + 1, topic }));
    process.nextTick(() => socket.uncork());
    for (let i = 1; i <= topics.length; i++) await client.next((m) => m.op === 'snapshot' && m.topic === topics[i - 1]);
    const frames = client.frames.slice(cut);
    const total = frames.reduce((n, f) => n + f.length, 0);
    assert.ok(total > 2 * MAX_BATCHED_CHARS, `the turn was ${total} chars`);
    for (const frame of frames) {
      if (frame.startsWith('[')) assert.ok(frame.length <= MAX_BATCHED_CHARS + 2, `batched frame of ${frame.length} chars`);
      else assert.ok(JSON.parse(frame).op === 'subscribed' || frame.length > MAX_BATCHED_CHARS, `a frame alone of ${frame.length} chars`);
    }
    const order = client.messages.filter((m) => m.op === 'subscribed' || m.op === 'snapshot').map((m) => `${m.op}:${m.topic}`);
    assert.deepEqual(order, topics.flatMap((topic) => [`subscribed:${topic}`, `snapshot:${topic}`]));
    client.close();
  });
});

describe('hostile frames', () => {
  test('deep nesting, huge numbers and binary frames get bad_request; the connection stays usable', async (t) => {
    const server = await serverFor(t, { feed: 'none', clientRate: 0 });
    const client = await TestClient.connect(server);
    const frames = [
      '['.repeat(60_000), // unbalanced: invalid JSON
      '['.repeat(30_000) + ']'.repeat(30_000), // valid, 30,000 deep (V8's JSON.parse is not recursive)
      '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), // 10,000 deep objects, 60 KB
      '9'.repeat(60_000), // a number that parses to Infinity
      JSON.stringify({ op: 'ping', id: 2 ** 53, t: 1 }),
      '{"op":"ping","id":1e400,"t":1}',
      '{"op":"ping","id":-1,"t":1}',
      '{"op":"ping","id":1,"t":1e999}',
      JSON.stringify({ op: 'sub', id: 1, topic: 'candles:BTC-USD:1m', since: { epoch: 'x'.repeat(1000), seq: 1 } }),
      JSON.stringify({ op: 'sub', id: 1, topic: 'candles:BTC-USD:1m', since: { epoch: 'e', seq: 1.5 } }),
      '"hello"',
      'null',
      '{"op":"hello","v":1}',
    ];
    for (const frame of frames) client.send(frame);
    client.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    client.send({ op: 'ping', id: 7, t: 1e308 });
    const pong = await client.next((m) => m.op === 'pong');
    assert.equal(pong.t, 1e308);
    const errors = client.all((m) => m.op === 'error');
    assert.equal(errors.length, frames.length + 1);
    assert.ok(errors.every((e) => e.code === 'bad_request'), JSON.stringify(errors.map((e) => e.message)));
    client.close();
  });

  test('invalid UTF-8 in a text frame is closed by ws with 1007; other clients are untouched', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const bystander = await TestClient.connect(server);
    const client = await TestClient.connect(server);
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await client.closed).code, 1007);
    bystander.send({ op: 'ping', id: 1, t: 1 });
    assert.equal((await bystander.next((m) => m.op === 'pong')).id, 1);
    bystander.close();
  });

  test('markup in ops, topics and ids is echoed only as a bounded slice', async (t) => {
    const server = await serverFor(t, { feed: 'none', clientRate: 0 });
    const client = await TestClient.connect(server);
    const markup = '<img src=x onerror=alert(1)><script>alert(document.cookie)</script>';
    const frames: unknown[] = [
      { op: markup.repeat(50) },
      { op: 'sub', id: 1, topic: markup.repeat(50) },
      { op: 'sub', id: 2, topic: `candles:${markup}:1m` },
      { op: 'sub', id: 3, topic: `portfolio:${markup}` },
      { op: 'unsub', id: 4, topic: `candles:BTC-USD:${markup}` },
      { op: 'sub', id: markup, topic: 'x' },
      { op: 'ping', id: 5, t: markup },
      { op: 'hello', v: markup },
      { op: 'refresh', token: markup.repeat(200) },
    ];
    for (const frame of frames) client.send(frame);
    client.send({ op: 'ping', id: 99, t: 0 });
    await client.next((m) => m.op === 'pong');
    const errors = client.all((m) => m.op === 'error');
    assert.ok(errors.length >= frames.length - 1);
    for (const error of errors as Message[]) {
      assert.ok(error.message.length <= MAX_ERROR_MESSAGE_LENGTH, error.message);
      assert.ok(error.topic === undefined || error.topic.length <= 128);
      assert.ok(!error.message.includes(markup), `message echoes the markup: ${error.message}`);
      assert.ok(JSON.stringify(error).length < 512);
    }
    client.close();
  });
});
