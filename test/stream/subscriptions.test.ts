/** Topics on the wire, on a fake transport and a fake clock: sub/unsub, rate-limit resends, linger, resume with since, resync. */
import { expect } from '@open-wc/testing';
import { RATE_LIMITED_MAX_RETRIES } from '../../src/stream/subscriptions.js';
import { settle } from './fakes.js';
import { EPOCH, TOPIC, closeFakeStreams, fakeStream, listen, openWithSnapshot, snapshotData, update } from './fake-stream.js';

/** Drops the link, lets the backoff pass and welcomes the next one; returns it and its first sub. */
async function reconnect(h: ReturnType<typeof fakeStream>, link: { drop(code: number): void }) {
  link.drop(1006);
  h.clock.advance(60_000);
  await settle();
  const next = h.transport.last;
  next.welcome();
  return { next, sub: next.ops('sub')[0]! };
}

describe('stream subscriptions (fake transport, fake clock)', () => {
  afterEach(() => closeFakeStreams());

  it('two listeners, one sub; the answer and snapshot reach both; in-order updates apply', async () => {
    const h = fakeStream();
    const a = listen(h.stream), b = listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.welcome();
    const subs = link.ops('sub');
    expect(subs).to.have.length(1);
    expect(subs[0]).to.deep.equal({ op: 'sub', id: subs[0]!.id, topic: TOPIC });
    link.receive(
      { op: 'subscribed', id: subs[0]!.id, topic: TOPIC, epoch: EPOCH, seq: 5, recovered: false },
      { op: 'snapshot', topic: TOPIC, epoch: EPOCH, seq: 5, data: snapshotData() },
      update(6),
    );
    for (const l of [a, b]) expect(l.events.map((e) => [e.kind, e.state.seq])).to.deep.equal([['snapshot', 5], ['update', 6]]);
    expect(h.stream.getTopicState(TOPIC)!.seq).to.equal(6);
  });

  it('a snapshot before `subscribed` and updates before the snapshot are ignored', async () => {
    const h = fakeStream();
    const a = listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.welcome();
    const id = link.ops('sub')[0]!.id;
    link.receive({ op: 'snapshot', topic: TOPIC, epoch: EPOCH, seq: 5, data: snapshotData() });
    link.receive({ op: 'subscribed', id, topic: TOPIC, epoch: EPOCH, seq: 5, recovered: false }, update(6));
    expect(a.events).to.deep.equal([]);
  });

  it('a listener leaving and one coming back within the linger keeps the wire sub; after it, unsub is sent once', async () => {
    const h = fakeStream({ lingerMs: 1_000 });
    const { handle, link } = await openWithSnapshot(h);
    handle.unsubscribe();
    h.clock.advance(900);
    const again = listen(h.stream);
    await settle();
    expect(again.events.map((e) => e.kind)).to.deep.equal(['snapshot']); // from the held state, no round trip
    h.clock.advance(5_000);
    expect(link.ops('unsub')).to.have.length(0);
    expect(link.ops('sub')).to.have.length(1);
    again.handle.unsubscribe();
    h.clock.advance(1_000);
    expect(link.ops('unsub').map((m) => m.topic)).to.deep.equal([TOPIC]);
    expect(h.stream.debug.topics).to.deep.equal({});
  });

  it('a sub refused with its id ends the topic: onError, no re-sub on the next welcome until asked', async () => {
    const h = fakeStream();
    const a = listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.welcome();
    const id = link.ops('sub')[0]!.id;
    link.receive({ op: 'error', id, code: 'unknown_topic', message: 'no such topic' });
    expect(a.errors.map((e) => [e.code, e.topic])).to.deep.equal([['unknown_topic', TOPIC]]);
    expect(h.errors.map((e) => e.code)).to.deep.equal(['unknown_topic']);
    link.receive({ op: 'subscribed', id, topic: TOPIC, epoch: EPOCH, seq: 1, recovered: false }); // late: ignored
    expect(h.stream.debug.topics).to.deep.equal({ [TOPIC]: 1 });
  });

  it('`forbidden` without an id (a refreshed token lost the topic) ends a held subscription', async () => {
    const h = fakeStream();
    const { errors, link } = await openWithSnapshot(h);
    link.receive({ op: 'error', code: 'forbidden', message: 'not any more', topic: TOPIC });
    expect(errors.map((e) => e.code)).to.deep.equal(['forbidden']);
    link.receive(update(6)); // the topic is no longer live
    expect(h.stream.getTopicState(TOPIC)!.seq).to.equal(5);
  });

  it('rate_limited: unanswered subs are sent again after a jittered second, and given up after the limit', async () => {
    const h = fakeStream();
    h.clock.randomValue = 0.5;
    const a = listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.welcome({ heartbeatMs: 3_600_000 });
    link.receive({ op: 'error', code: 'rate_limited', message: 'slow down' });
    expect(link.ops('sub')).to.have.length(1);
    h.clock.advance(1_499);
    expect(link.ops('sub')).to.have.length(1);
    h.clock.advance(1); // 1,000 * (1 + 0.5)
    const resent = link.ops('sub');
    expect(resent).to.have.length(2);
    expect(resent[1]!.id).to.not.equal(resent[0]!.id);
    // Still unanswered: checked again after another wait, without a new rate_limited.
    for (let i = 2; i <= RATE_LIMITED_MAX_RETRIES; i++) h.clock.advance(1_500);
    expect(link.ops('sub')).to.have.length(1 + RATE_LIMITED_MAX_RETRIES);
    expect(a.errors).to.deep.equal([]);
    h.clock.advance(1_500);
    expect(link.ops('sub')).to.have.length(1 + RATE_LIMITED_MAX_RETRIES);
    expect(a.errors.map((e) => e.code)).to.deep.equal(['rate_limited']);
  });

  it('rate_limited: an answered sub is not sent again; an unanswered unsub is', async () => {
    const h = fakeStream({ lingerMs: 100 });
    h.clock.randomValue = 0;
    const { handle, link } = await openWithSnapshot(h);
    handle.unsubscribe();
    h.clock.advance(100);
    expect(link.ops('unsub')).to.have.length(1);
    link.receive({ op: 'error', code: 'rate_limited', message: 'slow down' });
    h.clock.advance(1_000);
    expect(link.ops('sub')).to.have.length(1);
    expect(link.ops('unsub')).to.have.length(2);
    const last = link.ops('unsub')[1]!;
    link.receive({ op: 'unsubscribed', id: last.id, topic: TOPIC });
    h.clock.advance(10_000);
    expect(link.ops('unsub')).to.have.length(2);
  });

  it('after a reconnect every held topic is resubscribed with `since`; a recovered answer continues the state', async () => {
    const h = fakeStream();
    const { events, link } = await openWithSnapshot(h, 5);
    link.receive(update(6));
    const { next, sub } = await reconnect(h, link);
    expect(sub.since).to.deep.equal({ epoch: EPOCH, seq: 6 });
    next.receive({ op: 'subscribed', id: sub.id, topic: TOPIC, epoch: EPOCH, seq: 8, recovered: true }, update(7), update(8));
    expect(events.map((e) => [e.kind, e.state.seq])).to.deep.equal([['snapshot', 5], ['update', 6], ['update', 7], ['update', 8]]);
    expect(h.stream.metrics.gapsRecovered).to.equal(1);
  });

  it('hello announces `compact`; a compacted replay may jump seqs up to `subscribed.seq`, then live updates are last + 1 again', async () => {
    const h = fakeStream();
    const { events, link } = await openWithSnapshot(h, 5);
    expect(link.ops('hello')[0]!.caps).to.deep.equal(['compact']);
    const { next, sub } = await reconnect(h, link);
    next.receive({ op: 'subscribed', id: sub.id, topic: TOPIC, epoch: EPOCH, seq: 40, recovered: true, compacted: true }, update(9), update(31), update(40));
    expect(events.map((e) => [e.kind, e.state.seq])).to.deep.equal([['snapshot', 5], ['update', 9], ['update', 31], ['update', 40]]);
    expect(events.map((e) => e.compacted === true)).to.deep.equal([false, true, true, true], 'listeners are told the seqs may jump');
    expect(h.stream.metrics.gapsDetected).to.equal(0);
    next.receive(update(42)); // the replay is over: 41 is missing
    expect(h.stream.metrics.gapsDetected).to.equal(1);
    expect(next.ops('sub').at(-1)!.since).to.deep.equal({ epoch: EPOCH, seq: 40 });
  });

  it('a compacted replay that runs past `subscribed.seq` is a gap, and an uncompacted one may not jump', async () => {
    const h = fakeStream();
    const { events, link } = await openWithSnapshot(h, 5);
    const resub = (seq: number, compacted: boolean) => {
      link.receive(update(seq + 100)); // a gap makes the client resubscribe with since
      const sub = link.ops('sub').at(-1)!;
      link.receive({ op: 'subscribed', id: sub.id, topic: TOPIC, epoch: EPOCH, seq, recovered: true, ...(compacted ? { compacted } : {}) });
    };
    resub(20, true);
    link.receive(update(12), update(25));
    expect(events.map((e) => e.state.seq)).to.deep.equal([5, 12]);
    expect(link.ops('sub').at(-1)!.since).to.deep.equal({ epoch: EPOCH, seq: 12 }, 'resync from what was applied');
    resub(20, false);
    link.receive(update(15));
    expect(events.map((e) => e.state.seq)).to.deep.equal([5, 12], 'without compacted, 13 must come first');
  });

  it('a recovery claim from a state the client does not hold is refused: unsub and a sub without since', async () => {
    const h = fakeStream();
    listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.welcome();
    const sub = link.ops('sub')[0]!;
    link.receive({ op: 'subscribed', id: sub.id, topic: TOPIC, epoch: EPOCH, seq: 3, recovered: true });
    expect(h.errors.map((e) => e.code)).to.deep.equal(['bad_frame']);
    expect(link.ops('unsub')).to.have.length(1);
    expect(link.ops('sub')[1]).to.deep.equal({ op: 'sub', id: link.ops('sub')[1]!.id, topic: TOPIC });
  });

  it('a new epoch after reconnect replaces the state as `reset`', async () => {
    const h = fakeStream();
    const { events, link } = await openWithSnapshot(h, 5);
    const { next, sub } = await reconnect(h, link);
    next.receive(
      { op: 'subscribed', id: sub.id, topic: TOPIC, epoch: 'e2', seq: 1, recovered: false },
      { op: 'snapshot', topic: TOPIC, epoch: 'e2', seq: 1, data: snapshotData() },
    );
    expect(events.map((e) => [e.kind, e.state.epoch, e.state.seq])).to.deep.equal([['snapshot', EPOCH, 5], ['reset', 'e2', 1]]);
    expect(h.stream.metrics.resyncs).to.equal(1);
  });

  it('a gap resyncs the topic (unsub, sub with since) once; duplicates are dropped', async () => {
    const h = fakeStream();
    const { events, link } = await openWithSnapshot(h, 5);
    link.receive(update(5)); // duplicate
    expect(h.stream.metrics.duplicatesDropped).to.equal(1);
    link.receive(update(8)); // gap: 6 and 7 missing
    link.receive(update(9)); // still resyncing: no second resync
    expect(h.stream.metrics.gapsDetected).to.equal(1);
    expect(link.ops('unsub')).to.have.length(1);
    const subs = link.ops('sub');
    expect(subs).to.have.length(2);
    expect(subs[1]!.since).to.deep.equal({ epoch: EPOCH, seq: 5 });
    link.receive({ op: 'subscribed', id: subs[1]!.id, topic: TOPIC, epoch: EPOCH, seq: 9, recovered: true }, update(6), update(7), update(8), update(9));
    expect(events.map((e) => e.state.seq)).to.deep.equal([5, 6, 7, 8, 9]);
    expect(h.stream.metrics.gapsRecovered).to.equal(1);
  });

  it('a topic taken while disconnected waits for the welcome; lingering ones are dropped at the welcome', async () => {
    const h = fakeStream({ lingerMs: 60_000, backoffBaseMs: 100 });
    const { link, handle } = await openWithSnapshot(h);
    const other = listen(h.stream, 'candles:ETH-USD:1s');
    handle.unsubscribe(); // TOPIC lingers
    link.drop(1006);
    h.clock.advance(100);
    await settle();
    const next = h.transport.last;
    next.welcome();
    expect(next.ops('sub').map((m) => m.topic)).to.deep.equal(['candles:ETH-USD:1s']);
    expect(Object.keys(h.stream.debug.topics)).to.deep.equal(['candles:ETH-USD:1s']);
    void other;
  });
});
