#!/usr/bin/env node
// `npm run screenshot`: starts the reference server with the demo on a free port, opens
// the QA dashboard in headless Chromium, waits for live data and writes docs/screenshot.png.
//   node scripts/screenshot.mjs [--theme dark|light] [--out docs/screenshot.png]
// `npm run screenshot:pnl` (--pnl): <pnl-summary> alone on a page 320, 390, 768 and 1440 px
// wide, written to docs/pnl-<width>.png (it rebuilds the bundle first, so they show the source).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';
import { chromiumArgs, chromiumPath } from './chromium.mjs';

const root = new URL('..', import.meta.url).pathname;
const arg = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
};
const theme = arg('theme', 'dark');
const out = resolve(root, arg('out', 'docs/screenshot.png'));
const pnlOnly = process.argv.includes('--pnl');
const PNL_WIDTHS = [320, 390, 768, 1440];

if (pnlOnly) {
  const build = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
} else if (!existsSync(join(root, 'dist/live-market-widgets.js'))) {
  console.log('dist/ is missing: running npm run build');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

/** Starts the server on a free port and resolves with its ws URL once it says so. */
function startServer() {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/cli.ts', '--port', '0', '--host', '127.0.0.1', '--demo', '--dev-controls', '--seed', '11', '--rate', '12'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (ws:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    });
  });
}

const { child, url } = await startServer();
const httpUrl = url.replace(/^ws/, 'http').replace(/\/stream$/, '');
let browser;
try {
  browser = await puppeteer.launch({ executablePath: chromiumPath(), headless: true, args: chromiumArgs });
  const page = await browser.newPage();
  if (pnlOnly) {
    await screenshotPnl(page);
  } else await screenshotDemo(page);
} finally {
  await browser?.close();
  child.kill('SIGTERM');
}

/** <pnl-summary> alone, at each width of PNL_WIDTHS (a page of its own, same origin as the bundle). */
async function screenshotPnl(page) {
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: theme === 'light' ? 'light' : 'dark' }]);
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${httpUrl}/?theme=${encodeURIComponent(theme)}`, { waitUntil: 'load' });
  // The demo's own <pnl-summary>, moved alone into an empty body (DOM calls, no markup).
  const background = theme === 'light' ? '#eef1f5' : '#0b1119';
  await page.evaluate((background) => {
    const pnl = document.querySelector('pnl-summary');
    pnl.removeAttribute('class');
    pnl.removeAttribute('style');
    for (const sheet of document.querySelectorAll('link[rel=stylesheet], style')) sheet.remove();
    document.body.replaceChildren(pnl);
    document.body.removeAttribute('class');
    document.body.style.cssText = `margin:0;padding:8px;background:${background}`;
  }, background);
  await page.waitForFunction(() => document.querySelector('pnl-summary')?.state === 'live', { timeout: 30_000 });
  for (const width of PNL_WIDTHS) {
    await page.setViewport({ width, height: 400, deviceScaleFactor: 1 });
    await new Promise((resolve) => setTimeout(resolve, 600)); // a table refresh and a paint at the new width
    const file = resolve(root, `docs/pnl-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`wrote ${file}`);
  }
}

async function screenshotDemo(page) {
  await page.setViewport({ width: 1440, height: 1000, deviceScaleFactor: 1 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: theme === 'light' ? 'light' : 'dark' }]);
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${httpUrl}/?theme=${encodeURIComponent(theme)}`, { waitUntil: 'load' });
  // Live data everywhere, canvases drawn, and some sparkline history.
  await page.waitForFunction(
    () => {
      const all = [...document.querySelectorAll('live-price-chart, ws-metrics-panel, pnl-summary')];
      const badge = document.querySelector('connection-badge');
      return (
        badge?.state === 'open' &&
        all.every((el) => el.state === 'live') &&
        [...document.querySelectorAll('live-price-chart')].every((el) => el.shadowRoot.querySelector('canvas'))
      );
    },
    { timeout: 30_000 },
  );
  await page.waitForFunction(() => document.querySelector('ws-metrics-panel').samples.length >= 20, { timeout: 30_000 });
  // The whole page in the viewport: the P&L table skips rendering while off-screen
  // (content-visibility: auto), and a full-page capture does not scroll to it.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewport({ width: 1440, height, deviceScaleFactor: 1 });
  await new Promise((resolve) => setTimeout(resolve, 400)); // let the last frame paint
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
}
