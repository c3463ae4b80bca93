/** Topic names (memoised parse). */
import { expect } from '@open-wc/testing';
import { parseTopic, parseTopicCached } from '../../src/protocol/index.js';

describe('topic names (memoised parse)', () => {
  it('parseTopicCached answers as parseTopic for good and bad names, also after its bound clears it', () => {
    const names = ['candles:BTC-USD:1m', 'portfolio:demo', 'candles:BTC:2m', 'candles:bad symbol:1m', 'orders:x', ''];
    for (let round = 0; round < 2; round++) {
      for (const name of names) expect(parseTopicCached(name)).to.deep.equal(parseTopic(name));
      // More distinct names than the memo holds: it starts over, answers stay right.
      for (let i = 0; i < 1500; i++) expect(parseTopicCached(`candles:S${i}:1m`).ok).to.equal(true);
    }
    expect(parseTopicCached('candles:BTC:2m').ok).to.equal(false);
  });
});
