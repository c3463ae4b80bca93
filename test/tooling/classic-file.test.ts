// The classic build from file://: examples/html/index.html, opened as a file in Chromium,
// loads dist/live-market-widgets.classic.js with a plain <script src> (module scripts are
// blocked on file://), the four elements upgrade, and they show live data from the real
// reference server, with an `lmw-bar` event reaching the page. The CMS snippet of
// docs/frameworks.md works the same way from a file. Needs `npm run build` (npm test builds first).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { startMarketServer, type MarketServer } from '../../server/app.js';
// @ts-expect-error: a plain .mjs helper without types
import { chromiumArgs, findChromium } from '../../scripts/chromium.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const classic = `${root}dist/live-market-widgets.classic.js`;
const page = pathToFileURL(`${root}examples/html/index.html`);

let server: MarketServer;
let browser: Browser;

before(async () => {
  assert.ok(existsSync(classic), 'dist/live-market-widgets.classic.js is missing: run `npm run build` first');
  const executablePath = findChromium() as string | undefined;
  assert.ok(executablePath, 'no Chromium: apt-get install -y chromium, or set CHROME_PATH');
  server = await startMarketServer({ host: '127.0.0.1', port: 0, seed: 7, symbols: ['BTC-USD', 'ETH-USD'], rate: 20 });
  browser = await puppeteer.launch({ executablePath, headless: true, args: chromiumArgs as string[] });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('examples/html from file:// upgrades the four elements with the classic script and shows live data', async () => {
  const tab = await browser.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (error) => errors.push(String(error)));
  page.searchParams.set('src', server.url);
  await tab.goto(page.href, { waitUntil: 'load' });
  assert.equal(new URL(tab.url()).protocol, 'file:');

  // No module script on the page: the kit came from the classic file.
  const scripts = await tab.$$eval('script[src]', (nodes) => nodes.map((n) => ({ src: n.getAttribute('src'), type: n.getAttribute('type') })));
  assert.deepEqual(scripts, [{ src: '../../dist/live-market-widgets.classic.js', type: null }]);

  // In-page code as strings: this suite's TypeScript has no DOM types.
  const inPage = <T>(expression: string) => tab.evaluate(expression) as Promise<T>;
  const TAGS = `['connection-badge', 'live-price-chart', 'pnl-summary', 'ws-metrics-panel']`;
  assert.deepEqual(await inPage(`${TAGS}.map((tag) => typeof customElements.get(tag))`), ['function', 'function', 'function', 'function']);
  assert.equal(await inPage('typeof LiveMarketWidgets.getStream'), 'function');

  const states = () => inPage<string[]>(`${TAGS}.map((tag) => document.querySelector(tag).state)`);
  await tab
    .waitForFunction(`${TAGS}.slice(1).every((tag) => document.querySelector(tag).state === 'live')`, { timeout: 15_000 })
    .catch(async (error) => assert.fail(`not live: ${JSON.stringify(await states())} ${errors.join('; ')} (${error})`));
  assert.equal((await states())[0], 'open');

  // A live bar arrived as an lmw-bar event (the page's listener writes its close), and the chart drew.
  await tab.waitForFunction(`/^\\d/.test(document.getElementById('last-close').textContent)`, { timeout: 15_000 });
  const close = Number(await inPage<string>(`document.getElementById('last-close').textContent`));
  assert.ok(close > 0, `last close ${close}`);
  const chart = await inPage<{ bars: number; canvases: number; width: number }>(`(() => {
    const el = document.querySelector('live-price-chart');
    return { bars: el.bars.length, canvases: el.shadowRoot.querySelectorAll('canvas').length, width: el.getBoundingClientRect().width };
  })()`);
  assert.ok(chart.bars > 0 && chart.canvases > 0 && chart.width > 0, JSON.stringify(chart));
  const rows = await inPage<number>(`document.querySelector('pnl-summary').shadowRoot.querySelectorAll('tbody tr').length`);
  assert.ok(rows > 0, 'the P&L table has rows');
  assert.deepEqual(errors, []);
  await tab.close();
});

test("docs/frameworks.md's CMS snippet (classic script + meta tag) works from a file", async () => {
  const doc = readFileSync(`${root}docs/frameworks.md`, 'utf8');
  const section = doc.slice(doc.indexOf('## A CMS'));
  const snippet = /```html\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(snippet, 'the CMS section has an html snippet');
  // The snippet as written, with the CDN swapped for the local build and the server for ours.
  const html = snippet
    .replace(/src="https:[^"]*\/live-market-widgets\.classic\.js"/, `src="${pathToFileURL(classic).href}"`)
    .replace(/content="wss:[^"]*"/, `content="${server.url}"`);
  assert.notEqual(html, snippet);
  assert.doesNotMatch(html, /type="module"/);
  const dir = mkdtempSync(join(tmpdir(), 'lmw-cms-'));
  try {
    writeFileSync(join(dir, 'page.html'), `<!doctype html><meta charset="utf-8">\n${html}`);
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(join(dir, 'page.html')).href, { waitUntil: 'load' });
    const tags = ['connection-badge', 'live-price-chart', 'pnl-summary', 'ws-metrics-panel'];
    await tab.waitForFunction(
      `${JSON.stringify(tags)}.every((tag) => document.querySelector(tag)?.state === (tag === 'connection-badge' ? 'open' : 'live'))`,
      { timeout: 15_000 },
    );
    assert.equal(await tab.evaluate(`document.querySelector('live-price-chart').chartType`), 'area');
    await tab.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
