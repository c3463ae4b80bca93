// Dev control `stallHandshakes(ms)` / `POST /admin/stall?ms=`: for ms, new connections complete
// the upgrade but their hello is never answered; when the window ends they are terminated.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode } from '../../src/protocol/index.js';
import { delay, getJson, metricValue, serverFor, TestClient } from '../support/node/server.js';

/** Opens a socket (the upgrade must complete) and sends a well-formed hello. */
async function helloOnly(url: string): Promise<TestClient> {
  const client = new TestClient(url);
  await client.opened;
  client.send({ op: 'hello', v: 1 });
  return client;
}

describe('dev control: stall handshakes', () => {
  test('a stalled hello gets nothing (no welcome, no 4400, no pings) and is cut when the window ends; others are served', async (t) => {
    // Hello timeout and heartbeat far shorter than the stall: neither may act on a stalled session.
    // (100 ms, not less: the connection opened before the stall must answer its pings in time on a
    // loaded machine.)
    const server = await serverFor(t, { feed: 'none', devControls: true, heartbeatMs: 100, helloTimeoutMs: 150 });
    const before = await TestClient.connect(server);
    const started = Date.now();
    assert.deepEqual((await getJson(`${server.httpUrl}/admin/stall?ms=700`, { method: 'POST' })).body, { stalling: 700 });
    const stalled = await helloOnly(server.url);
    let pings = 0;
    stalled.ws.on('ping', () => pings++);
    let closedAt = 0;
    void stalled.closed.then(() => (closedAt = Date.now()));

    // The connection opened before the stall is untouched.
    before.send({ op: 'ping', id: 1, t: 1 });
    assert.equal((await before.next((m) => m.op === 'pong')).id, 1);
    assert.equal((await getJson(`${server.httpUrl}/healthz`)).status, 200, 'REST keeps working');

    await delay(450); // past the 150 ms hello timeout and several heartbeats
    assert.equal(closedAt, 0, 'still open: the hello timeout does not close a stalled session');
    assert.deepEqual(stalled.frames, [], 'nothing sent: no welcome, no error');
    assert.equal(pings, 0, 'no WebSocket pings either');

    const closed = await stalled.closed;
    assert.equal(closed.code, 1006, 'terminated (no close frame), not closed with 4400');
    assert.ok(closedAt - started >= 700, `cut when the window ended, not before (${closedAt - started} ms)`);
    assert.deepEqual(stalled.frames, []);
    assert.equal(await metricValue(server.httpUrl, 'lmw_closes_total{code="stalled"}'), 1);
    assert.equal(await metricValue(server.httpUrl, `lmw_closes_total{code="${CloseCode.BadHello}"}`), 0);

    // After the window new connections get their welcome at once.
    const after = await TestClient.connect(server);
    after.close();
    before.close();
  });

  test('every connection opened during the window stalls; a new stall extends it; 0 ends it at once', async (t) => {
    const server = await serverFor(t, { feed: 'none', devControls: true });
    server.controls.stallHandshakes(60_000);
    const a = await helloOnly(server.url);
    const b = await helloOnly(server.url);
    server.controls.stallHandshakes(60_000);
    const c = await helloOnly(server.url);
    await delay(200);
    for (const client of [a, b, c]) assert.deepEqual(client.frames, []);
    assert.equal((await getJson(`${server.httpUrl}/healthz`)).body.connections, 3);
    assert.deepEqual((await getJson(`${server.httpUrl}/admin/stall?ms=0`, { method: 'POST' })).body, { stalling: 0 });
    for (const client of [a, b, c]) assert.equal((await client.closed).code, 1006);
    const fresh = await TestClient.connect(server);
    assert.equal(fresh.messages[0]?.op, 'welcome');
    fresh.close();
  });

  test('a stalled connection can still be dropped, and server shutdown does not wait for it', async (t) => {
    const server = await serverFor(t, { feed: 'none', devControls: true });
    server.controls.stallHandshakes(60_000);
    const a = await helloOnly(server.url);
    assert.equal(server.controls.dropAll(), 1);
    assert.equal((await a.closed).code, 1006);
    assert.equal(await metricValue(server.httpUrl, 'lmw_closes_total{code="dropped"}'), 1);
    const b = await helloOnly(server.url);
    const started = Date.now();
    await server.close();
    assert.equal((await b.closed).code, 1006);
    assert.ok(Date.now() - started < 5_000, 'close did not hang on the stall timer');
  });

  test('/admin/stall: 404 without dev controls, admin token required when set, ms validated, POST only', async (t) => {
    const plain = await serverFor(t, { feed: 'none' });
    assert.equal((await getJson(`${plain.httpUrl}/admin/stall?ms=10`, { method: 'POST' })).status, 404);
    const guarded = await serverFor(t, { feed: 'none', devControls: true, adminToken: 'adm-token' });
    assert.equal((await getJson(`${guarded.httpUrl}/admin/stall?ms=10`, { method: 'POST' })).status, 401);
    assert.equal(
      (await getJson(`${guarded.httpUrl}/admin/stall?ms=10`, { method: 'POST', headers: { Authorization: 'Bearer adm-token' } })).status,
      200,
    );
    guarded.controls.stallHandshakes(0);
    const open = await serverFor(t, { feed: 'none', devControls: true });
    for (const ms of ['abc', '-1', '1.5', '', String(10 * 60 * 1000 + 1)]) {
      assert.equal((await getJson(`${open.httpUrl}/admin/stall?ms=${ms}`, { method: 'POST' })).status, 400, `ms=${ms}`);
    }
    assert.equal((await getJson(`${open.httpUrl}/admin/stall`, { method: 'POST' })).status, 400);
    assert.equal((await getJson(`${open.httpUrl}/admin/stall?ms=10`, { method: 'GET' })).status, 405);
    // Nothing was stalled by the refused requests.
    (await TestClient.connect(open)).close();
  });
});
