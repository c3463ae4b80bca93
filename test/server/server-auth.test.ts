// Auth and access: JWT hello tokens (every failure path), topic patterns, forbidden subs, refresh,
// expiry, origin allow-list, admin and publish tokens. Real server, real sockets, real jose tokens.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { CloseCode } from '../../src/protocol/index.js';
import { compilePattern, patternMatches, sameSecret } from '../../server/auth.js';
import { startMarketServer } from '../../server/app.js';
import { delay, getJson, metricValue, serverFor, TestClient } from '../support/node/server.js';

const SECRET = 'test-auth-secret-0123456789abcdef';
const key = (secret = SECRET) => new TextEncoder().encode(secret);
const nowS = () => Date.now() / 1000;

/** A signed token; `exp` in seconds from now (may be fractional), `topics` as the claim (null = no claim). */
async function token(
  topics: unknown = ['candles:*'],
  { exp = 3600, secret = SECRET, alg = 'HS256', noExp = false }: { exp?: number; secret?: string; alg?: string; noExp?: boolean } = {},
): Promise<string> {
  const jwt = new SignJWT(topics === null ? {} : { topics: topics as string[] }).setProtectedHeader({ alg }).setIssuedAt();
  if (!noExp) jwt.setExpirationTime(nowS() + exp);
  return jwt.sign(key(secret));
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const authed = { feed: 'sim' as const, symbols: ['BTC-USD', 'ETH-USD'], rate: 20, tickMs: 20, authSecret: SECRET };

/** Sends a hello with `tok` and expects `error unauthorized` then close 4401. */
async function expectRejected(server: { url: string }, tok: string | undefined, reason: RegExp) {
  const client = await TestClient.connect(server, false);
  client.send({ op: 'hello', v: 1, ...(tok !== undefined ? { token: tok } : {}) });
  const closed = await Promise.race([client.closed, delay(5000).then(() => assert.fail(`not closed; got ${JSON.stringify(client.messages)}`))]);
  assert.equal(closed.code, CloseCode.Unauthorized);
  assert.equal(client.messages.length, 1, 'one error frame, nothing else (no welcome)');
  assert.equal(client.messages[0]!.op, 'error');
  assert.equal(client.messages[0]!.code, 'unauthorized');
  assert.match(client.messages[0]!.message, reason);
  if (tok) assert.ok(!client.messages[0]!.message.includes(tok) && !closed.reason.includes(tok), 'the token is never echoed');
}

describe('topic patterns', () => {
  test('`*` matches one segment, or the rest of the topic as the last segment', () => {
    const cases: Array<[string, string, boolean]> = [
      ['candles:*', 'candles:BTC-USD:1m', true],
      ['candles:*', 'portfolio:alice', false],
      ['candles:*', 'candles', false],
      ['candles:BTC-USD:*', 'candles:BTC-USD:5s', true],
      ['candles:BTC-USD:*', 'candles:ETH-USD:5s', false],
      ['candles:*:1m', 'candles:ETH-USD:1m', true],
      ['candles:*:1m', 'candles:ETH-USD:5m', false],
      ['portfolio:alice', 'portfolio:alice', true],
      ['portfolio:alice', 'portfolio:alicex', false],
      ['portfolio:alice', 'portfolio:Alice', false],
      ['portfolio:*', 'portfolio:bob', true],
      ['*', 'portfolio:bob', true],
      ['*', 'candles:BTC-USD:1h', true],
      ['candles:BTC-USD:1m', 'candles:BTC-USD:1m', true],
      ['candles:BTC-USD', 'candles:BTC-USD:1m', false],
    ];
    for (const [pattern, topic, expected] of cases) {
      const compiled = compilePattern(pattern);
      assert.ok(compiled, pattern);
      assert.equal(patternMatches(compiled, topic), expected, `${pattern} vs ${topic}`);
    }
    for (const bad of ['', 'candles:BTC*', 'candles::1m', ':', 'x'.repeat(129), 42, null]) assert.equal(compilePattern(bad), null, String(bad));
  });

  test('sameSecret compares by digest: equal only for the same string', () => {
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abc', 'abd'), false);
    assert.equal(sameSecret('abc', 'abcd'), false);
    assert.equal(sameSecret('', 'abc'), false);
  });
});

describe('hello with auth on', () => {
  test('missing, garbage, wrong-signature, wrong-alg, alg none, expired, not-yet-valid, no exp, no/bad topics claim: unauthorized then 4401', async (t) => {
    const server = await serverFor(t, authed);
    await expectRejected(server, undefined, /token is required/);
    await expectRejected(server, 'not-a-jwt', /not a valid JWT/);
    await expectRejected(server, 'a.b.c', /not a valid JWT|signature|algorithm/);
    await expectRejected(server, await token(['*'], { secret: 'another-secret' }), /signature is invalid/);
    await expectRejected(server, await token(['*'], { alg: 'HS512' }), /algorithm not allowed/);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ exp: nowS() + 3600, topics: ['*'] })}.`;
    await expectRejected(server, none, /algorithm not allowed/);
    // A valid HS256 signature over a header that says "none" does not help either.
    const good = await token(['*']);
    const [, payload, signature] = good.split('.');
    await expectRejected(server, `${b64({ alg: 'none' })}.${payload}.${signature}`, /algorithm not allowed/);
    await expectRejected(server, await token(['*'], { exp: -5 }), /expired/);
    const notYet = await new SignJWT({ topics: ['*'] }).setProtectedHeader({ alg: 'HS256' }).setNotBefore('1h').setExpirationTime('2h').sign(key());
    await expectRejected(server, notYet, /"nbf" claim/);
    await expectRejected(server, await token(['*'], { noExp: true }), /no "exp" claim/);
    await expectRejected(server, await token(null), /no "topics" claim/);
    await expectRejected(server, await token('candles:*'), /no "topics" claim/);
    await expectRejected(server, await token(['candles:BTC*']), /invalid pattern/);
    await expectRejected(server, await token([42]), /invalid pattern/);
    assert.equal(await metricValue(server.httpUrl, 'lmw_closes_total{code="4401"}'), 14);
    assert.equal(await metricValue(server.httpUrl, 'lmw_connections'), 0);
  });

  test('a valid token opens the session; a sub outside the claim is forbidden for that sub only', async (t) => {
    const server = await serverFor(t, authed);
    const client = await TestClient.connect(server, { token: await token(['candles:BTC-USD:*', 'portfolio:alice']) });
    const ok = await client.sub('candles:BTC-USD:1m');
    assert.equal(ok.op, 'subscribed');
    const forbidden = await client.sub('candles:ETH-USD:1m');
    assert.deepEqual(
      { op: forbidden.op, code: forbidden.code, id: forbidden.id, topic: forbidden.topic },
      { op: 'error', code: 'forbidden', id: 2, topic: 'candles:ETH-USD:1m' },
    );
    // Forbidden comes before the lookup: an ungranted topic does not reveal whether it exists.
    const demo = await client.sub('portfolio:demo');
    assert.equal(demo.code, 'forbidden');
    const unknownButGranted = await client.sub('portfolio:alice');
    assert.equal(unknownButGranted.code, 'unknown_topic');
    const malformed = await client.sub('nonsense');
    assert.equal(malformed.code, 'bad_request');
    // The session is fine and the allowed topic keeps streaming.
    const before = client.all((m) => m.op === 'update' && m.topic === 'candles:BTC-USD:1m').length;
    await client.next((m) => m.op === 'update' && m.topic === 'candles:BTC-USD:1m');
    assert.ok(client.all((m) => m.op === 'update' && m.topic === 'candles:BTC-USD:1m').length > before);
    assert.equal(client.all((m) => m.op === 'update' && m.topic !== 'candles:BTC-USD:1m').length, 0, 'nothing from forbidden topics');
    client.close();
  });

  test('frames sent right behind the hello wait for the token check and are handled in order', async (t) => {
    const server = await serverFor(t, authed);
    const client = await TestClient.connect(server, false);
    client.send({ op: 'hello', v: 1, token: await token(['candles:*']) });
    client.send({ op: 'sub', id: 1, topic: 'candles:BTC-USD:1m' });
    client.send({ op: 'ping', id: 2, t: 5 });
    client.send({ op: 'sub', id: 3, topic: 'portfolio:demo' });
    await client.next((m) => m.id === 3);
    assert.deepEqual(
      client.messages.filter((m) => m.op !== 'update' && m.op !== 'snapshot').map((m) => `${m.op}:${m.id ?? ''}`),
      ['welcome:', 'subscribed:1', 'pong:2', 'error:3'],
    );
    client.close();
  });

  test('a bad hello token is never logged', async () => {
    const lines: string[] = [];
    const server = await startMarketServer({ port: 0, ...authed, logger: (line) => lines.push(line) });
    try {
      const bad = await token(['*'], { secret: 'wrong-secret' });
      await expectRejected(server, bad, /signature/);
      const good = await token(['*'], { exp: 0.3 });
      const client = await TestClient.connect(server, { token: good });
      client.send({ op: 'refresh', token: bad });
      await client.next((m) => m.op === 'error');
      await client.closed;
      for (const line of lines) assert.ok(!line.includes(bad) && !line.includes(good), `log line leaks a token: ${line}`);
    } finally {
      await server.close();
    }
  });
});

describe('refresh and expiry', () => {
  test('a session whose token expires is closed with 4401 token_expired', async (t) => {
    const server = await serverFor(t, authed);
    const client = await TestClient.connect(server, { token: await token(['candles:*'], { exp: 0.6 }) });
    await client.sub('candles:BTC-USD:1m');
    const started = Date.now();
    const closed = await client.closed;
    assert.deepEqual(closed, { code: CloseCode.Unauthorized, reason: 'token_expired' });
    assert.ok(Date.now() - started < 3000);
  });

  test('refresh with a valid token extends the session (new exp); nothing is sent back', async (t) => {
    const server = await serverFor(t, authed);
    const client = await TestClient.connect(server, { token: await token(['candles:*'], { exp: 0.8 }) });
    await client.sub('candles:BTC-USD:1m');
    client.send({ op: 'refresh', token: await token(['candles:*'], { exp: 60 }) });
    // A ping after the refresh is answered after it: no error before the pong means accepted.
    client.send({ op: 'ping', id: 50, t: 1 });
    await client.next((m) => m.op === 'pong');
    assert.equal(client.all((m) => m.op === 'error').length, 0);
    await delay(1300); // past the first token's exp
    assert.equal(client.ws.readyState, client.ws.OPEN);
    client.send({ op: 'ping', id: 51, t: 2 });
    assert.equal((await client.next((m) => m.op === 'pong')).id, 51);
    assert.equal(client.all((m) => m.op === 'error').length, 0);
    client.close();
  });

  test('a bad refresh token gets error unauthorized, the session stays until the current token expires', async (t) => {
    const server = await serverFor(t, authed);
    const client = await TestClient.connect(server, { token: await token(['candles:*'], { exp: 1.2 }) });
    for (const bad of [await token(['candles:*'], { secret: 'nope', exp: 60 }), await token(['candles:*'], { exp: -1 }), 'garbage']) {
      client.send({ op: 'refresh', token: bad });
      const error = await client.next((m) => m.op === 'error');
      assert.equal(error.code, 'unauthorized');
      assert.match(error.message, /refresh rejected/);
      assert.ok(!error.message.includes(bad));
    }
    client.send({ op: 'ping', id: 7, t: 1 });
    await client.next((m) => m.op === 'pong');
    assert.deepEqual(await client.closed, { code: CloseCode.Unauthorized, reason: 'token_expired' });
  });

  test('a refresh that narrows the topics ends the subscriptions it no longer grants', async (t) => {
    const server = await serverFor(t, authed);
    const client = await TestClient.connect(server, { token: await token(['candles:*']) });
    await client.sub('candles:BTC-USD:1s');
    await client.sub('candles:ETH-USD:1s');
    client.send({ op: 'refresh', token: await token(['candles:BTC-USD:*']) });
    const revoked = await client.next((m) => m.op === 'error');
    assert.equal(revoked.code, 'forbidden');
    assert.equal(revoked.topic, 'candles:ETH-USD:1s');
    const cut = client.messages.length;
    await delay(400);
    const after = client.messages.slice(cut);
    assert.ok(after.some((m) => m.op === 'update' && m.topic === 'candles:BTC-USD:1s'), 'granted topic keeps streaming');
    assert.ok(!after.some((m) => m.topic === 'candles:ETH-USD:1s'), 'revoked topic stops');
    assert.equal((await client.sub('candles:ETH-USD:1s')).code, 'forbidden');
    client.close();
  });

  test('without auth, tokens and refresh are accepted and ignored', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    const client = await TestClient.connect(server, { token: 'anything' });
    client.send({ op: 'refresh', token: 'whatever' });
    client.send({ op: 'ping', id: 1, t: 1 });
    await client.next((m) => m.op === 'pong');
    assert.equal(client.all((m) => m.op === 'error').length, 0);
    client.close();
  });
});

describe('origins', () => {
  test('upgrades from an unlisted Origin get 403; listed (normalised) and absent Origins are allowed', async (t) => {
    const server = await serverFor(t, { feed: 'none', allowedOrigins: ['https://app.example.com', 'http://localhost:5173'] });
    await assert.rejects(TestClient.connect(server, true, { origin: 'https://evil.example.com' }), /upgrade refused: 403/);
    await assert.rejects(TestClient.connect(server, true, { origin: 'https://app.example.com:8443' }), /upgrade refused: 403/);
    await assert.rejects(TestClient.connect(server, true, { origin: 'null' }), /upgrade refused: 403/);
    await assert.rejects(TestClient.connect(server, true, { origin: 'http://app.example.com' }), /upgrade refused: 403/);
    for (const origin of ['https://app.example.com', 'HTTPS://APP.EXAMPLE.COM:443', 'http://localhost:5173']) {
      const client = await TestClient.connect(server, true, { origin });
      client.close();
    }
    const noOrigin = await TestClient.connect(server);
    noOrigin.close();
    assert.equal(await metricValue(server.httpUrl, 'lmw_upgrades_refused_total{reason="origin"}'), 4);
  });

  test('a bad allowedOrigins entry is refused at start', async () => {
    await assert.rejects(startMarketServer({ port: 0, feed: 'none', allowedOrigins: ['not an origin'] }), /allowedOrigins/);
  });
});

describe('admin and publish tokens', () => {
  test('/admin/* needs the admin bearer token when one is set', async (t) => {
    const server = await serverFor(t, { feed: 'none', devControls: true, adminToken: 'admin-s3cret' });
    const post = (headers: Record<string, string>) => getJson(`${server.httpUrl}/admin/drop`, { method: 'POST', headers });
    assert.equal((await post({})).status, 401);
    assert.equal((await post({ Authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await post({ Authorization: 'Bearer admin-s3cret-and-more' })).status, 401);
    assert.equal((await post({ Authorization: 'Basic admin-s3cret' })).status, 401);
    assert.equal((await getJson(`${server.httpUrl}/admin/nope`, { method: 'POST' })).status, 401, 'auth before routing');
    const ok = await post({ Authorization: 'Bearer admin-s3cret' });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { dropped: 0 });
  });

  test('dev controls without an admin token stay open on loopback and are refused on other hosts', async (t) => {
    const server = await serverFor(t, { feed: 'none', devControls: true });
    assert.equal((await getJson(`${server.httpUrl}/admin/drop`, { method: 'POST' })).status, 200);
    await assert.rejects(startMarketServer({ port: 0, host: '0.0.0.0', feed: 'none', devControls: true }), /need adminToken/);
  });

  test('POST /api/trades checks its own token: missing, wrong (any length), other schemes are 401', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: 'pub-token', adminToken: 'admin-token', devControls: true });
    const post = (headers: Record<string, string>) =>
      getJson(`${server.httpUrl}/api/trades`, { method: 'POST', headers, body: JSON.stringify([{ symbol: 'AAA', price: 1, size: 1, time: 1 }]) });
    for (const headers of <Array<Record<string, string>>>[{}, { Authorization: 'Bearer pub-tokem' }, { Authorization: 'Bearer p' }, { Authorization: 'Bearer admin-token' }, { Authorization: 'pub-token' }])
      assert.equal((await post(headers)).status, 401, JSON.stringify(headers));
    assert.deepEqual((await post({ Authorization: 'Bearer pub-token' })).body, { accepted: 1, duplicates: 0 });
    // The publish token does not open /admin.
    assert.equal((await getJson(`${server.httpUrl}/admin/drop`, { method: 'POST', headers: { Authorization: 'Bearer pub-token' } })).status, 401);
  });
});

describe('GET /api/snapshot with auth on', () => {
  const snapshot = (server: { httpUrl: string }, topic: string | undefined, headers: Record<string, string> = {}, method = 'GET') =>
    getJson(`${server.httpUrl}/api/snapshot${topic === undefined ? '' : `?topic=${encodeURIComponent(topic)}`}`, { method, headers });
  const bearer = (tok: string) => ({ Authorization: `Bearer ${tok}` });

  test('missing, malformed, badly signed, expired or claimless bearer tokens get 401 {code: unauthorized}, before anything else', async (t) => {
    const lines: string[] = [];
    const server = await serverFor(t, { ...authed, logger: (line) => lines.push(line) });
    const bad = [
      await token(['*'], { secret: 'another-secret' }),
      await token(['*'], { exp: -5 }),
      await token(null),
      await token(['*'], { alg: 'HS512' }),
      await token(['*'], { noExp: true }),
    ];
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /token is required/],
      [{ Authorization: 'Basic dXNlcjpwYXNz' }, /token is required/],
      [{ Authorization: `${bad[0]}` }, /token is required/], // no scheme
      [bearer('not-a-jwt'), /not a valid JWT/],
      [bearer(bad[0]!), /signature is invalid/],
      [bearer(bad[1]!), /expired/],
      [bearer(bad[2]!), /no "topics" claim/],
      [bearer(bad[3]!), /algorithm not allowed/],
      [bearer(bad[4]!), /no "exp" claim/],
    ];
    for (const [headers, reason] of cases) {
      const r = await snapshot(server, 'portfolio:demo', headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.body.code, 'unauthorized');
      assert.equal(r.body.error, 'unauthorized');
      assert.match(r.body.message, reason);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
      assert.equal(r.headers.get('access-control-allow-origin'), '*', 'readable by the page (CORS on the 401 too)');
      assert.ok(!('data' in r.body));
      for (const tok of bad) assert.ok(!JSON.stringify(r.body).includes(tok), 'the token is never echoed');
    }
    // 401 comes first: no topic, a malformed or an unknown one tell an anonymous client nothing.
    for (const topic of [undefined, 'nonsense', 'portfolio:nobody']) assert.equal((await snapshot(server, topic)).status, 401, String(topic));
    // The token travels in the header only; nothing logged carries one.
    for (const line of lines) for (const tok of bad) assert.ok(!line.includes(tok), `log line leaks a token: ${line}`);
  });

  test('a topic outside the claim is 403 {code: forbidden} whether it exists or not; granted topics answer 200 or 404', async (t) => {
    const server = await serverFor(t, authed);
    const tok = await token(['candles:BTC-USD:*', 'portfolio:alice']);
    for (const topic of ['portfolio:demo', 'portfolio:nobody', 'candles:ETH-USD:1m', 'candles:NOPE:1m']) {
      const r = await snapshot(server, topic, bearer(tok));
      assert.equal(r.status, 403, topic);
      assert.deepEqual({ code: r.body.code, error: r.body.error }, { code: 'forbidden', error: 'forbidden' });
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
    }
    const ok = await snapshot(server, 'candles:BTC-USD:1m', bearer(tok));
    assert.equal(ok.status, 200);
    assert.equal(ok.body.topic, 'candles:BTC-USD:1m');
    assert.equal(ok.body.epoch, server.epoch);
    assert.ok(Number.isSafeInteger(ok.body.seq));
    assert.ok(Array.isArray(ok.body.data.bars) && ok.body.data.bars.length > 0);
    assert.equal(ok.headers.get('access-control-allow-origin'), '*');
    // Granted but not published: 404, like unknown_topic on the socket.
    const unknown = await snapshot(server, 'portfolio:alice', bearer(tok));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'unknown_topic');
    // Authenticated but malformed: 400.
    assert.equal((await snapshot(server, 'nonsense', bearer(tok))).status, 400);
    assert.equal((await snapshot(server, undefined, bearer(tok))).status, 400);
    // The same token that reads the demo portfolio over the socket reads it over REST.
    const wide = await token(['*']);
    const demo = await snapshot(server, 'portfolio:demo', bearer(wide));
    assert.equal(demo.status, 200);
    assert.equal(demo.body.data.account, 'demo');
  });

  test('CORS preflight allows the Authorization header; an allow-list echoes listed origins only', async (t) => {
    const preflight = (server: { httpUrl: string }, origin: string) =>
      fetch(`${server.httpUrl}/api/snapshot?topic=candles:BTC-USD:1m`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
      });
    const open = await serverFor(t, authed);
    const any = await preflight(open, 'https://anywhere.example');
    assert.equal(any.status, 204);
    assert.equal(any.headers.get('access-control-allow-origin'), '*');
    assert.equal(any.headers.get('access-control-allow-methods'), 'GET');
    assert.equal(any.headers.get('access-control-allow-headers'), 'authorization');

    const listed = await serverFor(t, { ...authed, allowedOrigins: ['https://app.example.com'] });
    const ok = await preflight(listed, 'https://app.example.com');
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(ok.headers.get('access-control-allow-headers'), 'authorization');
    assert.match(ok.headers.get('vary') ?? '', /Origin/);
    const other = await preflight(listed, 'https://evil.example.com');
    assert.equal(other.headers.get('access-control-allow-origin'), null, 'an unlisted origin gets no grant');
    const tok = await token(['candles:*']);
    const got = await snapshot(listed, 'candles:BTC-USD:1m', { ...bearer(tok), Origin: 'https://app.example.com' });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('access-control-allow-origin'), 'https://app.example.com');
    const refused = await snapshot(listed, 'candles:BTC-USD:1m', { Origin: 'https://app.example.com' });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), 'https://app.example.com', 'the page can read why');
    const elsewhere = await snapshot(listed, 'candles:BTC-USD:1m', { ...bearer(tok), Origin: 'https://evil.example.com' });
    assert.equal(elsewhere.headers.get('access-control-allow-origin'), null);
    // No Origin (not a browser): answered, no CORS grant needed.
    assert.equal((await snapshot(listed, 'candles:BTC-USD:1m', bearer(tok))).status, 200);
  });

  test('auth off: /api/snapshot stays public, any Authorization header is ignored', async (t) => {
    const server = await serverFor(t, { feed: 'sim', symbols: ['BTC-USD'], rate: 20, tickMs: 20 });
    for (const headers of [{}, { Authorization: 'Bearer garbage' }, bearer(await token(['candles:*']))]) {
      const r = await snapshot(server, 'portfolio:demo', headers);
      assert.equal(r.status, 200, JSON.stringify(headers));
      assert.equal(r.body.data.account, 'demo');
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
    }
    const missing = await snapshot(server, 'portfolio:nobody');
    assert.equal(missing.status, 404);
    assert.deepEqual({ error: missing.body.error, code: missing.body.code }, { error: 'unknown_topic', code: 'unknown_topic' });
  });
});
