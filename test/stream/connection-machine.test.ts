/** The connection state machine on a fake transport and a fake clock: every phase change, no server. */
import { expect } from '@open-wc/testing';
import { CloseCode } from '../../src/protocol/index.js';
import { settle } from './fakes.js';
import { EPOCH, TOPIC, closeFakeStreams, fakeStream, listen, openWithSnapshot, snapshotData } from './fake-stream.js';

describe('connection state machine (fake transport, fake clock)', () => {
  afterEach(() => closeFakeStreams());

  it('idle -> connecting on the first subscribe; hello on open; open on welcome', async () => {
    const h = fakeStream({ token: 'secret-token-1' });
    expect(h.stream.state).to.equal('idle');
    expect(h.transport.links).to.have.length(0);
    listen(h.stream);
    expect(h.stream.state).to.equal('connecting');
    await settle(); // the token is asked for before the link opens
    const link = h.transport.last;
    expect(link.url).to.equal(h.stream.url);
    expect(h.stream.debug.socket).to.equal(true);
    link.open();
    expect(link.sent[0]).to.deep.equal({ op: 'hello', v: 1, token: 'secret-token-1', caps: ['compact'] });
    expect(link.ops('sub')).to.have.length(0); // nothing but hello before welcome
    link.welcome();
    expect(h.stream.state).to.equal('open');
    expect(link.ops('ping')).to.have.length(1); // the first ping at once (RTT early)
    expect(link.ops('sub').map((m) => m.topic)).to.deep.equal([TOPIC]);
    expect(h.states).to.deep.equal(['connecting', 'open']);
  });

  it('open -> reconnecting when the link drops; backoff; connecting again; open; counts a reconnect', async () => {
    const h = fakeStream({ backoffBaseMs: 1_000 });
    h.clock.randomValue = 0.5;
    await openWithSnapshot(h);
    h.transport.last.drop(1006);
    expect(h.stream.state).to.equal('reconnecting');
    expect(h.stream.debug.socket).to.equal(false);
    h.clock.advance(499);
    expect(h.transport.links).to.have.length(1);
    h.clock.advance(1); // floor(0.5 * 1000)
    await settle();
    expect(h.transport.links).to.have.length(2);
    expect(h.stream.state).to.equal('reconnecting');
    h.transport.last.welcome();
    expect(h.stream.state).to.equal('open');
    expect(h.stream.metrics.reconnects).to.equal(1);
    expect(h.states).to.deep.equal(['connecting', 'open', 'reconnecting', 'open']);
  });

  it('backoff is full jitter within min(cap, base * 2^n), growing per failure and reset by welcome', async () => {
    const h = fakeStream({ backoffBaseMs: 1_000, backoffMaxMs: 3_000 });
    h.clock.randomValue = 0.9999;
    listen(h.stream);
    await settle();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.transport.last.drop(1006); // a failed connect (never welcomed)
      waits.push(h.clock.pending[0]!);
      const links = h.transport.links.length;
      h.clock.advance(waits[i]! - 1);
      expect(h.transport.links.length).to.equal(links);
      h.clock.advance(1);
      await settle();
      expect(h.transport.links.length).to.equal(links + 1);
    }
    expect(waits).to.deep.equal([999, 1_999, 2_999, 2_999]); // capped at 3,000
    h.transport.last.welcome();
    h.transport.last.drop(1006);
    expect(h.clock.pending[0]).to.equal(999); // starts over after a welcome
    expect(h.stream.metrics.attempt).to.equal(0);
  });

  it('jitter 0 retries at once; jitter near 1 stays under the ceiling', async () => {
    const h = fakeStream({ backoffBaseMs: 800 });
    h.clock.randomValue = 0;
    listen(h.stream);
    await settle();
    h.transport.last.drop(1006);
    expect(h.clock.pending[0]).to.equal(0);
    h.clock.randomValue = 0.999999;
    h.clock.advance(0);
    await settle();
    h.transport.last.drop(1006);
    expect(h.clock.pending[0]).to.be.below(1_600).and.at.least(1_599);
  });

  it('connect timeout: no welcome in connectTimeoutMs closes the link with ClientTimeout and backs off', async () => {
    const h = fakeStream({ connectTimeoutMs: 3_000 });
    listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.open();
    h.clock.advance(2_999);
    expect(link.closedWith).to.equal(undefined);
    h.clock.advance(1);
    expect(link.closedWith).to.deep.equal({ code: CloseCode.ClientTimeout, reason: 'connect timeout' });
    expect(h.stream.state).to.equal('reconnecting');
    expect(h.stream.metrics.attempt).to.equal(1);
  });

  it('liveness: silence for two heartbeats closes with ClientTimeout, reports connection_dead and reconnects', async () => {
    const h = fakeStream();
    listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.welcome({ heartbeatMs: 1_000 });
    for (let i = 0; i < 10; i++) {
      h.clock.advance(500);
      link.receive({ op: 'pong', id: 1, t: 0, serverTime: 0 });
    }
    expect(h.stream.state).to.equal('open'); // frames keep it alive
    expect(link.ops('ping').length).to.be.at.least(5);
    h.clock.advance(2_100);
    expect(h.stream.state).to.equal('open');
    h.clock.advance(500);
    expect(link.closedWith).to.deep.equal({ code: CloseCode.ClientTimeout, reason: 'heartbeat timeout' });
    expect(h.errors.map((e) => e.code)).to.include('connection_dead');
    expect(h.stream.state).to.equal('reconnecting');
    h.clock.advance(60_000);
    await settle();
    expect(h.transport.links).to.have.length(2);
  });

  it('maxRetries failures -> closed with gave_up; reconnect() starts over', async () => {
    const h = fakeStream({ maxRetries: 2, fallbackAfter: 10 });
    listen(h.stream);
    await settle();
    h.transport.last.drop(1006);
    expect(h.stream.state).to.equal('reconnecting');
    h.clock.advance(60_000);
    await settle();
    h.transport.last.drop(1006);
    expect(h.stream.state).to.equal('closed');
    expect(h.errors.map((e) => e.code)).to.include('gave_up');
    h.clock.advance(600_000);
    await settle();
    expect(h.transport.links).to.have.length(2); // no more attempts
    h.stream.reconnect();
    await settle();
    expect(h.transport.links).to.have.length(3);
    expect(h.stream.state).to.equal('connecting'); // never opened, and the failure count started over
    h.transport.last.welcome();
    expect(h.stream.state).to.equal('open');
  });

  it('a transport that throws reports connect_failed and backs off', async () => {
    const h = fakeStream();
    h.transport.failNext = new Error('no carrier');
    listen(h.stream);
    await settle();
    expect(h.errors.map((e) => e.code)).to.deep.equal(['connect_failed']);
    expect(h.stream.state).to.equal('reconnecting');
    h.clock.advance(60_000);
    await settle();
    expect(h.transport.links).to.have.length(1);
  });

  it('reconnect() while backing off connects at once; no-op while connecting or open', async () => {
    const h = fakeStream({ backoffBaseMs: 10_000 });
    h.clock.randomValue = 0.9;
    await openWithSnapshot(h);
    h.stream.reconnect();
    expect(h.transport.links).to.have.length(1);
    h.transport.last.drop(1006);
    h.stream.reconnect();
    await settle();
    expect(h.transport.links).to.have.length(2);
    h.stream.reconnect();
    await settle();
    expect(h.transport.links).to.have.length(2);
  });

  it('polling takes over after fallbackAfter failed connects, and hands back to the socket on welcome', async () => {
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      fetched.push(String(input));
      return new Response(JSON.stringify({ topic: TOPIC, epoch: EPOCH, seq: 3, data: snapshotData() }), { status: 200 });
    }) as typeof fetch;
    try {
      const h = fakeStream({ fallbackAfter: 2 });
      const { events } = listen(h.stream);
      await settle();
      h.transport.last.drop(1006);
      expect(h.stream.state).to.equal('reconnecting');
      h.clock.advance(60_000);
      await settle();
      h.transport.last.drop(1006);
      expect(h.stream.state).to.equal('polling');
      expect(h.stream.metrics.mode).to.equal('polling');
      await new Promise((resolve) => setTimeout(resolve, 20)); // the first round is immediate
      expect(fetched).to.have.length(1);
      expect(fetched[0]).to.equal(`${h.stream.httpUrl}/api/snapshot?topic=${encodeURIComponent(TOPIC)}`);
      expect(events.map((e) => [e.kind, e.state.seq])).to.deep.equal([['snapshot', 3]]);
      // The socket keeps being retried underneath; its welcome ends polling.
      h.clock.advance(60_000);
      await settle();
      expect(h.stream.state).to.equal('polling');
      const link = h.transport.last;
      link.welcome();
      expect(h.stream.state).to.equal('open');
      expect(h.stream.metrics.mode).to.equal('realtime');
      expect(link.ops('sub')[0]!.since).to.deep.equal({ epoch: EPOCH, seq: 3 }); // resumes from the polled state
      expect(h.states).to.deep.equal(['connecting', 'reconnecting', 'polling', 'open']);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('offline: no attempt until the online event', async () => {
    const descriptor = Object.getOwnPropertyDescriptor(navigator, 'onLine');
    Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });
    try {
      const h = fakeStream();
      listen(h.stream);
      await settle();
      expect(h.transport.links).to.have.length(0);
      expect(h.stream.state).to.equal('connecting');
      h.clock.advance(600_000);
      await settle();
      expect(h.transport.links).to.have.length(0);
      Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => true });
      window.dispatchEvent(new Event('online'));
      await settle();
      expect(h.transport.links).to.have.length(1);
    } finally {
      if (descriptor) Object.defineProperty(navigator, 'onLine', descriptor);
      else delete (navigator as { onLine?: boolean }).onLine;
    }
  });

  it('the online event cuts a backoff wait short', async () => {
    const h = fakeStream({ backoffBaseMs: 30_000 });
    h.clock.randomValue = 0.9;
    listen(h.stream);
    await settle();
    h.transport.last.drop(1006);
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(h.transport.links).to.have.length(2);
  });

  it('idle: after the last unsubscribe, linger sends unsub, then the idle close ends the link with 1000', async () => {
    const h = fakeStream({ lingerMs: 1_000, idleCloseMs: 5_000 });
    const { handle, link } = await openWithSnapshot(h);
    handle.unsubscribe();
    h.clock.advance(999);
    expect(link.ops('unsub')).to.have.length(0);
    h.clock.advance(1);
    expect(link.ops('unsub').map((m) => m.topic)).to.deep.equal([TOPIC]);
    expect(h.stream.state).to.equal('open');
    h.clock.advance(5_000);
    expect(link.closedWith).to.deep.equal({ code: CloseCode.Normal, reason: 'idle' });
    expect(h.stream.state).to.equal('idle');
    expect(h.stream.debug.socket).to.equal(false);
    // A new subscribe connects again.
    listen(h.stream);
    await settle();
    expect(h.transport.links).to.have.length(2);
  });

  it('a link lost with only lingering topics goes idle instead of retrying', async () => {
    const h = fakeStream({ lingerMs: 10_000 });
    const { handle, link } = await openWithSnapshot(h);
    handle.unsubscribe();
    link.drop(1006);
    expect(h.stream.state).to.equal('idle');
    h.clock.advance(5_000);
    await settle();
    expect(h.transport.links).to.have.length(1);
  });

  it('a retry due while only lingering topics are held makes no attempt; the next subscribe connects at once', async () => {
    const h = fakeStream({ lingerMs: 60_000, backoffBaseMs: 1_000 });
    const { handle, link } = await openWithSnapshot(h);
    link.drop(1006);
    handle.unsubscribe(); // lingers
    h.clock.advance(1_000);
    await settle();
    expect(h.transport.links).to.have.length(1);
    expect(h.stream.state).to.equal('reconnecting');
    expect(h.clock.pending).to.have.length(1); // only the linger: no retry left
    listen(h.stream);
    await settle();
    expect(h.transport.links).to.have.length(2);
  });

  it('the page becoming visible cuts a backoff wait short and gives an open link a grace ping', async () => {
    const h = fakeStream({ backoffBaseMs: 30_000 });
    h.clock.randomValue = 0.9;
    await openWithSnapshot(h);
    const pings = h.transport.last.ops('ping').length;
    document.dispatchEvent(new Event('visibilitychange'));
    expect(h.transport.last.ops('ping')).to.have.length(pings + 1);
    h.transport.last.drop(1006);
    document.dispatchEvent(new Event('visibilitychange'));
    await settle();
    expect(h.transport.links).to.have.length(2);
  });

  it('close(): closed for good, link closed with 1000, later subscribes refused with `closed`', async () => {
    const h = fakeStream();
    const { link } = await openWithSnapshot(h);
    h.stream.close();
    expect(h.states.at(-1)).to.equal('closed');
    expect(h.stream.state).to.equal('closed');
    expect(link.closedWith).to.deep.equal({ code: CloseCode.Normal, reason: 'client closed' });
    const late = listen(h.stream);
    await settle();
    expect(late.errors.map((e) => e.code)).to.deep.equal(['closed']);
    h.stream.reconnect();
    await settle();
    expect(h.transport.links).to.have.length(1);
  });

  it('pause is its own flag: the state reads paused over any phase and the previous state comes back', async () => {
    const h = fakeStream();
    await openWithSnapshot(h);
    h.stream.pause();
    expect(h.stream.state).to.equal('paused');
    h.transport.last.drop(1006);
    expect(h.stream.state).to.equal('paused');
    h.clock.advance(60_000);
    await settle();
    h.transport.last.welcome();
    h.stream.resume();
    expect(h.stream.state).to.equal('open');
    expect(h.states).to.deep.equal(['connecting', 'open', 'paused', 'open']);
  });

  it('events of a link the stream abandoned are ignored', async () => {
    const h = fakeStream({ connectTimeoutMs: 1_000 });
    listen(h.stream);
    await settle();
    const stale = h.transport.last;
    stale.open();
    h.clock.advance(1_000); // timed out: abandoned
    h.clock.advance(60_000);
    await settle();
    expect(h.transport.links).to.have.length(2);
    stale.welcome(); // late: must not open the stream
    expect(h.stream.state).to.equal('reconnecting');
    h.transport.last.welcome();
    expect(h.stream.state).to.equal('open');
  });
});
