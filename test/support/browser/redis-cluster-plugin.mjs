// @ts-check
/**
 * wtr plugin: three server nodes as child processes on a real redis-server, behind the TCP
 * proxy of test/support/node/tcp-proxy.ts, for test/reliability/redis-cluster.test.ts. Started
 * on first use (`redis-cluster-start`), so the other browser tests never need Redis. The
 * publisher posts trades and events to the live nodes in turn; `redis-cluster-kill` SIGKILLs the
 * nodes a page is connected to and starts fresh ones in their place.
 */
import { NodeProcess } from '../node/node-process.ts';
import { RedisServer } from '../node/redis-server.ts';
import { TcpProxy } from '../node/tcp-proxy.ts';

const TOKEN = 'redis-cluster-token';
export const REDIS_CLUSTER_SYMBOL = 'RC-1';

/** @returns {import('@web/test-runner').TestRunnerPlugin} */
export function redisClusterPlugin() {
  /** @type {RedisServer | undefined} */
  let redis;
  /** @type {NodeProcess[]} */
  let nodes = [];
  /** @type {TcpProxy | undefined} */
  let proxy;
  let publishing = false;
  /** @type {Promise<void> | undefined} */
  let publisher;
  let sent = 0;
  const args = () => ['--redis', /** @type {RedisServer} */ (redis).url, '--publish-token', TOKEN, '--publish-rate', '0', '--heartbeat-ms', '2000'];
  const targets = () => nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  /** @param {NodeProcess} node @param {string} path @param {unknown} body */
  const post = async (node, path, body) => {
    const response = await fetch(`${node.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
    await response.text();
    return response.status;
  };
  /** One trade and one event, to the next node that answers. */
  const publishOnce = async () => {
    for (let attempt = 0; attempt < nodes.length; attempt++) {
      const node = nodes[(sent + attempt) % nodes.length];
      if (!node) continue;
      try {
        const time = Date.now();
        const trade = { symbol: REDIS_CLUSTER_SYMBOL, price: 100 + (sent % 17) * 0.25, size: 1, time };
        if ((await post(node, '/api/trades', [trade])) !== 200) continue;
        if ((await post(node, '/api/events/rc', { type: 'tick', id: `e-${sent}`, data: { n: sent } })) !== 200) continue;
        sent++;
        return;
      } catch {
        // a node killed under the request: the next one
      }
    }
  };
  return {
    name: 'redis-cluster',
    async serverStop() {
      publishing = false;
      await publisher;
      await proxy?.close();
      await Promise.all(nodes.map((n) => n.kill()));
      await redis?.stop();
    },
    async executeCommand({ command, payload }) {
      if (!command.startsWith('redis-cluster-')) return undefined;
      switch (command) {
        case 'redis-cluster-start': {
          if (!proxy) {
            redis = await RedisServer.start();
            nodes = await Promise.all([0, 1, 2].map(() => NodeProcess.start(args())));
            proxy = new TcpProxy(targets());
            await proxy.listen();
            sent = 0;
            await publishOnce(); // the topics exist before the page subscribes
          }
          return { url: `ws://127.0.0.1:${proxy.port}/stream`, httpUrl: `http://127.0.0.1:${proxy.port}` };
        }
        case 'redis-cluster-publish': {
          const on = Boolean(/** @type {any} */ (payload)?.on);
          if (on && !publishing) {
            publishing = true;
            publisher = (async () => {
              while (publishing) {
                await publishOnce();
                await new Promise((resolve) => setTimeout(resolve, 15));
              }
            })();
          } else if (!on) {
            publishing = false;
            await publisher;
          }
          return sent;
        }
        case 'redis-cluster-kill': {
          // SIGKILL every node with an open WebSocket (the page's), then a fresh node in each one's place.
          let killed = 0;
          const next = [];
          for (const node of nodes) {
            let connections = 0;
            try {
              connections = (await (await fetch(`${node.httpUrl}/healthz`)).json()).connections;
            } catch {
              connections = 0;
            }
            if (connections > 0) {
              await node.kill();
              killed++;
              next.push(await NodeProcess.start(args()));
            } else next.push(node);
          }
          nodes = next;
          proxy?.setTargets(targets());
          return killed;
        }
        case 'redis-cluster-snapshot': {
          const topic = String(/** @type {any} */ (payload)?.topic);
          const response = await fetch(`${nodes[0]?.httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
          return response.json();
        }
        default:
          throw new Error(`unknown command ${command}`);
      }
    },
  };
}
