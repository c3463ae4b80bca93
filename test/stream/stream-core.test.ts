import { expect } from '@open-wc/testing';
import type { Bar, CandleSnapshotData } from '../../src/protocol/index.js';
import { getStream } from '../../src/stream/index.js';
import { fetchSnapshot, waitFor } from '../support/browser/server.js';
import { closeOpenStreams, freshStream, recorder, serverInfo, sleep, wireTap } from './helpers.js';

const TOPIC = 'candles:BTC-USD:1s';

describe('MarketStream core (real server)', () => {
  afterEach(() => closeOpenStreams());

  it('connects, says hello, subscribes and applies a snapshot then updates', async () => {
    const stream = await freshStream();
    const { listener, rec } = recorder<CandleSnapshotData>();
    stream.subscribe<CandleSnapshotData>(TOPIC, listener, { coalesce: 'none' });
    await waitFor(() => rec.events.length >= 5, 10_000, 'a snapshot and updates');
    expect(stream.state).to.equal('open');
    expect(rec.events[0]!.kind).to.equal('snapshot');
    expect(rec.events[0]!.state.data.bars.length).to.be.greaterThan(0);
    expect(rec.events.slice(1).every((e) => e.kind === 'update')).to.equal(true);
    expect(rec.problems).to.deep.equal([]);
    expect(stream.debug.sentOps.hello).to.equal(1);
    // The last bar equals the last update's bar.
    const last = rec.last()!;
    const bars = last.state.data.bars;
    expect(bars[bars.length - 1]!.time).to.be.at.least((last.update!.data as Bar).time);
  });

  it('three listeners on one topic make one socket and one wire sub; a late listener gets the state at once', async () => {
    const tap = wireTap();
    const stream = await freshStream();
    const a = recorder(), b = recorder(), c = recorder();
    stream.subscribe(TOPIC, a.listener);
    stream.subscribe(TOPIC, b.listener, { coalesce: 'none' });
    await waitFor(() => a.rec.events.length > 0 && b.rec.events.length > 0, 10_000, 'first states');
    let sync = true;
    stream.subscribe(TOPIC, (e) => {
      c.listener(e);
      expect(sync).to.equal(false); // not synchronously inside subscribe()
    });
    sync = false;
    await Promise.resolve();
    await Promise.resolve();
    expect(c.rec.events.length).to.equal(1); // in a microtask, no round trip
    expect(c.rec.events[0]!.kind).to.equal('snapshot');
    tap.restore();
    expect(stream.debug.socketsOpened).to.equal(1);
    expect(stream.debug.sentOps.sub).to.equal(1);
    // What really went over the wire: one socket, hello first, one sub for the topic.
    expect(tap.sockets.length).to.equal(1);
    expect(tap.sent[0]!.op).to.equal('hello');
    expect(tap.sent.filter((m) => m.op === 'sub')).to.have.length(1);
    expect(tap.sent.filter((m) => m.op === 'sub')[0]!.topic).to.equal(TOPIC);
  });

  it('frame coalescing calls a listener at most once per animation frame, with every update since', async () => {
    const stream = await freshStream();
    const frame = recorder(), every = recorder();
    stream.subscribe(TOPIC, every.listener, { coalesce: 'none' });
    stream.subscribe(TOPIC, frame.listener, { coalesce: 'frame' });
    let frames = 0;
    let calls = 0;
    let maxCallsPerFrame = 0;
    const off = stream.subscribe(TOPIC, () => void calls++, { coalesce: 'frame' });
    let running = true;
    const tick = () => {
      maxCallsPerFrame = Math.max(maxCallsPerFrame, calls);
      calls = 0;
      frames++;
      if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    await waitFor(() => every.rec.seqs.size > 0 && every.rec.seqs.values().next().value!.length >= 30, 10_000, '30 updates');
    running = false;
    off.unsubscribe();
    expect(maxCallsPerFrame).to.be.at.most(1);
    expect(frame.rec.problems).to.deep.equal([]);
    // Coalesced listener saw the same seqs, just in fewer calls.
    const seen = [...frame.rec.seqs.values()].flat();
    const all = [...every.rec.seqs.values()].flat();
    expect(all.slice(0, seen.length)).to.deep.equal(seen);
    expect(frames).to.be.greaterThan(0);
  });

  it('refcounts: the wire unsub goes out only after the last listener left and the linger passed', async () => {
    const stream = await freshStream({ lingerMs: 300, idleCloseMs: 300 });
    const h1 = stream.subscribe(TOPIC, () => {});
    const h2 = stream.subscribe(TOPIC, () => {});
    await waitFor(() => stream.getTopicState(TOPIC), 10_000, 'state');
    h1.unsubscribe();
    await sleep(500);
    expect(stream.debug.sentOps.unsub ?? 0).to.equal(0);
    h2.unsubscribe();
    h2.unsubscribe(); // idempotent
    await sleep(100);
    expect(stream.debug.sentOps.unsub ?? 0).to.equal(0); // lingering
    // Taking the topic again during the linger cancels it: no new sub.
    const h3 = stream.subscribe(TOPIC, () => {});
    await sleep(400);
    expect(stream.debug.sentOps.unsub ?? 0).to.equal(0);
    expect(stream.debug.sentOps.sub).to.equal(1);
    h3.unsubscribe();
    await waitFor(() => stream.debug.sentOps.unsub === 1, 3_000, 'unsub');
    expect(stream.getTopicState(TOPIC)).to.equal(undefined);
    // Nothing subscribed for idleCloseMs: the socket closes.
    await waitFor(() => stream.state === 'idle', 3_000, 'idle');
  });

  it('reports an unknown topic through onError and the error event, and keeps working', async () => {
    const stream = await freshStream();
    const errors: string[] = [];
    stream.on('error', (e) => errors.push(e.code));
    let topicError: { code: string; topic?: string } | undefined;
    stream.subscribe('candles:NOPE-USD:1m', () => {}, { onError: (e) => (topicError = e) });
    let badTopic: { code: string } | undefined;
    stream.subscribe('trades:BTC', () => {}, { onError: (e) => (badTopic = e) });
    const { listener, rec } = recorder();
    stream.subscribe(TOPIC, listener);
    await waitFor(() => topicError && badTopic && rec.events.length > 0, 10_000, 'errors and data');
    expect(topicError!.code).to.equal('unknown_topic');
    expect(topicError!.topic).to.equal('candles:NOPE-USD:1m');
    expect(badTopic!.code).to.equal('bad_request');
    expect(errors).to.include('unknown_topic');
  });

  it('a throwing listener does not break the others nor throw into the page', async () => {
    const stream = await freshStream();
    const errors: string[] = [];
    stream.on('error', (e) => errors.push(e.code));
    stream.subscribe(TOPIC, () => {
      throw new Error('boom');
    }, { coalesce: 'none' });
    const { listener, rec } = recorder();
    stream.subscribe(TOPIC, listener, { coalesce: 'none' });
    await waitFor(() => rec.events.length >= 3, 10_000, 'updates');
    expect(errors).to.include('listener_error');
    expect(rec.problems).to.deep.equal([]);
  });

  it('final state equals GET /api/snapshot at the same seq', async () => {
    const stream = await freshStream();
    stream.subscribe(TOPIC, () => {}, { coalesce: 'none' });
    await waitFor(() => stream.getTopicState(TOPIC), 10_000, 'state');
    const match = await waitFor(async () => {
      const server = await fetchSnapshot<CandleSnapshotData>(TOPIC);
      const local = stream.getTopicState<CandleSnapshotData>(TOPIC)!;
      return local.seq === server.seq ? { server, local: structuredClone(local) } : undefined;
    }, 10_000, 'same seq');
    expect(match.local.epoch).to.equal(match.server.epoch);
    expect(match.local.data).to.deep.equal(match.server.data);
  });

  it('getStream returns one instance per normalised URL, on the global registry', async () => {
    const { url } = await serverInfo();
    const port = new URL(url).port;
    const a = getStream(`WS://127.0.0.1:${port}/stream/?x=1`);
    const b = getStream(`http://127.0.0.1:${port}/stream?x=1`);
    expect(a).to.equal(b);
    const registry = (globalThis as any)[Symbol.for('live-market-widgets.streams')] as Map<string, unknown>;
    expect(registry.get(`ws://127.0.0.1:${port}/stream?x=1`)).to.equal(a);
    a.close();
    expect(a.state).to.equal('closed');
    expect(registry.has(`ws://127.0.0.1:${port}/stream?x=1`)).to.equal(false);
    expect(getStream(`ws://127.0.0.1:${port}/stream?x=1`)).to.not.equal(a);
    getStream(`ws://127.0.0.1:${port}/stream?x=1`).close();
  });
});
