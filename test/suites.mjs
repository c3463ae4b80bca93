// @ts-check
// Which test files each runner takes, for scripts/test.mjs and web-test-runner.config.mjs.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * node:test (Node APIs, the reference server): every `*.test.ts` under these folders, at any
 * depth. Other files there (test/server/stress/*.ts, fixtures) are helpers, not tests.
 */
export const NODE_TEST_DIRS = ['test/server', 'test/protocol', 'test/tooling'];

/** wtr (Chromium): every other `*.test.ts` under test/. */
export const BROWSER_TEST_GLOBS = ['test/**/*.test.ts', ...NODE_TEST_DIRS.map((dir) => `!${dir}/**`)];

/**
 * The node:test files, relative to `root`, sorted. node 20's `--test` takes no globs, hence the walk.
 * @param {string} root
 * @returns {string[]}
 */
export function nodeTestFiles(root) {
  const files = [];
  for (const dir of NODE_TEST_DIRS) {
    if (!existsSync(join(root, dir))) continue; // a folder may be absent in a partial checkout
    for (const entry of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (entry.endsWith('.test.ts')) files.push(join(dir, entry));
    }
  }
  return files.sort();
}
