/** Liveness (heartbeat) with a fake clock. */
import { expect } from '@open-wc/testing';
import { Liveness } from '../../src/stream/liveness.js';
import { FakeClock } from './fakes.js';

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
