// Server nodes as child processes on one real redis-server, behind a TCP proxy as the load
// balancer: a node SIGKILLed mid-stream, and its client resumes on another node exactly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeProcess } from '../support/node/node-process.js';
import { RedisServer } from '../support/node/redis-server.js';
import { checkContinuity, postTrades, PUBLISH_TOKEN, tradesOf } from '../support/node/redis-nodes.js';
import { delay, getJson, TestClient, waitUntil } from '../support/node/server.js';
import { TcpProxy } from '../support/node/tcp-proxy.js';

let redis: RedisServer;
before(async () => {
  redis = await RedisServer.start();
});
after(async () => {
  await redis.stop();
});

const nodeArgs = () => ['--redis', redis.url, '--publish-token', PUBLISH_TOKEN, '--publish-rate', '0'];

describe('redis nodes as processes', () => {
  test('SIGKILL the node a client is on mid-stream: it resumes on another node with recovered: true, gapless', async (t) => {
    const [a, b] = await Promise.all([NodeProcess.start(nodeArgs()), NodeProcess.start(nodeArgs())]);
    t.after(() => Promise.all([a.kill(), b.kill()]));
    const proxy = new TcpProxy([
      { host: '127.0.0.1', port: a.port },
      { host: '127.0.0.1', port: b.port },
    ]);
    await proxy.listen();
    t.after(() => proxy.close());
    const lb = { url: `ws://127.0.0.1:${proxy.port}/stream` };
    proxy.route(0);

    const symbol = 'KILL-A';
    const topic = `candles:${symbol}:1m`;
    const t0 = Date.now();
    assert.equal(await postTrades(b.httpUrl, tradesOf(symbol, t0, 1)), 200);
    const first = await TestClient.connect(lb);
    const sub = await first.sub(topic);
    assert.equal(sub.seq, 1);

    // A publisher on node B: one trade per post, so one update of the 1m topic per post.
    let posted = 1;
    let stop = false;
    const publisher = (async () => {
      while (!stop) {
        assert.equal(await postTrades(b.httpUrl, tradesOf(symbol, t0 + posted * 3, 1, posted)), 200);
        posted++;
        await delay(3);
      }
    })();
    await waitUntil(() => first.all((m) => m.op === 'update').length >= 20, 8000, '20 updates on node A');
    await a.kill();
    await first.closed;
    const held = checkContinuity(first, topic);
    const last = held.at(-1)!.seq as number;

    proxy.route(1);
    const second = await TestClient.connect(lb);
    t.after(() => second.close());
    const resumed = await second.sub(topic, { epoch: sub.epoch, seq: last });
    assert.equal(resumed.recovered, true);
    assert.equal(resumed.epoch, sub.epoch);
    await waitUntil(() => second.all((m) => m.op === 'update').length >= 20, 8000, '20 updates on node B');
    stop = true;
    await publisher;
    await waitUntil(() => second.all((m) => m.op === 'update' && m.seq === posted).length === 1, 5000, `update ${posted}`);
    const after = checkContinuity(second, topic, { epoch: sub.epoch, seq: last });
    assert.equal(after[0]!.seq, last + 1, 'the first update on node B follows the last one on node A');
    // Every seq exactly once, in order, across the two nodes.
    assert.deepEqual(
      [...held, ...after].map((m) => m.seq),
      Array.from({ length: posted - 1 }, (_, i) => i + 2),
    );
    // Node B's snapshot agrees with what the client holds.
    const snapshot = await getJson(`${b.httpUrl}/api/snapshot?topic=${topic}`);
    assert.equal(snapshot.body.seq, posted);
    assert.deepEqual(snapshot.body.data.bars.at(-1), after.at(-1)!.data);
  });
});
