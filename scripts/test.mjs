#!/usr/bin/env node
// `npm test`: the browser suite (wtr in Chromium) and the server suite (node:test),
// then one plain line `N passed, N failed` for both together. Exits non-zero on any failure.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium } from './chromium.mjs';

const root = new URL('..', import.meta.url).pathname;
const countsFile = join(root, '.test-counts', 'browser.json');
const only = process.argv[2]; // optional: "browser" or "server"

function run(command, args, { filter } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, LMW_COUNTS_FILE: countsFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    const lines = [];
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        if (!filter || filter(line)) process.stdout.write(line + '\n');
      }
    });
    child.on('close', (code) => {
      if (buffer) {
        lines.push(buffer);
        if (!filter || filter(buffer)) process.stdout.write(buffer + '\n');
      }
      resolve({ code: code ?? 1, lines });
    });
  });
}

const totals = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;

if (only !== 'server') {
  if (!findChromium()) {
    console.error(
      'No Chromium found for the browser tests. Install Debian Chromium:\n' +
        '  apt-get update && apt-get install -y chromium\n' +
        'or set CHROME_PATH to a Chromium or Chrome binary.',
    );
    totals.failed += 1;
    exitCode = 1;
  } else {
    rmSync(countsFile, { force: true });
    // The embed test loads dist/live-market-widgets.js through a plain script tag: build it fresh.
    const build = await run('npm', ['run', '-s', 'build'], { filter: () => false });
    if (build.code !== 0) {
      console.error(build.lines.slice(-30).join('\n'));
      console.error('npm run build failed; the browser suite runs anyway (the embed test will fail)');
      totals.failed += 1;
      exitCode = 1;
    }
    // wtr's progress bar repeats "N passed, N failed": keep only our summary of it.
    const result = await run('node', ['--import', 'tsx', 'node_modules/@web/test-runner/dist/bin.js'], {
      filter: (line) => !/\d+ passed, \d+ failed/.test(line),
    });
    let browser;
    try {
      browser = JSON.parse(readFileSync(countsFile, 'utf8'));
    } catch {
      browser = { passed: 0, failed: 1, skipped: 0 }; // the runner died before reporting
    }
    if (result.code !== 0 && browser.failed === 0) browser.failed = 1;
    console.log(`[browser suite] ${browser.passed} ok / ${browser.failed} not ok / ${browser.skipped} skipped`);
    totals.passed += browser.passed;
    totals.failed += browser.failed;
    totals.skipped += browser.skipped;
    if (result.code !== 0) exitCode = 1;
  }
}

if (only !== 'browser') {
  const { readdirSync } = await import('node:fs');
  const files = readdirSync(join(root, 'test/server'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join('test/server', f));
  const counts = { pass: 0, fail: 0, skipped: 0, cancelled: 0 };
  const summary = /^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/;
  const result = await run('node', ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
    filter: (line) => {
      const match = summary.exec(line);
      if (match && match[1] in counts) counts[match[1]] = Number(match[2]);
      return !match;
    },
  });
  if (result.code !== 0 && counts.fail + counts.cancelled === 0) counts.fail = 1;
  console.log(`[server suite] ${counts.pass} ok / ${counts.fail + counts.cancelled} not ok / ${counts.skipped} skipped`);
  totals.passed += counts.pass;
  totals.failed += counts.fail + counts.cancelled;
  totals.skipped += counts.skipped;
  if (result.code !== 0) exitCode = 1;
}

if (totals.failed > 0) exitCode = 1;
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(exitCode);
