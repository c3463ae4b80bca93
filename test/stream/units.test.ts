/** Unit tests of the stream's pure parts: backoff, URL normalisation, registry, metrics windows, liveness. */
import { expect } from '@open-wc/testing';
import { Backoff, backoffCeiling, backoffDelay, getStream, httpBaseOf, normaliseStreamUrl, REGISTRY_KEY } from '../../src/stream/index.js';
import { Liveness } from '../../src/stream/liveness.js';
import { MetricsTracker, PerSecondCounter, RollingSamples } from '../../src/stream/metrics.js';
import { seededRandom } from '../../server/feeds/random.js';
import { parseTopic, parseTopicCached, validateBar } from '../../src/protocol/index.js';

/** A fake clock with timers that run only when the test advances time. */
class FakeClock {
  time = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  now = () => this.time;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  };
  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  /** Moves time forward, running due timers in order (each at its due time). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = end;
  }
  /** Moves time forward with no timer running (a frozen page), then lets the late timers fire. */
  freeze(ms: number): void {
    this.time += ms;
    this.advance(0);
  }
}


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

describe('stream URL normalisation and registry', () => {
  it('normalises scheme, host, default path, trailing slash, http(s) and default ports', () => {
    expect(normaliseStreamUrl('WS://Example.COM:8080')).to.equal('ws://example.com:8080/stream');
    expect(normaliseStreamUrl('http://example.com/')).to.equal('ws://example.com/stream');
    expect(normaliseStreamUrl('https://example.com:443/feed/stream/')).to.equal('wss://example.com/feed/stream');
    expect(normaliseStreamUrl('ws://example.com:80/stream#x')).to.equal('ws://example.com/stream');
    expect(normaliseStreamUrl('ws://example.com/stream?a=1')).to.equal('ws://example.com/stream?a=1');
    expect(normaliseStreamUrl('/stream')).to.equal(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/stream`);
  });

  it('rejects what is not a stream URL with a readable TypeError', () => {
    expect(() => normaliseStreamUrl('')).to.throw(TypeError, /non-empty/);
    expect(() => normaliseStreamUrl('ftp://example.com')).to.throw(TypeError, /ws, wss, http or https/);
    expect(() => normaliseStreamUrl('ws://user:secret@example.com')).to.throw(TypeError, /credentials/);
  });

  it('derives the HTTP base for REST', () => {
    expect(httpBaseOf('ws://127.0.0.1:9000/stream')).to.equal('http://127.0.0.1:9000');
    expect(httpBaseOf('wss://example.com/feed/stream?t=1')).to.equal('https://example.com/feed');
  });

  it('two getStream calls for spellings of one URL give the same instance; options of the later call are ignored', () => {
    const a = getStream('ws://registry-test.invalid:1234/', { lingerMs: 10 });
    const b = getStream('HTTP://REGISTRY-TEST.invalid:1234/stream', { lingerMs: 99_999 });
    try {
      expect(a).to.equal(b);
      expect(a.url).to.equal('ws://registry-test.invalid:1234/stream');
      const registry = (globalThis as unknown as Record<symbol, Map<string, unknown>>)[REGISTRY_KEY]!;
      expect(REGISTRY_KEY).to.equal(Symbol.for('live-market-widgets.streams'));
      expect(registry.get(a.url)).to.equal(a);
      expect(a.state).to.equal('idle'); // nothing subscribed: no socket
      expect(a.debug.socketsOpened).to.equal(0);
    } finally {
      a.close();
    }
  });
});

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

describe('bar validation', () => {
  it('accepts a bar of finite numbers and names the first bad field otherwise', () => {
    const bar = { time: 60, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3, trades: 1 };
    expect(validateBar(bar)).to.equal(null);
    expect(validateBar({ ...bar, high: '2' })).to.equal('bar.high must be a finite number');
    expect(validateBar({ ...bar, close: Infinity, trades: null })).to.equal('bar.close must be a finite number');
    expect(validateBar({ ...bar, trades: undefined })).to.equal('bar.trades must be a finite number');
    expect(validateBar([bar])).to.equal('bar must be an object');
  });
});

describe('metrics windows', () => {
  it('RollingSamples keeps a fixed number of samples and gives nearest-rank percentiles', () => {
    const samples = new RollingSamples(10);
    expect(samples.percentile(50)).to.equal(null);
    for (let i = 1; i <= 25; i++) samples.add(i);
    expect(samples.size).to.equal(10); // only 16..25 kept
    expect(samples.percentile(0)).to.equal(16);
    expect(samples.percentile(50)).to.equal(20);
    expect(samples.percentile(99)).to.equal(25);
  });

  it('PerSecondCounter averages the complete seconds of its window', () => {
    const clock = new FakeClock();
    clock.time = 10_000;
    const counter = new PerSecondCounter(clock.now, 5);
    expect(counter.rate()).to.equal(0);
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < 100; i++) counter.add(1);
      clock.time += 1000;
    }
    expect(counter.rate()).to.equal(100);
    clock.time += 10_000; // silence: the window empties
    expect(counter.rate()).to.equal(0);
  });

  it('MetricsTracker hands out a new object only when something changed, and emits at most 4 times a second', async () => {
    const emitted: unknown[] = [];
    const tracker = new MetricsTracker((m) => emitted.push(m));
    const first = tracker.snapshot();
    expect(tracker.snapshot()).to.equal(first);
    tracker.reconnects++;
    tracker.changed();
    const second = tracker.snapshot();
    expect(second).to.not.equal(first);
    expect(second.reconnects).to.equal(1);
    const end = performance.now() + 1000;
    while (performance.now() < end) {
      tracker.duplicatesDropped++;
      tracker.changed();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(emitted.length).to.be.within(3, 5);
    tracker.dispose();
  });
});

describe('liveness (fake clock)', () => {
  const make = (clock: FakeClock) => {
    const log = { pings: 0, dead: 0 };
    const liveness = new Liveness({
      intervalMs: 2000,
      sendPing: () => void log.pings++,
      onDead: () => void log.dead++,
      now: clock.now,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
    });
    return { liveness, log };
  };

  it('pings every interval and stays alive while frames arrive', () => {
    const clock = new FakeClock();
    const { liveness, log } = make(clock);
    liveness.start();
    for (let i = 0; i < 20; i++) {
      clock.advance(1000);
      liveness.frameReceived();
    }
    expect(log.dead).to.equal(0);
    expect(log.pings).to.be.within(10, 12);
    liveness.stop();
  });

  it('declares the connection dead after two intervals without any frame, judged by time', () => {
    const clock = new FakeClock();
    const { liveness, log } = make(clock);
    liveness.start();
    clock.advance(3900);
    expect(log.dead).to.equal(0);
    clock.advance(700);
    expect(log.dead).to.equal(1);
    clock.advance(10_000);
    expect(log.dead).to.equal(1); // stopped after reporting
  });

  it('a frozen page (a timer firing very late) gets a grace period and a fresh ping, not a dead verdict', () => {
    const clock = new FakeClock();
    const { liveness, log } = make(clock);
    liveness.start();
    const pings = log.pings;
    clock.freeze(60_000); // the page was frozen for a minute
    expect(log.dead).to.equal(0);
    expect(log.pings).to.equal(pings + 1);
    clock.advance(500);
    liveness.frameReceived(); // the pong
    clock.advance(3000);
    expect(log.dead).to.equal(0);
    // But a socket that stays silent after the grace is dead.
    clock.advance(5000);
    expect(log.dead).to.equal(1);
  });

  it('grace() (page visible again) pings at once and postpones the verdict by one interval', () => {
    const clock = new FakeClock();
    const { liveness, log } = make(clock);
    liveness.start();
    clock.advance(3500);
    const pings = log.pings;
    liveness.grace();
    expect(log.pings).to.equal(pings + 1);
    clock.advance(1000); // 4.5 s silent, but within the grace
    expect(log.dead).to.equal(0);
    clock.advance(1100);
    expect(log.dead).to.equal(1);
  });
});
