#!/usr/bin/env node
// `npm run cluster -- [--redis URL] [--nodes 3] [--port 8080]`: several server nodes on one Redis
// behind a small TCP proxy (test/support/node/tcp-proxy.ts) on one machine, as a load balancer would
// run them (docs/scaling.md). Node 1 runs the market simulator; every node takes publishes
// (LMW_PUBLISH_TOKEN, default "dev"). The proxy sends each new connection to the next node whose
// /healthz answers 200 (checked every second). Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TcpProxy } from '../test/support/node/tcp-proxy.ts';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const redis = arg('redis', 'redis://127.0.0.1:6379');
const count = Number(arg('nodes', '3'));
const port = Number(arg('port', '8080'));
const token = process.env.LMW_PUBLISH_TOKEN ?? 'dev';
const root = fileURLToPath(new URL('..', import.meta.url));

const nodes = [];
for (let i = 0; i < count; i++) {
  const nodePort = port + 1 + i;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/cli.ts', '--port', String(nodePort), '--redis', redis, '--publish-token', token, ...(i === 0 ? ['--feed', 'sim'] : [])],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  nodes.push({ host: '127.0.0.1', port: nodePort, child, up: false });
}

const check = async () => {
  for (const node of nodes) {
    try {
      const response = await fetch(`http://${node.host}:${node.port}/healthz`, { signal: AbortSignal.timeout(800) });
      node.up = response.status === 200;
    } catch {
      node.up = false;
    }
  }
};
setInterval(check, 1000).unref();

const proxy = new TcpProxy(nodes, (target) => nodes.find((n) => n.port === target.port)?.up ?? false);
await proxy.listen(port);
console.log(`load balancer on ws://127.0.0.1:${port}/stream -> nodes on ports ${nodes.map((n) => n.port).join(', ')} (Redis ${redis})`);

const stop = () => {
  for (const node of nodes) node.child.kill('SIGTERM');
  void proxy.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
