/** Backoff with full jitter (seeded random). */
import { expect } from '@open-wc/testing';
import { Backoff, backoffCeiling, backoffDelay } from '../../src/stream/index.js';
import { seededRandom } from '../../server/feeds/random.js';

describe('backoff (full jitter)', () => {
  it('the window doubles from the base and is capped', () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffCeiling(n, 500, 30_000))).to.deep.equal([500, 1000, 2000, 4000, 8000]);
    expect(backoffCeiling(6, 500, 30_000)).to.equal(30_000);
    expect(backoffCeiling(5000, 500, 30_000)).to.equal(30_000);
  });

  it('delay = random * min(cap, base * 2^attempt), with the injected random', () => {
    expect(backoffDelay(0, { random: () => 0 })).to.equal(0);
    expect(backoffDelay(2, { random: () => 0.5 })).to.equal(1000);
    expect(backoffDelay(3, { baseMs: 100, capMs: 500, random: () => 0.999 })).to.equal(499);
    expect(backoffDelay(50, { random: () => 0.9999999 })).to.be.below(30_000);
    // A broken random source still yields a delay inside the window.
    expect(backoffDelay(1, { random: () => 7 })).to.equal(1000);
    expect(backoffDelay(1, { random: () => NaN })).to.equal(0);
  });

  it('a thousand clients dropped at once spread their retries (no lockstep), all within the cap', () => {
    const random = seededRandom(42);
    for (const attempt of [0, 3, 10]) {
      const ceiling = backoffCeiling(attempt);
      const delays = Array.from({ length: 1000 }, () => backoffDelay(attempt, { random }));
      expect(Math.min(...delays)).to.be.at.least(0);
      expect(Math.max(...delays)).to.be.below(ceiling);
      // Spread over the whole window: every tenth of it gets a fair share.
      const deciles = new Array(10).fill(0);
      for (const d of delays) deciles[Math.floor((d / ceiling) * 10)]++;
      for (const count of deciles) expect(count).to.be.within(60, 140);
    }
  });

  it('Backoff counts attempts and resets', () => {
    const backoff = new Backoff({ baseMs: 100, capMs: 1000, random: () => 0.5 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).to.deep.equal([50, 100, 200, 400, 500]);
    backoff.reset();
    expect(backoff.next()).to.equal(50);
  });
});
