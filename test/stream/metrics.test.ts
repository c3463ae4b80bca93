/** Metrics windows. */
import { expect } from '@open-wc/testing';
import { MetricsTracker, PerSecondCounter, RollingSamples } from '../../src/stream/metrics.js';
import { FakeClock } from './fakes.js';

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
