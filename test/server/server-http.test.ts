// REST: snapshots, health, metrics, trade publishing (auth, validation, limits), dev controls, static demo.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode } from '../../src/protocol/index.js';
import { getJson, serverFor, TestClient, waitUntil } from '../support/node/server.js';

const TOKEN = 'secret-publish-token';
const T0 = Date.UTC(2030, 0, 1);

/** A raw GET whose path is sent as written (fetch would normalise `..`). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /api/snapshot', () => {
  test('gives {topic, epoch, seq, data} with CORS; 400 for a bad topic, 404 for an unknown one', async (t) => {
    const server = await serverFor(t, { symbols: ['BTC-USD'], rate: 1 });
    const ok = await getJson(`${server.httpUrl}/api/snapshot?topic=candles:BTC-USD:1m`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(Object.keys(ok.body).sort(), ['data', 'epoch', 'seq', 'topic']);
    assert.equal(ok.body.topic, 'candles:BTC-USD:1m');
    assert.equal(ok.body.epoch, server.epoch);
    assert.ok(ok.body.data.bars.length >= 300);
    const portfolio = await getJson(`${server.httpUrl}/api/snapshot?topic=portfolio:demo`);
    assert.equal(portfolio.body.data.account, 'demo');

    for (const [query, status, code] of [
      ['', 400, 'bad_request'],
      ['?topic=candles:BTC-USD:7m', 400, 'bad_request'],
      ['?topic=candles:NOPE:1m', 404, 'unknown_topic'],
      ['?topic=portfolio:alice', 404, 'unknown_topic'],
    ] as const) {
      const r = await getJson(`${server.httpUrl}/api/snapshot${query}`);
      assert.equal(r.status, status, query);
      assert.equal(r.body.error, code, query);
      assert.equal(r.headers.get('access-control-allow-origin'), '*', 'CORS on errors too');
    }
  });

  test('healthz and metrics', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const client = await TestClient.connect(server);
    const health = await getJson(`${server.httpUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    client.send({ op: 'ping', id: 1, t: 1 });
    await client.next((m) => m.op === 'pong');
    const metrics = await fetch(`${server.httpUrl}/metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    const text = await metrics.text();
    for (const name of ['lmw_connections 1', 'lmw_subscriptions 0', 'lmw_messages_sent_total 2', 'lmw_frames_sent_total 2', 'lmw_bytes_sent_total']) {
      assert.ok(text.includes(name), `metrics contain ${name}`);
    }
    assert.equal((await getJson(`${server.httpUrl}/nothing-here`)).status, 404);
    client.close();
  });
});

describe('POST /api/trades', () => {
  const post = (url: string, body: string, token?: string) =>
    getJson(`${url}/api/trades`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body,
    });

  test('403 when publishing is not enabled', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const r = await post(server.httpUrl, '[]', TOKEN);
    assert.equal(r.status, 403);
    assert.equal(r.body.error, 'forbidden');
  });

  test('401 without or with a wrong token; 400 with a reason for bad bodies; 413 over 1 MiB', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    const good = JSON.stringify([{ symbol: 'NEW', price: 1, size: 1, time: T0 }]);
    assert.equal((await post(server.httpUrl, good)).status, 401);
    assert.equal((await post(server.httpUrl, good, 'wrong')).status, 401);
    assert.equal((await post(server.httpUrl, good, `${TOKEN}x`)).status, 401);
    for (const [body, reason] of [
      ['{not json', /not valid JSON/],
      ['{"symbol":"A"}', /array/],
      [JSON.stringify([{ symbol: 'A', price: 1, size: 1, time: T0 }, { symbol: 'A', price: 'x', size: 1, time: T0 }]), /trades\[1\]: trade\.price/],
      [JSON.stringify([{ symbol: 'bad:symbol', price: 1, size: 1, time: T0 }]), /trades\[0\]: trade\.symbol/],
      [JSON.stringify([{ symbol: 'A', price: 1, size: -1, time: T0 }]), /size/],
    ] as const) {
      const r = await post(server.httpUrl, body, TOKEN);
      assert.equal(r.status, 400, body);
      assert.equal(r.body.error, 'bad_request');
      assert.match(r.body.message, reason);
    }
    assert.equal((await getJson(`${server.httpUrl}/api/snapshot?topic=candles:A:1m`)).status, 404, 'a rejected body publishes nothing');
    const huge = JSON.stringify(Array.from({ length: 20_000 }, () => ({ symbol: 'BIG', price: 1, size: 1, time: T0 })));
    assert.ok(huge.length > 1024 * 1024);
    assert.equal((await post(server.httpUrl, huge, TOKEN)).status, 413);
    assert.equal((await getJson(`${server.httpUrl}/healthz`)).status, 200, 'still up');
  });

  test('200 publishes the trades: a new symbol gets its series, subscribers get updates', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    const r = await post(server.httpUrl, JSON.stringify([{ symbol: 'NEW', price: 5, size: 2, time: T0 }]), TOKEN);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { accepted: 1, duplicates: 0 });
    const client = await TestClient.connect(server);
    await client.sub('candles:NEW:1h');
    await client.next((m) => m.op === 'snapshot');
    await post(server.httpUrl, JSON.stringify([{ symbol: 'NEW', price: 6, size: 1, time: T0 + 10 }]), TOKEN);
    const update = await client.next((m) => m.op === 'update');
    assert.deepEqual(update.data, { time: T0 / 1000, open: 5, high: 6, low: 5, close: 6, volume: 3, trades: 2 });
    client.close();
  });
});

describe('dev controls', () => {
  test('/admin/* is a 404 unless dev controls are on', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    for (const path of ['/admin/drop', '/admin/refuse?ms=10', '/admin/silence?ms=10', '/admin/gap?topic=x', '/admin/restart']) {
      assert.equal((await getJson(`${server.httpUrl}${path}`, { method: 'POST' })).status, 404, path);
    }
  });

  test('drop closes every socket with 4000 and reports the count', async (t) => {
    const server = await serverFor(t, { feed: 'none', devControls: true });
    const a = await TestClient.connect(server);
    const b = await TestClient.connect(server);
    const r = await getJson(`${server.httpUrl}/admin/drop`, { method: 'POST' });
    assert.deepEqual(r.body, { dropped: 2 });
    assert.equal((await a.closed).code, CloseCode.Dropped);
    assert.equal((await b.closed).code, CloseCode.Dropped);
    const again = await TestClient.connect(server);
    again.close();
  });

  test('refuse answers upgrades with 503 for a while; REST keeps working; 0 stops refusing', async (t) => {
    const server = await serverFor(t, { feed: 'none', devControls: true });
    assert.equal((await getJson(`${server.httpUrl}/admin/refuse?ms=60000`, { method: 'POST' })).status, 200);
    await assert.rejects(TestClient.connect(server), /503/);
    assert.equal((await getJson(`${server.httpUrl}/healthz`)).status, 200);
    server.controls.refuseUpgrades(0);
    const client = await TestClient.connect(server);
    client.close();
    server.controls.refuseUpgrades(80);
    await assert.rejects(TestClient.connect(server), /503/);
    await new Promise((resolve) => setTimeout(resolve, 120));
    (await TestClient.connect(server)).close();
    assert.equal((await getJson(`${server.httpUrl}/admin/refuse?ms=abc`, { method: 'POST' })).status, 400);
    assert.equal((await getJson(`${server.httpUrl}/admin/refuse`, { method: 'GET' })).status, 405);
  });

  test('refuse and stall with drop=1 also close the open sockets', async (t) => {
    const server = await serverFor(t, { feed: 'none', devControls: true });
    const a = await TestClient.connect(server);
    const r = await getJson(`${server.httpUrl}/admin/refuse?ms=60000&drop=1`, { method: 'POST' });
    assert.deepEqual(r.body, { refusing: 60000, dropped: 1 });
    assert.equal((await a.closed).code, CloseCode.Dropped);
    await assert.rejects(TestClient.connect(server), /503/);
    server.controls.refuseUpgrades(0);
    const b = await TestClient.connect(server);
    const s = await getJson(`${server.httpUrl}/admin/stall?ms=50&drop=1`, { method: 'POST' });
    assert.deepEqual(s.body, { stalling: 50, dropped: 1 });
    assert.equal((await b.closed).code, CloseCode.Dropped);
    assert.deepEqual((await getJson(`${server.httpUrl}/admin/refuse?ms=0`, { method: 'POST' })).body, { refusing: 0 }, 'no drop without drop=1');
  });

  test('restart: a new epoch, every socket dropped, and the old epoch no longer resumes', async (t) => {
    const server = await serverFor(t, { feed: 'none', devControls: true });
    server.publishTrades([{ symbol: 'EPO', price: 1, size: 1, time: T0 }]);
    const client = await TestClient.connect(server);
    const first = await client.sub('candles:EPO:1m');
    const before = server.epoch;
    const r = await getJson(`${server.httpUrl}/admin/restart`, { method: 'POST' });
    const body = r.body as { epoch: string; dropped: number };
    assert.equal(r.status, 200);
    assert.equal(body.dropped, 1);
    assert.notEqual(body.epoch, before);
    assert.equal(server.epoch, body.epoch);
    assert.equal((await client.closed).code, CloseCode.Dropped);
    assert.equal((await getJson(`${server.httpUrl}/healthz`)).body.epoch, body.epoch);
    const again = await TestClient.connect(server);
    const resumed = await again.sub('candles:EPO:1m', { epoch: first.epoch, seq: first.seq });
    assert.equal(resumed.recovered, false, 'a since of the old epoch gets a snapshot');
    assert.equal(resumed.epoch, body.epoch);
    again.close();
  });

  test('silence: no frames, no pongs, no pings, frames unread; then the socket dies; new clients are served', async (t) => {
    const server = await serverFor(t, { rate: 50, tickMs: 20, symbols: ['BTC-USD'], heartbeatMs: 50, devControls: true });
    const client = await TestClient.connect(server);
    await client.sub('candles:BTC-USD:1s');
    await client.next((m) => m.op === 'update');
    let pings = 0;
    client.ws.on('ping', () => pings++);
    assert.deepEqual((await getJson(`${server.httpUrl}/admin/silence?ms=400`, { method: 'POST' })).body, { silenced: 400 });
    client.send({ op: 'ping', id: 1, t: 1 });
    const fresh = await TestClient.connect(server);
    fresh.send({ op: 'ping', id: 2, t: 1 });
    assert.equal((await fresh.next((m) => m.op === 'pong')).id, 2, 'a new client is not silenced');
    // Counted from here: a frame or ping the server wrote just before the silence began may still
    // have been in flight when the POST answered; the fresh client's round trips have let it land.
    const framesAtSilence = client.frames.length;
    pings = 0;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(client.frames.length, framesAtSilence, 'nothing sent while silenced');
    assert.equal(pings, 0, 'no WebSocket pings either');
    assert.equal(client.all((m) => m.op === 'pong').length, 0);
    await client.closed;
    fresh.close();
  });

  test('gap: 404 for an unknown topic, withholds one update of a known one', async (t) => {
    const server = await serverFor(t, { feed: 'none', devControls: true });
    server.publishTrades([{ symbol: 'GAP', price: 1, size: 1, time: T0 }]);
    assert.equal((await getJson(`${server.httpUrl}/admin/gap?topic=candles:NOPE:1m`, { method: 'POST' })).status, 404);
    assert.equal((await getJson(`${server.httpUrl}/admin/gap?topic=nonsense`, { method: 'POST' })).status, 400);
    const client = await TestClient.connect(server);
    await client.sub('candles:GAP:1m');
    await client.next((m) => m.op === 'snapshot');
    assert.equal((await getJson(`${server.httpUrl}/admin/gap?topic=candles:GAP:1m`, { method: 'POST' })).status, 200);
    server.publishTrades([{ symbol: 'GAP', price: 2, size: 1, time: T0 + 1 }]);
    server.publishTrades([{ symbol: 'GAP', price: 3, size: 1, time: T0 + 2 }]);
    assert.equal((await client.next((m) => m.op === 'update')).seq, 3);
    client.close();
  });
});

describe('static demo', () => {
  test('serves demo/ and dist/ with content types, refuses traversal and other paths', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'lmw-static-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    await mkdir(join(root, 'demo'));
    await mkdir(join(root, 'dist'));
    await writeFile(join(root, 'demo', 'index.html'), '<!doctype html><title>demo</title>');
    await writeFile(join(root, 'demo', 'app.css'), 'body{}');
    await writeFile(join(root, 'dist', 'live-market-widgets.js'), 'export {};');
    await writeFile(join(root, 'secret.txt'), 'top secret');
    await symlink(join(root, 'secret.txt'), join(root, 'demo', 'link.txt'));
    const server = await serverFor(t, { feed: 'none', staticRoot: root });

    const index = await rawGet(server.port, '/');
    assert.equal(index.status, 200);
    assert.match(index.type ?? '', /text\/html/);
    assert.match(index.body, /<title>demo/);
    assert.equal((await rawGet(server.port, '/demo/')).body, index.body);
    assert.match((await rawGet(server.port, '/demo/app.css')).type ?? '', /text\/css/);
    const bundle = await rawGet(server.port, '/dist/live-market-widgets.js');
    assert.equal(bundle.status, 200);
    assert.match(bundle.type ?? '', /javascript/);

    for (const path of [
      '/secret.txt',
      '/demo/../secret.txt',
      '/demo/%2e%2e/secret.txt',
      '/demo/..%2fsecret.txt',
      '/demo/..%5csecret.txt',
      '/dist/%2e%2e%2fsecret.txt',
      '/demo/link.txt',
      '/demo/%00index.html',
      '/demo/%E0%A4%A',
      '/demo/missing.js',
      '/package.json',
    ]) {
      const r = await rawGet(server.port, path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /top secret/, path);
    }
  });

  test('without staticRoot nothing is served', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    assert.equal((await rawGet(server.port, '/')).status, 404);
  });
});

describe('upgrades', () => {
  test('only /stream upgrades', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const other = new TestClient(server.url.replace('/stream', '/other'));
    await assert.rejects(other.opened, /404/);
    await waitUntil(() => true);
  });
});
