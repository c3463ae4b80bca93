// docs/architecture.md is where a newcomer finds the file for a behaviour: every path it names
// (a backticked `src/…`, `server/…`, `test/…` or `bench/…`) must exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('every path docs/architecture.md names exists', () => {
  const doc = readFileSync(`${root}docs/architecture.md`, 'utf8');
  const paths = [...doc.matchAll(/`((?:src|server|test|bench|docs|demo|examples)\/[^`\s]*)`/g)]
    .map((match) => match[1] ?? '')
    .filter((path) => !path.includes('<')); // templates such as src/elements/<tag>/
  assert.ok(paths.length > 20, `expected the doc to name its files, found ${paths.length}`);
  const missing = paths.filter((path) => !existsSync(`${root}${path}`));
  assert.deepEqual(missing, [], `docs/architecture.md names paths that do not exist: ${missing.join(', ')}`);
});
