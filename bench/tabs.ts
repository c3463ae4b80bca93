/**
 * Part 6: ten tabs of one browser, sharing one socket (issue 17, docs/cross-tab.md) against
 * ten sockets (`share: false`), in one run, rounds interleaved. Each round opens ten pages of
 * the built kit in a fresh browser context against an in-process reference server with its
 * simulated market, waits until every page has its topics, then reads the server's own
 * figures over a window: open connections (`lmw_connections`) and protocol messages sent per
 * second (`lmw_messages_sent_total`). Every page counts the updates it applied, so the
 * shared run shows the same updates reaching every tab, and the server's messages per update
 * one tab applied compare the two without the market's drift between windows.
 */
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { startMarketServer } from '../server/app.js';
import { launchBrowser, startBenchWeb } from './browser.js';
import { median, round } from './lib/stats.js';

export type TabsMode = 'shared' | 'unshared';

export interface TabsMeasurement {
  mode: TabsMode;
  round: number;
  connections: number;
  serverMessagesPerSecond: number;
  /** Updates applied per second, summed over the tabs. */
  tabUpdatesPerSecond: number;
  /**
   * Server messages per update one tab applied (server msg/s over the tabs' mean applied/s):
   * about 1 when shared, about the number of tabs when not. Steadier than raw rates, since the
   * simulated market's rate drifts between the windows.
   */
  serverMessagesPerTabUpdate: number;
  sharing: Record<string, number>;
}

interface Summary {
  connections: number;
  serverMessagesPerSecond: number;
  tabUpdatesPerSecond: number;
  serverMessagesPerTabUpdate: number;
}

export interface TabsResult {
  tabs: number;
  topics: string[];
  windowMs: number;
  shared?: Summary;
  unshared?: Summary;
  /** shared / unshared server messages per second, per round. */
  ratios: number[];
  medianRatio: number;
  /** shared / unshared server messages per tab update, per round. */
  perUpdateRatios: number[];
  medianPerUpdateRatio: number;
  measurements: TabsMeasurement[];
  errors: string[];
}

export interface TabsOptions {
  tabs: number;
  rounds: number;
  windowMs: number;
  distDir?: string;
  log: (line: string) => void;
}

const TOPICS = ['candles:BTC-USD:1s', 'candles:ETH-USD:1s', 'candles:SOL-USD:5s', 'portfolio:demo'];

async function metric(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function measure(browser: Browser, origin: string, server: { url: string; httpUrl: string }, mode: TabsMode, roundNo: number, o: TabsOptions): Promise<TabsMeasurement> {
  const context: BrowserContext = await browser.createBrowserContext();
  try {
    const query = new URLSearchParams({ ws: server.url, topics: TOPICS.join(','), ...(mode === 'unshared' ? { share: 'off' } : {}) });
    const pages: Page[] = [];
    for (let i = 0; i < o.tabs; i++) {
      const page = await context.newPage();
      await page.goto(`${origin}/bench/pages/tabs.html?${query}`, { waitUntil: 'load' });
      pages.push(page);
    }
    const expected = mode === 'shared' ? 1 : o.tabs;
    await waitUntil(async () => (await Promise.all(pages.map((p) => p.evaluate(() => (globalThis as any).__tab?.ready() ?? false)))).every(Boolean), 20_000, 'every tab ready');
    await waitUntil(async () => (await metric(server.httpUrl, 'lmw_connections')) === expected, 10_000, `${expected} connection(s)`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const updatesBefore = await Promise.all(pages.map((p) => p.evaluate(() => (globalThis as any).__tab.updates() as number)));
    const sentBefore = await metric(server.httpUrl, 'lmw_messages_sent_total');
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, o.windowMs));
    const sentAfter = await metric(server.httpUrl, 'lmw_messages_sent_total');
    const seconds = (performance.now() - t0) / 1000;
    const updatesAfter = await Promise.all(pages.map((p) => p.evaluate(() => (globalThis as any).__tab.updates() as number)));
    const connections = await metric(server.httpUrl, 'lmw_connections');
    const roles = await Promise.all(pages.map((p) => p.evaluate(() => (globalThis as any).__tab.sharing() as string)));
    const sharing: Record<string, number> = {};
    for (const role of roles) sharing[role] = (sharing[role] ?? 0) + 1;
    const applied = updatesAfter.reduce((sum, n, i) => sum + n - updatesBefore[i]!, 0);
    return {
      mode,
      round: roundNo,
      connections,
      serverMessagesPerSecond: round((sentAfter - sentBefore) / seconds),
      tabUpdatesPerSecond: round(applied / seconds),
      serverMessagesPerTabUpdate: applied > 0 ? round((sentAfter - sentBefore) / (applied / o.tabs)) : NaN,
      sharing,
    };
  } finally {
    await context.close().catch(() => {});
  }
}

export async function runTabsPart(o: TabsOptions): Promise<TabsResult> {
  const result: TabsResult = {
    tabs: o.tabs,
    topics: TOPICS,
    windowMs: o.windowMs,
    ratios: [],
    medianRatio: NaN,
    perUpdateRatios: [],
    medianPerUpdateRatio: NaN,
    measurements: [],
    errors: [],
  };
  if (!o.distDir) {
    result.errors.push('no built kit');
    return result;
  }
  const server = await startMarketServer({ host: '127.0.0.1', port: 0, seed: 7 });
  const web = await startBenchWeb(o.distDir);
  const browser = await launchBrowser();
  try {
    for (let r = 1; r <= o.rounds; r++) {
      const order: TabsMode[] = r % 2 === 1 ? ['shared', 'unshared'] : ['unshared', 'shared'];
      const got: Partial<Record<TabsMode, TabsMeasurement>> = {};
      for (const mode of order) {
        try {
          const m = await measure(browser, web.origin, server, mode, r, o);
          got[mode] = m;
          result.measurements.push(m);
          o.log(
            `tabs round ${r} ${mode}: ${m.connections} connection(s), ${m.serverMessagesPerSecond} server msg/s, ` +
              `${m.tabUpdatesPerSecond} tab updates/s, ${m.serverMessagesPerTabUpdate} server msg per tab update, ${JSON.stringify(m.sharing)}`,
          );
        } catch (error) {
          result.errors.push(`round ${r} ${mode}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (got.shared && got.unshared && got.unshared.serverMessagesPerSecond > 0) {
        result.ratios.push(round(got.shared.serverMessagesPerSecond / got.unshared.serverMessagesPerSecond, 3));
        result.perUpdateRatios.push(round(got.shared.serverMessagesPerTabUpdate / got.unshared.serverMessagesPerTabUpdate, 3));
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await web.close();
    await server.close();
  }
  for (const mode of ['shared', 'unshared'] as const) {
    const ms = result.measurements.filter((m) => m.mode === mode);
    if (ms.length === 0) continue;
    result[mode] = {
      connections: median(ms.map((m) => m.connections)),
      serverMessagesPerSecond: median(ms.map((m) => m.serverMessagesPerSecond)),
      tabUpdatesPerSecond: median(ms.map((m) => m.tabUpdatesPerSecond)),
      serverMessagesPerTabUpdate: median(ms.map((m) => m.serverMessagesPerTabUpdate)),
    };
  }
  result.medianRatio = result.ratios.length ? median(result.ratios) : NaN;
  result.medianPerUpdateRatio = result.perUpdateRatios.length ? median(result.perUpdateRatios) : NaN;
  return result;
}
