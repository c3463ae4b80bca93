// @ts-check
/**
 * wtr plugin: more pages for the cross-tab tests (test/tabs/). The test page asks, through
 * server commands, for pages of its own browser context (other "tabs" of the origin) or of a
 * fresh context (another browser profile), and drives them through puppeteer: report,
 * pause, close, navigate, freeze (Chromium's lifecycle freeze, `Page.setWebLifecycleState`).
 * Every page a test opened is closed by `tabs-close-all` (call it in afterEach).
 */

import { startMarketServer } from '../../../server/app.ts';
import { SignJWT } from 'jose';
import { TEST_AUTH_SECRET, TEST_SERVER_OPTIONS } from './reference-server-plugin.mjs';

/**
 * @returns {import('@web/test-runner').TestRunnerPlugin}
 * The tabs tests get a reference server of their own (`tabs-server`), so that the connection
 * counts are theirs alone, with a long heartbeat: a frozen page answers no WebSocket ping, and
 * the test server's 2 s heartbeat would cut a frozen leader's socket before anyone could see it.
 */
export function tabsCommandsPlugin() {
  /** @type {Awaited<ReturnType<typeof startMarketServer>> | undefined} */
  let server;
  /** The same with auth on (`tabs-auth-server`), for the token tests. */
  /** @type {Awaited<ReturnType<typeof startMarketServer>> | undefined} */
  let authServer;
  /** @param {any} p */
  const target = (p) => {
    const s = p?.auth ? authServer : server;
    if (!s) throw new Error(p?.auth ? 'tabs-auth-server first' : 'tabs-server first');
    return s;
  };
  /** @type {Map<string, { page: any, context: any, cdp?: any }>} */
  const pages = new Map();
  /** @type {any[]} */
  const contexts = [];
  let next = 0;
  /** @param {any} session */
  const testPage = (session) => {
    const browser = session.browser;
    if (browser.type !== 'puppeteer' || typeof browser.getPage !== 'function') throw new Error('the tabs commands need the Chrome launcher');
    return browser.getPage(session.id);
  };
  /** @param {string} id */
  const get = (id) => {
    const entry = pages.get(id);
    if (!entry) throw new Error(`no tab ${id}`);
    return entry;
  };
  return {
    name: 'lmw-tabs',
    async serverStop() {
      await server?.close();
      await authServer?.close();
    },
    async executeCommand({ command, payload, session }) {
      if (!command.startsWith('tabs-')) return undefined;
      /** @type {any} */
      const p = payload ?? {};
      switch (command) {
        case 'tabs-server':
          server ??= await startMarketServer({ ...TEST_SERVER_OPTIONS, port: 0, heartbeatMs: 30_000 });
          return { url: server.url, httpUrl: server.httpUrl, epoch: server.epoch };
        case 'tabs-auth-server':
          authServer ??= await startMarketServer({ ...TEST_SERVER_OPTIONS, port: 0, heartbeatMs: 30_000, authSecret: TEST_AUTH_SECRET });
          return { url: authServer.url, httpUrl: authServer.httpUrl, epoch: authServer.epoch };
        case 'tabs-mint':
          // An HS256 JWT for the auth server granting every topic, expiring `expInSeconds` from now.
          return new SignJWT({ topics: ['*'] })
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuedAt()
            .setExpirationTime(Math.floor(Date.now() / 1000) + Number(p.expInSeconds ?? 60))
            .sign(new TextEncoder().encode(TEST_AUTH_SECRET));
        case 'tabs-publish': {
          const response = await fetch(`${target(p).httpUrl}${p.path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TEST_SERVER_OPTIONS.publishToken}`, 'content-type': 'application/json' },
            body: JSON.stringify(p.body),
          });
          return { status: response.status, body: await response.json() };
        }
        case 'tabs-open': {
          // `url` relative to the test page; `context: 'other'` opens it in a new browser context.
          const own = testPage(session);
          let context = own.browserContext();
          if (p.context === 'other') {
            context = await own.browser().createBrowserContext();
            contexts.push(context);
          }
          const page = await context.newPage();
          const id = `tab${++next}`;
          pages.set(id, { page, context });
          await page.goto(new URL(p.url, own.url()).href, { waitUntil: 'load' });
          await page.waitForFunction(() => 'tab' in window, { timeout: 10_000 });
          return id;
        }
        case 'tabs-report':
          return get(p.id).page.evaluate(() => /** @type {any} */ (window).tab.report());
        case 'tabs-call':
          return (await get(p.id).page.evaluate((/** @type {string} */ m) => /** @type {any} */ (window).tab[m](), p.method)) ?? true;
        case 'tabs-add-frame': {
          // An iframe at `url` (absolute: may be another origin) in tab `id`; its tab report is `tabs-frame-report`.
          const entry = get(p.id);
          await entry.page.evaluate(
            (/** @type {string} */ src) =>
              new Promise((resolve) => {
                const frame = document.createElement('iframe');
                frame.src = src;
                frame.onload = () => resolve(true);
                document.body.append(frame);
              }),
            p.url,
          );
          return true;
        }
        case 'tabs-frame-report': {
          const entry = get(p.id);
          const frame = entry.page.frames().find((/** @type {any} */ f) => f !== entry.page.mainFrame());
          if (!frame) throw new Error('no frame');
          await frame.waitForFunction(() => 'tab' in window, { timeout: 10_000 });
          return frame.evaluate(() => /** @type {any} */ (window).tab.report());
        }
        case 'tabs-origin':
          return new URL(testPage(session).url()).origin;
        case 'tabs-close': {
          const entry = get(p.id);
          pages.delete(p.id);
          await entry.page.close({ runBeforeUnload: false });
          return true;
        }
        case 'tabs-navigate': {
          const entry = get(p.id);
          await entry.page.goto(new URL(p.url, entry.page.url()).href, { waitUntil: 'load' });
          return true;
        }
        case 'tabs-back': {
          // Back in history; returns why Chromium did not restore the page from the back-forward cache (none: it did).
          const entry = get(p.id);
          entry.cdp ??= await entry.page.createCDPSession();
          /** @type {string[]} */
          const reasons = [];
          /** @param {any} event */
          const onNotUsed = (event) => {
            for (const r of event.notRestoredExplanations ?? []) reasons.push(`${r.type}:${r.reason}`);
          };
          entry.cdp.on('Page.backForwardCacheNotUsed', onNotUsed);
          await entry.cdp.send('Page.enable');
          await entry.page.goBack({ waitUntil: 'load' });
          await new Promise((resolve) => setTimeout(resolve, 50));
          entry.cdp.off('Page.backForwardCacheNotUsed', onNotUsed);
          return reasons;
        }
        case 'tabs-freeze': {
          const entry = get(p.id);
          entry.cdp ??= await entry.page.createCDPSession();
          await entry.cdp.send('Page.setWebLifecycleState', { state: p.frozen ? 'frozen' : 'active' });
          return true;
        }
        case 'tabs-connections': {
          // The reference server's open WebSockets (GET /healthz, from Node: no CORS).
          const health = await (await fetch(`${target(p).httpUrl}/healthz`)).json();
          return health.connections;
        }
        case 'tabs-close-all': {
          for (const [id, entry] of pages) {
            pages.delete(id);
            if (entry.cdp) await entry.cdp.send('Page.setWebLifecycleState', { state: 'active' }).catch(() => {});
            await entry.page.close({ runBeforeUnload: false }).catch(() => {});
          }
          for (const context of contexts.splice(0)) await context.close().catch(() => {});
          return true;
        }
        default:
          throw new Error(`unknown tabs command ${command}`);
      }
    },
  };
}
