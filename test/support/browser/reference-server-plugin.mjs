// @ts-check
/**
 * wtr plugin: runs the real reference server on a loopback port for the browser tests
 * and gives the tests server commands (see test/support/browser/server.ts for the browser side).
 */
import { SignJWT } from 'jose';
import { startMarketServer } from '../../../server/app.ts';

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

/** Secret of the second, auth-enabled server (`lmw-auth-server`); tokens are minted in Node with it. */
export const TEST_AUTH_SECRET = 'test-auth-secret-0123456789abcdef';

/**
 * An HS256 JWT for the auth server. `expInSeconds` from now (may be negative), `topics`
 * the claim; `wrongSecret` signs with another secret; `omitTopics` leaves the claim out.
 * @param {{ topics?: string[], expInSeconds?: number, wrongSecret?: boolean, omitTopics?: boolean }} p
 */
async function mintToken(p) {
  const claims = p.omitTopics ? {} : { topics: p.topics ?? ['*'] };
  const secret = p.wrongSecret ? 'not-the-secret-0123456789abcdef' : TEST_AUTH_SECRET;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + Number(p.expInSeconds ?? 60))
    .sign(new TextEncoder().encode(secret));
}

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
  /** A second server with auth on, started on first use (`lmw-auth-server`). */
  /** @type {Awaited<ReturnType<typeof startMarketServer>> | undefined} */
  let authServer;
  /** A third server with a tiny client frame rate (`lmw-limited-server`), started on first use. */
  /** @type {Awaited<ReturnType<typeof startMarketServer>> | undefined} */
  let limitedServer;
  /** A fourth server simulating currency pairs, its demo account holding them (`lmw-fx-server`), started on first use. */
  /** @type {Awaited<ReturnType<typeof startMarketServer>> | undefined} */
  let fxServer;
  /** A fifth server with ten symbols (60 candle topics) and the default limits (`lmw-wide-server`), started on first use. */
  /** @type {Awaited<ReturnType<typeof startMarketServer>> | undefined} */
  let wideServer;
  /** DevTools sessions holding a page's offline emulation (`lmw-offline`), by test session id. */
  /** @type {Map<string, any>} */
  const offlineSessions = new Map();
  /** @param {any} session */
  const page = (session) => session.browser.getPage(session.id);
  return {
    name: 'lmw-reference-server',
    async serverStart() {
      await start();
    },
    async serverStop() {
      await server?.close();
      await authServer?.close();
      await limitedServer?.close();
      await fxServer?.close();
      await wideServer?.close();
    },
    async executeCommand({ command, payload, session }) {
      if (!command.startsWith('lmw-')) return undefined;
      // Commands that do not need the main server.
      switch (command) {
        case 'lmw-auth-server':
          authServer ??= await startMarketServer({ ...TEST_SERVER_OPTIONS, port: 0, authSecret: TEST_AUTH_SECRET });
          return { url: authServer.url, httpUrl: authServer.httpUrl, epoch: authServer.epoch };
        case 'lmw-auth-refuse':
          // Refuse WebSocket upgrades on the auth server for `ms` (REST keeps working): polling with a token.
          if (!authServer) throw new Error('the auth server is not running (lmw-auth-server first)');
          authServer.controls.refuseUpgrades(Number(/** @type {any} */ (payload)?.ms ?? 0));
          return true;
        case 'lmw-limited-server':
          // 5 client frames a second, burst 4: a hello and three subs pass, more are dropped unread (rate_limited).
          limitedServer ??= await startMarketServer({ ...TEST_SERVER_OPTIONS, port: 0, clientRate: 5, clientBurst: 4 });
          return { url: limitedServer.url, httpUrl: limitedServer.httpUrl, epoch: limitedServer.epoch };
        case 'lmw-fx-server':
          // EURUSD (tick 0.00001) and USDJPY (0.001) first, so the demo account holds both: price precision.
          fxServer ??= await startMarketServer({ ...TEST_SERVER_OPTIONS, port: 0, symbols: ['EURUSD', 'USDJPY', 'BTC-USD'], rate: 5 });
          return { url: fxServer.url, httpUrl: fxServer.httpUrl, epoch: fxServer.epoch };
        case 'lmw-wide-server':
          // Ten symbols at a busy rate, default buffer mark and slow-consumer time: a dashboard of 60 topics.
          wideServer ??= await startMarketServer({
            ...TEST_SERVER_OPTIONS,
            port: 0,
            symbols: ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'EURUSD', 'USDJPY', 'GOOG', 'AMZN', 'NVDA'],
            rate: 30,
          });
          return { url: wideServer.url, httpUrl: wideServer.httpUrl, epoch: wideServer.epoch };
        case 'lmw-wide-drop':
          if (!wideServer) throw new Error('the wide server is not running (lmw-wide-server first)');
          return wideServer.controls.dropAll();
        case 'lmw-wide-metrics':
          if (!wideServer) throw new Error('the wide server is not running (lmw-wide-server first)');
          return (await fetch(`${wideServer.httpUrl}/metrics`)).text();
        case 'lmw-fx-publish':
          // Trades published on the fx server (the path of POST /api/trades), e.g. a new symbol's.
          if (!fxServer) throw new Error('the fx server is not running (lmw-fx-server first)');
          fxServer.publishTrades(/** @type {any} */ (payload)?.trades ?? []);
          return true;
        case 'lmw-mint-token':
          return mintToken(/** @type {any} */ (payload ?? {}));
        case 'lmw-offline': {
          // Chromium's own offline emulation (DevTools network conditions) for this page,
          // scoped to the main server's origin: navigator.onLine false and an `offline` event,
          // requests and WebSocket connects to the server fail (ERR_INTERNET_DISCONNECTED).
          // Scoped because whole-page offline also cuts the runner's own socket to the page.
          // Chromium 156's network service crashes (taking every socket of the page, the
          // runner's too) when emulation is lifted from a WebSocket that lived through it, so
          // going offline waits until the server has no open connection and refuses otherwise.
          /** @type {any} */
          const browser = session.browser;
          if (browser.type !== 'puppeteer' || typeof browser.getPage !== 'function') throw new Error('lmw-offline needs the Chrome launcher');
          if (!server) throw new Error('reference server is not running');
          const offline = Boolean(/** @type {any} */ (payload)?.offline);
          let cdp = offlineSessions.get(session.id);
          if (!offline) {
            if (!cdp) return false;
            offlineSessions.delete(session.id);
            await cdp.send('Network.emulateNetworkConditionsByRule', { offline: false, matchedNetworkConditions: [] });
            await cdp.send('Network.overrideNetworkState', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
            await cdp.send('Network.disable');
            await cdp.detach().catch(() => {});
            return true;
          }
          const deadline = Date.now() + 2_000;
          for (;;) {
            const health = await (await fetch(`${server.httpUrl}/healthz`)).json();
            if (health.connections === 0) break;
            if (Date.now() > deadline)
              throw new Error(`lmw-offline: the server still has ${health.connections} open WebSocket(s); close them before going offline`);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          if (!cdp) {
            cdp = await page(session).createCDPSession();
            offlineSessions.set(session.id, cdp);
            await cdp.send('Network.enable');
          }
          const origin = `127.0.0.1:${server.port}`;
          const rule = (/** @type {string} */ urlPattern) => ({ urlPattern, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
          await cdp.send('Network.emulateNetworkConditionsByRule', {
            offline: true,
            matchedNetworkConditions: [rule(`http://${origin}/*`), rule(`ws://${origin}/*`)],
          });
          await cdp.send('Network.overrideNetworkState', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
          return true;
        }
        case 'lmw-gc': {
          // A real, full garbage collection in the test page through the DevTools protocol, then the heap size.
          /** @type {any} */
          const browser = session.browser;
          if (browser.type !== 'puppeteer' || typeof browser.getPage !== 'function') throw new Error('lmw-gc needs the Chrome launcher');
          const cdp = await browser.getPage(session.id).createCDPSession();
          try {
            await cdp.send('HeapProfiler.collectGarbage');
            await cdp.send('HeapProfiler.collectGarbage');
            const usage = await cdp.send('Runtime.getHeapUsage');
            return { usedSize: usage.usedSize, totalSize: usage.totalSize };
          } finally {
            await cdp.detach().catch(() => {});
          }
        }
      }
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
        case 'lmw-metrics':
          // GET /metrics from Node (the endpoint sends no CORS headers): Prometheus text.
          return (await fetch(`${server.httpUrl}/metrics`)).text();
        case 'lmw-gap':
          server.controls.injectGap(String(p.topic));
          return true;
        case 'lmw-stall':
          server.controls.stallHandshakes(Number(p.ms ?? 0));
          return true;
        case 'lmw-publish': {
          // A backend publishing over HTTP with the publish token (from Node: the token stays out of the page).
          const response = await fetch(`${server.httpUrl}${p.path}`, {
            method: p.method ?? 'POST',
            headers: { authorization: `Bearer ${TEST_SERVER_OPTIONS.publishToken}`, 'content-type': p.contentType ?? 'application/json' },
            body: JSON.stringify(p.body),
          });
          return { status: response.status, body: await response.json() };
        }
        default:
          throw new Error(`unknown server command ${command}`);
      }
    },
  };
}
