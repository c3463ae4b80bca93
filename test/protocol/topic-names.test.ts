/** Topic names (memoised parse). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTopic, parseTopicCached } from '../../src/protocol/index.js';

test('parseTopicCached answers as parseTopic for good and bad names, also after its bound clears it', () => {
  const names = ['candles:BTC-USD:1m', 'portfolio:demo', 'candles:BTC:2m', 'candles:bad symbol:1m', 'orders:x', ''];
  for (let round = 0; round < 2; round++) {
    for (const name of names) assert.deepEqual(parseTopicCached(name), parseTopic(name));
    // More distinct names than the memo holds: it starts over, answers stay right.
    for (let i = 0; i < 1500; i++) assert.equal(parseTopicCached(`candles:S${i}:1m`).ok, true);
  }
  assert.equal(parseTopicCached('candles:BTC:2m').ok, false);
});
