// Publishing events, documents and positions over HTTP: every route's success and each refusal.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, serverFor } from '../support/node/server.js';

const TOKEN = 'publish-secret';
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json', ...auth };
const mergePatch = { 'content-type': 'application/merge-patch+json', ...auth };

type Server = { httpUrl: string };

function send(server: Server, method: string, path: string, body: unknown, headers: Record<string, string> = json) {
  return getJson(`${server.httpUrl}${path}`, { method, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

const snapshot = async (server: Server, topic: string) => (await getJson(`${server.httpUrl}/api/snapshot?topic=${topic}`)).body;

describe('POST /api/events/<CHANNEL>', () => {
  test('stores one event or a batch, fills in time, answers the new seq; the same id twice is stored once', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    assert.equal((await getJson(`${server.httpUrl}/api/snapshot?topic=events:alerts`)).status, 404, 'unpublished: unknown_topic');
    const before = Date.now();
    const one = await send(server, 'POST', '/api/events/alerts', { type: 'alert', id: 'a1', data: { level: 'high' } });
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, { topic: 'events:alerts', seq: 1, stored: 1 });
    const batch = await send(server, 'POST', '/api/events/alerts', [
      { type: 'alert', id: 'a1', data: { level: 'high' } }, // a retry of the first: not stored again
      { type: 'step', time: 1234, data: 7 },
      { type: 'step', id: 'a2', data: null },
    ]);
    assert.deepEqual(batch.body, { topic: 'events:alerts', seq: 3, stored: 2 });
    const again = await send(server, 'POST', '/api/events/alerts', { type: 'alert', id: 'a2', data: null });
    assert.deepEqual(again.body, { topic: 'events:alerts', seq: 3, stored: 0 });
    const snap = await snapshot(server, 'events:alerts');
    assert.equal(snap.seq, 3);
    assert.equal(snap.data.channel, 'alerts');
    assert.equal(snap.data.max, 100);
    assert.deepEqual(snap.data.events.map((e: any) => [e.type, e.id ?? null]), [['alert', 'a1'], ['step', null], ['step', 'a2']]);
    assert.ok(snap.data.events[0].time >= before && snap.data.events[0].time <= Date.now(), 'time filled in');
    assert.equal(snap.data.events[1].time, 1234, 'a given time is kept');
  });

  test('the snapshot keeps the last N events (eventsKept), oldest first', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN, eventsKept: 3 });
    await send(server, 'POST', '/api/events/log', [1, 2, 3, 4, 5].map((n) => ({ type: 'n', data: n })));
    const snap = await snapshot(server, 'events:log');
    assert.equal(snap.seq, 5);
    assert.deepEqual(snap.data.events.map((e: any) => e.data), [3, 4, 5]);
  });

  test('a batch with one bad event is refused whole with the field that is wrong', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    await send(server, 'POST', '/api/events/x', { type: 'first', data: 1 });
    const bad = await send(server, 'POST', '/api/events/x', [{ type: 'ok', data: 1 }, { type: '', data: 2 }]);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'bad_request');
    assert.match(bad.body.message, /events\[1\]\.type/);
    assert.equal((await snapshot(server, 'events:x')).seq, 1, 'nothing of the batch applied');
    for (const [body, field] of [
      [{ type: 't' }, /event\.data is missing/],
      [{ type: 't', data: 1, time: 'now' }, /event\.time/],
      [{ type: 't', data: 1, id: 5 }, /event\.id/],
      [{ type: 't', data: 1, extra: true }, /event\.extra is not a field/],
      [[], /must not be empty/],
      ['{"type":"t","data":{"__proto__":1}}', /__proto__/],
    ] as const) {
      const answer = await send(server, 'POST', '/api/events/x', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.body.message, field);
    }
    const badName = await send(server, 'POST', '/api/events/bad:name', { type: 't', data: 1 });
    assert.equal(badName.status, 400);
    assert.match(badName.body.message, /invalid channel/);
    assert.equal((await getJson(`${server.httpUrl}/api/snapshot?topic=events:${'x'.repeat(65)}`)).status, 400, 'over 64 characters');
  });
});

describe('PUT and PATCH /api/state/<KEY>', () => {
  test('PUT replaces, PATCH merges (null deletes), each update the merge patch; no-op keeps the seq', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    const put = await send(server, 'PUT', '/api/state/risk', { var: 1.5, limits: { a: 1, b: 2 }, tags: ['x'] });
    assert.deepEqual(put.body, { topic: 'state:risk', seq: 1 });
    const patch = await send(server, 'PATCH', '/api/state/risk', { limits: { b: null, c: 3 }, var: 2 }, mergePatch);
    assert.deepEqual(patch.body, { topic: 'state:risk', seq: 2 });
    assert.deepEqual((await snapshot(server, 'state:risk')).data, { var: 2, limits: { a: 1, c: 3 }, tags: ['x'] });
    const replaced = await send(server, 'PUT', '/api/state/risk', { var: 2 });
    assert.equal(replaced.body.seq, 3);
    assert.deepEqual((await snapshot(server, 'state:risk')).data, { var: 2 });
    const same = await send(server, 'PUT', '/api/state/risk', { var: 2 });
    assert.equal(same.body.seq, 3, 'nothing changed: no update');
    const created = await send(server, 'PATCH', '/api/state/fresh', { a: { b: 1 } }, mergePatch);
    assert.equal(created.body.seq, 1);
    assert.deepEqual((await snapshot(server, 'state:fresh')).data, { a: { b: 1 } });
  });

  test('refuses what is not a document, with the path of the bad member', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    const cases: Array<[string, unknown, Record<string, string>, RegExp]> = [
      ['PUT', [1, 2], json, /document must be a JSON object/],
      ['PUT', { a: { b: null } }, json, /document\.a\.b is null/],
      ['PATCH', 'text', mergePatch, /patch must be a JSON object/],
    ];
    for (const [method, body, headers, reason] of cases) {
      const answer = await send(server, method, '/api/state/k', JSON.stringify(body), headers);
      assert.equal(answer.status, 400, `${method} ${JSON.stringify(body)}`);
      assert.match(answer.body.message, reason);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const tooDeep = await send(server, 'PUT', '/api/state/k', deep);
    assert.equal(tooDeep.status, 400);
    assert.match(tooDeep.body.message, /deeper than 32/);
    assert.equal((await getJson(`${server.httpUrl}/api/snapshot?topic=state:k`)).status, 404, 'nothing was created');
    // A document may not grow past 256 K characters, also through patches.
    assert.equal((await send(server, 'PUT', '/api/state/k', { a: 'x'.repeat(200_000) })).status, 200);
    const grown = await send(server, 'PATCH', '/api/state/k', { b: 'y'.repeat(100_000) }, mergePatch);
    assert.equal(grown.status, 400);
    assert.match(grown.body.message, /longer than 262144 characters/);
    assert.equal((await snapshot(server, 'state:k')).seq, 1);
    const bigEvent = await send(server, 'POST', '/api/events/c', { type: 't', data: 'z'.repeat(70_000) });
    assert.equal(bigEvent.status, 400);
    assert.match(bigEvent.body.message, /event\.data is longer than 65536/);
  });
});

describe('POST /api/portfolio/<ACCOUNT>', () => {
  test('rows marked from the symbol’s own trades when the server has it, else from lastPrice; totals are the sums', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    server.publishTrades([{ symbol: 'AAA', price: 12, size: 1, time: Date.now() }]);
    assert.equal((await getJson(`${server.httpUrl}/api/snapshot?topic=portfolio:acme`)).status, 404);
    const posted = await send(server, 'POST', '/api/portfolio/acme', {
      currency: 'EUR',
      positions: [
        { symbol: 'AAA', qty: 10, avgPrice: 10, lastPrice: 99 }, // the server's trades win
        { symbol: 'ZZZ', qty: 2, avgPrice: 50, lastPrice: 55.5, realizedPnl: 3.25 },
      ],
    });
    assert.deepEqual(posted.body, { topic: 'portfolio:acme', seq: 1 });
    let snap = (await snapshot(server, 'portfolio:acme')).data;
    assert.equal(snap.currency, 'EUR');
    const row = (symbol: string) => snap.positions.find((p: any) => p.symbol === symbol);
    assert.deepEqual(
      { ...row('AAA'), precision: undefined },
      { symbol: 'AAA', qty: 10, avgPrice: 10, lastPrice: 12, marketValue: 120, unrealizedPnl: 20, realizedPnl: 0, precision: undefined },
    );
    assert.equal(row('ZZZ').lastPrice, 55.5);
    assert.equal(row('ZZZ').marketValue, 111);
    assert.equal(row('ZZZ').unrealizedPnl, 11);
    assert.equal(row('ZZZ').realizedPnl, 3.25);
    assert.deepEqual(snap.totals, { marketValue: 231, unrealizedPnl: 31, realizedPnl: 3.25, totalPnl: 34.25 });

    // A new trade re-marks the row and the totals.
    server.publishTrades([{ symbol: 'AAA', price: 13, size: 1, time: Date.now() + 1 }]);
    snap = (await snapshot(server, 'portfolio:acme')).data;
    assert.equal(row('AAA').lastPrice, 13);
    assert.equal(snap.totals.marketValue, 130 + 111);

    const removed = await send(server, 'POST', '/api/portfolio/acme', { positions: [], removed: ['ZZZ'] });
    assert.equal(removed.body.seq, 3);
    snap = (await snapshot(server, 'portfolio:acme')).data;
    assert.deepEqual(snap.positions.map((p: any) => p.symbol), ['AAA']);
    const replaced = await send(server, 'POST', '/api/portfolio/acme', { replace: true, positions: [{ symbol: 'BBB', qty: 1, avgPrice: 1, lastPrice: 2 }] });
    assert.equal(replaced.status, 200);
    snap = (await snapshot(server, 'portfolio:acme')).data;
    assert.deepEqual(snap.positions.map((p: any) => p.symbol), ['BBB']);
    const empty = await send(server, 'POST', '/api/portfolio/empty', { positions: [] });
    assert.equal(empty.status, 200);
    assert.deepEqual((await snapshot(server, 'portfolio:empty')).data.positions, []);
  });

  test('refuses bad rows with the field, whole: nothing applied', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    await send(server, 'POST', '/api/portfolio/acme', { positions: [{ symbol: 'AAA', qty: 1, avgPrice: 1, lastPrice: 1 }] });
    const cases: Array<[unknown, RegExp]> = [
      [{ positions: [{ symbol: 'OK', qty: 1, avgPrice: 1, lastPrice: 1 }, { symbol: 'B', qty: 'x', avgPrice: 1, lastPrice: 1 }] }, /positions\[1\]\.qty/],
      [{ positions: [{ symbol: 'NEW', qty: 1, avgPrice: 1 }] }, /positions\[0\]\.lastPrice is required/],
      [{ positions: [{ symbol: 'A', qty: 1, avgPrice: -1, lastPrice: 1 }] }, /avgPrice/],
      [{ positions: [{ symbol: 'A A', qty: 1, avgPrice: 1, lastPrice: 1 }] }, /symbol/],
      [{ positions: {} }, /positions must be an array/],
      [{ positions: [], removed: [7] }, /removed\[0\]/],
      [{ positions: [], currency: 'usd' }, /currency/],
      [{ positions: [], currency: 'GBP' }, /differs from the account's USD/],
      [{ positions: [], replace: 'yes' }, /replace/],
      [{ positions: [], other: 1 }, /body\.other is not a field/],
    ];
    for (const [body, reason] of cases) {
      const answer = await send(server, 'POST', '/api/portfolio/acme', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.body.message, reason);
    }
    const snap = await snapshot(server, 'portfolio:acme');
    assert.equal(snap.seq, 1);
    assert.deepEqual(snap.data.positions.map((p: any) => p.symbol), ['AAA']);
  });
});

describe('publishing refusals common to every route', () => {
  const routes: Array<[string, string, Record<string, string>, unknown]> = [
    ['POST', '/api/events/c', json, { type: 't', data: 1 }],
    ['PUT', '/api/state/k', json, { a: 1 }],
    ['PATCH', '/api/state/k', mergePatch, { a: 1 }],
    ['POST', '/api/portfolio/p', json, { positions: [] }],
  ];

  test('403 with publishing off; 401 without or with a wrong token; 415 for a wrong content type; 405 for a wrong method', async (t) => {
    const off = await serverFor(t, { feed: 'none' });
    const on = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    for (const [method, path, headers, body] of routes) {
      assert.equal((await send(off, method, path, body, headers)).status, 403, `${method} ${path} off`);
      const { authorization: _, ...noToken } = headers;
      const missing = await send(on, method, path, body, noToken);
      assert.equal(missing.status, 401, `${method} ${path} no token`);
      assert.equal(missing.body.code, 'unauthorized');
      assert.equal((await send(on, method, path, body, { ...headers, authorization: 'Bearer wrong' })).status, 401);
      const wrongType = await send(on, method, path, body, { ...headers, 'content-type': method === 'PATCH' ? 'application/json' : 'text/plain' });
      assert.equal(wrongType.status, 415, `${method} ${path} type`);
      assert.equal(wrongType.body.code, 'unsupported_media_type');
      const notJson = await send(on, method, path, '{nope', headers);
      assert.equal(notJson.status, 400);
      assert.match(notJson.body.message, /not valid JSON/);
    }
    const wrongMethod = await send(on, 'GET', '/api/events/c', undefined as unknown as string);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
    assert.equal((await send(on, 'DELETE', '/api/state/k', '{}')).headers.get('allow'), 'PUT, PATCH');
    // Nothing was published by any refused request.
    for (const topic of ['events:c', 'state:k', 'portfolio:p']) assert.equal((await getJson(`${on.httpUrl}/api/snapshot?topic=${topic}`)).status, 404);
  });

  test('413 over the body limit, nothing applied, and the server stays up', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
    const big = JSON.stringify({ type: 't', data: 'x'.repeat(1024 * 1024 + 1) });
    const answer = await send(server, 'POST', '/api/events/c', big);
    assert.equal(answer.status, 413);
    assert.equal(answer.body.code, 'payload_too_large');
    assert.equal((await getJson(`${server.httpUrl}/api/snapshot?topic=events:c`)).status, 404);
    assert.equal((await send(server, 'POST', '/api/events/c', { type: 't', data: 1 })).status, 200);
  });

  test('429 when publishing faster than publishRate, with Retry-After; the refused request applies nothing', async (t) => {
    const server = await serverFor(t, { feed: 'none', publishToken: TOKEN, publishRate: 2 });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await send(server, 'POST', '/api/events/c', { type: 't', data: i }));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 429, 429]);
    assert.equal(answers[2]!.body.code, 'rate_limited');
    assert.ok(Number(answers[2]!.headers.get('retry-after')) >= 1);
    assert.equal((await snapshot(server, 'events:c')).seq, 2);
  });
});
