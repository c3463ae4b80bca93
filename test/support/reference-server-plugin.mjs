// @ts-check
/**
 * wtr plugin: runs the real reference server on a loopback port for the browser tests
 * and gives the tests server commands (see test/support/server.ts for the browser side).
 */
import { startMarketServer } from '../../server/app.ts';

/** Options the browser tests run the server with: fast heartbeat, small fast market. */
export const TEST_SERVER_OPTIONS = {
  host: '127.0.0.1',
  port: 0,
  seed: 7,
  symbols: ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT'],
  rate: 20,
  heartbeatMs: 2000,
  devControls: true,
  publishToken: 'test-publish-token',
};

/** @returns {import('@web/test-runner').TestRunnerPlugin} */
export function referenceServerPlugin() {
  /** @type {Awaited<ReturnType<typeof startMarketServer>> | undefined} */
  let server;
  /** @type {number} */
  let port = 0;
  const start = async () => {
    server = await startMarketServer({ ...TEST_SERVER_OPTIONS, port });
    port = server.port;
  };
  return {
    name: 'lmw-reference-server',
    async serverStart() {
      await start();
    },
    async serverStop() {
      await server?.close();
    },
    async executeCommand({ command, payload }) {
      if (!command.startsWith('lmw-')) return undefined;
      if (!server) throw new Error('reference server is not running');
      /** @type {any} */
      const p = payload ?? {};
      switch (command) {
        case 'lmw-server':
          return { url: server.url, httpUrl: server.httpUrl, epoch: server.epoch, publishToken: TEST_SERVER_OPTIONS.publishToken };
        case 'lmw-drop':
          return server.controls.dropAll();
        case 'lmw-restart':
          await server.close();
          await start();
          return { url: server.url, epoch: server.epoch };
        case 'lmw-refuse':
          server.controls.refuseUpgrades(Number(p.ms ?? 0));
          return true;
        case 'lmw-silence':
          server.controls.silence(Number(p.ms ?? 0));
          return true;
        case 'lmw-gap':
          server.controls.injectGap(String(p.topic));
          return true;
        default:
          throw new Error(`unknown server command ${command}`);
      }
    },
  };
}
