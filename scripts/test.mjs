#!/usr/bin/env node
// `npm test`: the browser suite (wtr in Chromium) and the node suite (node:test), then one
// plain line `N passed, N failed` for both together. Exits non-zero on any failure.
// Which files each runner takes is in test/suites.mjs. Each runner writes its counts as JSON
// (wtr: test/support/browser/counts-reporter.mjs, node: test/support/node/reporter.mjs) to .test-counts/.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium } from './chromium.mjs';
import { nodeTestFiles } from '../test/suites.mjs';

const root = new URL('..', import.meta.url).pathname;
const countsDir = join(root, '.test-counts');
const browserCountsFile = join(countsDir, 'browser.json');
const nodeCountsFile = join(countsDir, 'node.json');
const only = process.argv[2]; // optional: "browser" or "server" (the node suite)

function run(command, args, { filter } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, LMW_COUNTS_FILE: browserCountsFile },
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

/** A runner's counts from its JSON file; a runner that died before writing them counts as one failure. */
function readCounts(file) {
  try {
    const { passed, failed, skipped } = JSON.parse(readFileSync(file, 'utf8'));
    return { passed, failed, skipped };
  } catch {
    return { passed: 0, failed: 1, skipped: 0 };
  }
}

const totals = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;

// Tests that use a build: test/embed (the bundle), test/examples (the built React and Vue
// examples), and in the node suite the classic build (file://), the types (the examples'
// type checks import dist/*.d.ts), the packed file list and the server-side import. So the
// full build first (`npm run build`: bundle, classic script, modules, .d.ts), then the examples.
for (const script of ['build', 'build:examples']) {
  const build = await run('npm', ['run', '-s', script], { filter: () => false });
  if (build.code !== 0) {
    console.error(build.lines.slice(-30).join('\n'));
    console.error(`npm run ${script} failed; the suites run anyway (the tests that need it will fail)`);
    totals.failed += 1;
    exitCode = 1;
  }
}

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
    rmSync(browserCountsFile, { force: true });
    // wtr's progress bar repeats "N passed, N failed": keep only our summary of it.
    const result = await run('node', ['--import', 'tsx', 'node_modules/@web/test-runner/dist/bin.js'], {
      filter: (line) => !/\d+ passed, \d+ failed/.test(line),
    });
    const browser = readCounts(browserCountsFile);
    if (result.code !== 0 && browser.failed === 0) browser.failed = 1;
    console.log(`[browser suite] ${browser.passed} ok / ${browser.failed} not ok / ${browser.skipped} skipped`);
    totals.passed += browser.passed;
    totals.failed += browser.failed;
    totals.skipped += browser.skipped;
    if (result.code !== 0) exitCode = 1;
  }
}

if (only !== 'browser') {
  rmSync(nodeCountsFile, { force: true });
  mkdirSync(countsDir, { recursive: true });
  const reporters = [
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./test/support/node/reporter.mjs',
    `--test-reporter-destination=${nodeCountsFile}`,
  ];
  const result = await run('node', ['--import', 'tsx', '--test', ...reporters, ...nodeTestFiles(root)]);
  const nodeSuite = readCounts(nodeCountsFile);
  if (result.code !== 0 && nodeSuite.failed === 0) nodeSuite.failed = 1;
  console.log(`[server suite] ${nodeSuite.passed} ok / ${nodeSuite.failed} not ok / ${nodeSuite.skipped} skipped`);
  totals.passed += nodeSuite.passed;
  totals.failed += nodeSuite.failed;
  totals.skipped += nodeSuite.skipped;
  if (result.code !== 0) exitCode = 1;
}

if (totals.failed > 0) exitCode = 1;
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(exitCode);
