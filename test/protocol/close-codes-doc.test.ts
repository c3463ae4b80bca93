// docs/protocol.md's close-code table is the documentation of CloseCode: the two must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CloseCode } from '../../src/protocol/index.js';

test('docs/protocol.md lists every CloseCode and no other code that anybody sends', () => {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Close codes'), doc.indexOf('\n## ', doc.indexOf('## Close codes') + 3));
  const rows = [...section.matchAll(/^\| (\d{4}) \| ([^|]+) \|/gm)].map((m) => ({ code: Number(m[1]), by: m[2]!.trim() }));
  // 1006 is documented as what a client sees; nobody sends it.
  const sent = rows.filter((r) => r.by !== '(none)').map((r) => r.code).sort();
  assert.deepEqual(sent, Object.values(CloseCode).sort());
  assert.equal(new Set(rows.map((r) => r.code)).size, rows.length, 'a code is listed twice');
});
