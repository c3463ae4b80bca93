// test/support/node/reporter.mjs over real node:test runs of the files in fixtures/ (not
// *.test.ts, so no runner takes them as tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const reporter = fileURLToPath(new URL('../support/node/reporter.mjs', import.meta.url));

function countsOf(fixture: string): Promise<{ passed: number; failed: number; skipped: number }> {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  const args = ['--test', `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', file];
  return new Promise((resolve, reject) => {
    // Without NODE_TEST_CONTEXT (set by the runner of this file) the child reports on its own.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    // A failing run exits 1: the counts are on stdout either way.
    execFile(process.execPath, args, { env, timeout: 30_000 }, (error, stdout) => {
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(error ?? new Error(`no JSON from the reporter: ${stdout}`));
      }
    });
  });
}

test('a file that fails to import counts as one failure', async () => {
  assert.deepEqual(await countsOf('import-error.mjs'), { passed: 0, failed: 1, skipped: 0 });
});

test('tests cancelled by a failing before hook fail; a failing after hook fails its suite once', async () => {
  assert.deepEqual(await countsOf('hooks.mjs'), { passed: 1, failed: 3, skipped: 0 });
});

test('skipped, todo (failing or not) and a skipped suite count as skipped', async () => {
  assert.deepEqual(await countsOf('skip-todo.mjs'), { passed: 1, failed: 0, skipped: 4 });
});

test('nested suites and subtests: leaves count, a parent only when it fails on its own; timeouts fail', async () => {
  assert.deepEqual(await countsOf('nested.mjs'), { passed: 3, failed: 4, skipped: 0 });
});

test('a file that crashes after its tests passed counts one failure more', async () => {
  assert.deepEqual(await countsOf('crash.mjs'), { passed: 1, failed: 1, skipped: 0 });
});
