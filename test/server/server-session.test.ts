// The WebSocket side of the reference server: every op, every error code it sends, the close codes, batching.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { CloseCode, validateServerMessage } from '../../src/protocol/index.js';
import { delay, serverFor, TestClient, waitUntil } from '../support/node/server.js';

const quiet = { feed: 'none' as const };
const trade = (symbol: string, price: number, time: number, size = 1) => ({ symbol, price, size, time });

describe('handshake', () => {
  test('hello is answered by welcome with session, heartbeat and server time', async (t) => {
    const server = await serverFor(t, { ...quiet, heartbeatMs: 1234 });
    const client = await TestClient.connect(server, false);
    const before = Date.now();
    client.send({ op: 'hello', v: 1, token: 'ignored-without-auth' });
    const welcome = await client.next((m) => m.op === 'welcome');
    assert.equal(welcome.v, 1);
    assert.equal(welcome.heartbeatMs, 1234);
    assert.equal(typeof welcome.session, 'string');
    assert.ok(welcome.session.length > 0);
    assert.ok(welcome.serverTime >= before - 1000 && welcome.serverTime <= Date.now() + 1000);
    assert.ok(validateServerMessage(welcome).ok);
    client.close();
  });

  test('no hello within the timeout closes with 4400', async (t) => {
    const server = await serverFor(t, { ...quiet, helloTimeoutMs: 150 });
    const client = await TestClient.connect(server, false);
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.BadHello);
    assert.match(closed.reason, /hello/);
  });

  for (const [what, frame] of [
    ['a sub before hello', JSON.stringify({ op: 'sub', id: 1, topic: 'candles:BTC-USD:1m' })],
    ['invalid JSON as first frame', '{"op":"hello"'],
    ['a hello with the wrong version', JSON.stringify({ op: 'hello', v: 2 })],
  ] as const) {
    test(`${what} closes with 4400 after a bad_request error`, async (t) => {
      const server = await serverFor(t, quiet);
      const client = await TestClient.connect(server, false);
      client.send(frame);
      const closed = await client.closed;
      assert.equal(closed.code, CloseCode.BadHello);
      assert.equal(client.messages[0]?.op, 'error');
      assert.equal(client.messages[0]?.code, 'bad_request');
    });
  }

  test('a binary first frame closes with 4400', async (t) => {
    const server = await serverFor(t, quiet);
    const client = await TestClient.connect(server, false);
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await client.closed).code, CloseCode.BadHello);
  });

  test('a second hello is a bad_request and the connection stays usable', async (t) => {
    const server = await serverFor(t, quiet);
    const client = await TestClient.connect(server);
    client.send({ op: 'hello', v: 1 });
    const error = await client.next((m) => m.op === 'error');
    assert.equal(error.code, 'bad_request');
    client.send({ op: 'ping', id: 9, t: 1 });
    assert.equal((await client.next((m) => m.op === 'pong')).id, 9);
    client.close();
  });
});

describe('ops', () => {
  test('sub gives subscribed + snapshot, then updates with seq +1; unsub stops them', async (t) => {
    const server = await serverFor(t, { ...quiet, publishToken: 'x' });
    const start = Date.UTC(2030, 0, 1);
    server.publishTrades([trade('AAA', 10, start)]);
    const client = await TestClient.connect(server);
    const subscribed = await client.sub('candles:AAA:1m');
    assert.deepEqual(subscribed, { op: 'subscribed', id: 1, topic: 'candles:AAA:1m', epoch: server.epoch, seq: 1, recovered: false });
    const snapshot = await client.next((m) => m.op === 'snapshot');
    assert.equal(snapshot.seq, 1);
    assert.equal(snapshot.epoch, server.epoch);
    assert.deepEqual(snapshot.data, {
      symbol: 'AAA',
      interval: '1m',
      bars: [{ time: start / 1000, open: 10, high: 10, low: 10, close: 10, volume: 1, trades: 1 }],
      precision: 2,
    });
    assert.ok(validateServerMessage(snapshot).ok);

    server.publishTrades([trade('AAA', 12, start + 1000)]);
    const update = await client.next((m) => m.op === 'update' && m.topic === 'candles:AAA:1m');
    assert.equal(update.seq, 2);
    assert.equal(typeof update.time, 'number');
    assert.deepEqual(update.data, { time: start / 1000, open: 10, high: 12, low: 10, close: 12, volume: 2, trades: 2 });
    assert.ok(validateServerMessage(update).ok);

    client.send({ op: 'unsub', id: 5, topic: 'candles:AAA:1m' });
    assert.deepEqual(await client.next((m) => m.op === 'unsubscribed'), { op: 'unsubscribed', id: 5, topic: 'candles:AAA:1m' });
    server.publishTrades([trade('AAA', 13, start + 2000)]);
    client.send({ op: 'ping', id: 6, t: 0 });
    await client.next((m) => m.op === 'pong');
    assert.equal(client.all((m) => m.op === 'update' && m.seq === 3).length, 0, 'no update after unsub');
    client.close();
  });

  test('unsub of a topic not subscribed (or unknown) is answered with unsubscribed', async (t) => {
    const server = await serverFor(t, quiet);
    const client = await TestClient.connect(server);
    client.send({ op: 'unsub', id: 3, topic: 'candles:NOPE:1m' });
    assert.deepEqual(await client.next((m) => m.id === 3), { op: 'unsubscribed', id: 3, topic: 'candles:NOPE:1m' });
    client.send({ op: 'unsub', id: 4, topic: 'not a topic' });
    const error = await client.next((m) => m.id === 4);
    assert.equal(error.op, 'error');
    assert.equal(error.code, 'bad_request');
    client.close();
  });

  test('ping is answered by pong with the same id and t and the server time', async (t) => {
    const server = await serverFor(t, quiet);
    const client = await TestClient.connect(server);
    client.send({ op: 'ping', id: 77, t: 123.5 });
    const pong = await client.next((m) => m.op === 'pong');
    assert.equal(pong.id, 77);
    assert.equal(pong.t, 123.5);
    assert.ok(Math.abs(pong.serverTime - Date.now()) < 2000);
    client.close();
  });

  test('a second sub of the same topic restarts it without double delivery', async (t) => {
    const server = await serverFor(t, quiet);
    const start = Date.UTC(2030, 0, 1);
    server.publishTrades([trade('AAA', 10, start)]);
    const client = await TestClient.connect(server);
    await client.sub('candles:AAA:5s');
    const again = await client.sub('candles:AAA:5s');
    assert.equal(again.recovered, false);
    await client.next((m) => m.op === 'snapshot');
    server.publishTrades([trade('AAA', 11, start + 10)]);
    await client.next((m) => m.op === 'update');
    client.send({ op: 'ping', id: 99, t: 0 });
    await client.next((m) => m.op === 'pong');
    assert.equal(client.all((m) => m.op === 'update').length, 1);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /^lmw_subscriptions 1$/m);
    client.close();
  });

  test('the default server has candle topics for every symbol and interval and portfolio:demo', async (t) => {
    const server = await serverFor(t, { rate: 1 });
    const client = await TestClient.connect(server);
    for (const symbol of ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'EURUSD']) {
      for (const interval of ['1s', '5s', '1m', '5m', '15m', '1h']) {
        const answer = await client.sub(`candles:${symbol}:${interval}`);
        assert.equal(answer.op, 'subscribed', `${symbol} ${interval}`);
        const snapshot = await client.next((m) => m.op === 'snapshot' && m.topic === answer.topic);
        assert.ok(snapshot.data.bars.length >= 300, `${answer.topic} has ${snapshot.data.bars.length} bars`);
        assert.ok(validateServerMessage(snapshot).ok);
      }
    }
    assert.equal((await client.sub('portfolio:demo')).op, 'subscribed');
    client.close();
  });
});

describe('errors', () => {
  test('malformed JSON, wrong types and unknown ops get error frames; the connection stays usable', async (t) => {
    const server = await serverFor(t, quiet);
    const client = await TestClient.connect(server);
    const cases: Array<[string, string, number | undefined]> = [
      ['{"op":"sub",', 'bad_request', undefined],
      ['[1,2,3]', 'bad_request', undefined],
      ['"hello"', 'bad_request', undefined],
      [JSON.stringify({ op: 'sub', id: 'x', topic: 'candles:BTC-USD:1m' }), 'bad_request', undefined],
      [JSON.stringify({ op: 'sub', id: 4, topic: 42 }), 'bad_request', 4],
      [JSON.stringify({ op: 'sub', id: 5, topic: 'candles:BTC-USD:1m', since: { epoch: 1, seq: -1 } }), 'bad_request', 5],
      [JSON.stringify({ op: 'ping', id: 6, t: 'now' }), 'bad_request', 6],
      [JSON.stringify({ op: 'subscribe', id: 7 }), 'unknown_op', 7],
      [JSON.stringify({ id: 8 }), 'bad_request', 8],
    ];
    for (const [frame, code, id] of cases) {
      client.send(frame);
      const error = await client.next((m) => m.op === 'error');
      assert.equal(error.code, code, frame);
      assert.equal(error.id, id, frame);
      assert.equal(typeof error.message, 'string');
      assert.ok(validateServerMessage(error).ok);
    }
    client.send({ op: 'ping', id: 100, t: 1 });
    assert.equal((await client.next((m) => m.op === 'pong')).id, 100);
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /lmw_errors_total\{code="bad_request"\} 8/);
    assert.match(metrics, /lmw_errors_total\{code="unknown_op"\} 1/);
    client.close();
  });

  test('unknown_topic for a well-formed topic nobody publishes, bad_request for a malformed one', async (t) => {
    const server = await serverFor(t, quiet);
    const client = await TestClient.connect(server);
    const unknown = await client.sub('candles:NOPE:1m');
    assert.equal(unknown.op, 'error');
    assert.equal(unknown.code, 'unknown_topic');
    assert.equal(unknown.topic, 'candles:NOPE:1m');
    assert.equal((await client.sub('portfolio:alice')).code, 'unknown_topic');
    const malformed = await client.sub('candles:BTC-USD:2m');
    assert.equal(malformed.code, 'bad_request');
    assert.match(malformed.message, /interval/);
    client.close();
  });

  test('a binary frame after hello is a bad_request; the connection stays usable', async (t) => {
    const server = await serverFor(t, quiet);
    const client = await TestClient.connect(server);
    client.ws.send(Buffer.from('{"op":"ping","id":1,"t":1}'), { binary: true });
    const error = await client.next((m) => m.op === 'error');
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, /binary/);
    client.send({ op: 'ping', id: 2, t: 1 });
    assert.equal((await client.next((m) => m.op === 'pong')).id, 2);
    client.close();
  });

  test('an oversized frame closes with 1009 and another client is still served', async (t) => {
    const server = await serverFor(t, { ...quiet, maxFrameBytes: 1024 });
    const other = await TestClient.connect(server);
    const client = await TestClient.connect(server);
    client.send({ op: 'ping', id: 1, t: 1, pad: 'x'.repeat(2000) });
    assert.equal((await client.closed).code, CloseCode.MessageTooBig);
    other.send({ op: 'ping', id: 5, t: 1 });
    assert.equal((await other.next((m) => m.op === 'pong')).id, 5);
    const fresh = await TestClient.connect(server);
    fresh.send({ op: 'ping', id: 6, t: 1 });
    assert.equal((await fresh.next((m) => m.op === 'pong')).id, 6);
    other.close();
    fresh.close();
  });

  test('a frame just under the limit is accepted', async (t) => {
    const server = await serverFor(t, { ...quiet, maxFrameBytes: 1024 });
    const client = await TestClient.connect(server);
    const base = JSON.stringify({ op: 'ping', id: 1, t: 1, pad: '' });
    client.send({ op: 'ping', id: 1, t: 1, pad: 'x'.repeat(1024 - base.length) });
    assert.equal((await client.next((m) => m.op === 'pong')).id, 1);
    client.close();
  });
});

describe('batching', () => {
  test('what one tick produces arrives as one array frame, in seq order', async (t) => {
    const server = await serverFor(t, quiet);
    const start = Date.UTC(2030, 0, 1);
    server.publishTrades([trade('AAA', 10, start)]);
    const client = await TestClient.connect(server);
    await client.sub('candles:AAA:1s');
    await client.next((m) => m.op === 'snapshot');
    const framesBefore = client.frames.length;
    // Three publishes in one synchronous turn: three updates of one topic (plus other topics' ones).
    server.publishTrades([trade('AAA', 11, start + 1000)]);
    server.publishTrades([trade('AAA', 12, start + 2000)]);
    server.publishTrades([trade('AAA', 13, start + 3000)]);
    await client.next((m) => m.op === 'update' && m.seq === 4);
    await delay(50);
    const frames = client.frames.slice(framesBefore);
    assert.equal(frames.length, 1, 'one frame');
    const batch = JSON.parse(frames[0]!);
    assert.ok(Array.isArray(batch));
    assert.deepEqual(
      batch.map((m: { seq: number }) => m.seq),
      [2, 3, 4],
    );
    client.close();
  });

  test('a single message is sent as a plain object', async (t) => {
    const server = await serverFor(t, quiet);
    const client = await TestClient.connect(server);
    client.send({ op: 'ping', id: 1, t: 1 });
    await client.next((m) => m.op === 'pong');
    assert.equal(JSON.parse(client.frames.at(-1)!).op, 'pong');
    client.close();
  });

  test('each update is serialised once: every subscriber gets the same bytes', async (t) => {
    const server = await serverFor(t, quiet);
    const start = Date.UTC(2030, 0, 1);
    server.publishTrades([trade('AAA', 10, start)]);
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(server)));
    for (const c of clients) {
      await c.sub('candles:AAA:1m');
      await c.next((m) => m.op === 'snapshot');
    }
    server.publishTrades([trade('AAA', 11, start + 1)]);
    for (const c of clients) await c.next((m) => m.op === 'update');
    const last = clients.map((c) => c.frames.at(-1));
    assert.equal(new Set(last).size, 1);
    for (const c of clients) c.close();
  });
});

describe('heartbeat', () => {
  test('pings every interval; a client that never answers is terminated after two intervals', async (t) => {
    const server = await serverFor(t, { ...quiet, heartbeatMs: 100 });
    const deaf = await TestClient.connect(server, true, { autoPong: false });
    const healthy = await TestClient.connect(server);
    let pings = 0;
    deaf.ws.on('ping', () => pings++);
    const closed = await deaf.closed;
    assert.ok(pings >= 1, `got ${pings} pings`);
    assert.equal(closed.code, 1006, 'terminated, not closed');
    assert.equal(healthy.ws.readyState, WebSocket.OPEN);
    await delay(300);
    assert.equal(healthy.ws.readyState, WebSocket.OPEN, 'a client that pongs stays');
    healthy.close();
  });
});

describe('close', () => {
  test('close() sends 1001 to clients and the port can be reused at once', async (t) => {
    const { startMarketServer } = await import('../../server/app.js');
    const server = await startMarketServer({ port: 0, feed: 'none' });
    const client = await TestClient.connect(server);
    await server.close();
    assert.equal((await client.closed).code, CloseCode.GoingAway);
    const again = await startMarketServer({ port: server.port, feed: 'none' });
    t.after(() => again.close());
    assert.equal(again.port, server.port);
    assert.notEqual(again.epoch, server.epoch);
    const next = await TestClient.connect(again);
    next.close();
    await waitUntil(() => next.ws.readyState === WebSocket.CLOSED);
  });
});
