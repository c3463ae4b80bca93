#!/usr/bin/env node
// `npm run screenshot`: starts the reference server with the demo on a free port, opens
// the QA dashboard in headless Chromium, waits for live data and writes docs/screenshot.png.
//   node scripts/screenshot.mjs [--theme dark|light] [--out docs/screenshot.png]
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

if (!existsSync(join(root, 'dist/live-market-widgets.js'))) {
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
  await new Promise((resolve) => setTimeout(resolve, 400)); // let the last frame paint
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser?.close();
  child.kill('SIGTERM');
}
