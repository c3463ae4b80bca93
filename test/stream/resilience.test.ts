/**
 * The stream against the real reference server under faults: forced drops, a restart
 * (new epoch), an injected gap, refused upgrades (polling), a silent server.
 */
import { expect } from '@open-wc/testing';
import type { CandleSnapshotData } from '../../src/protocol/index.js';
import type { ConnectionState, MarketStream } from '../../src/stream/index.js';
import {
  dropAllConnections,
  fetchSnapshot,
  injectGap,
  refuseUpgrades,
  silenceServer,
  waitFor,
} from '../support/browser/server.js';
import { closeOpenStreams, freshStream, recorder, restartServer, sleep, wireTap, type Recorded } from './helpers.js';

const CANDLES = 'candles:ETH-USD:1s';
const PORTFOLIO = 'portfolio:demo';

/** Waits until the stream's state of `topic` is at the server's seq, then compares them. */
async function expectEqualsServer(stream: MarketStream, topic: string): Promise<void> {
  const match = await waitFor(
    async () => {
      const server = await fetchSnapshot(topic);
      const local = stream.getTopicState(topic);
      return local && local.seq === server.seq && local.epoch === server.epoch
        ? { server, local: structuredClone(local) }
        : undefined;
    },
    10_000,
    `${topic} at the server's seq`,
  );
  expect(match.local.data).to.deep.equal(match.server.data);
}

function totalUpdates(rec: Recorded): number {
  let n = 0;
  for (const list of rec.seqs.values()) n += list.length;
  return n;
}

/**
 * Every applied update's seq is last+1 of the state the listener had (the recorder checks
 * that), and within an epoch the applied seqs are unique and, unless full states were
 * delivered in between (polling) or they came in a compacted resume replay, consecutive.
 */
function expectGaplessAndUnique(rec: Recorded, { snapshotsBetween = false } = {}): void {
  expect(rec.problems).to.deep.equal([]);
  for (const [epoch, seqs] of rec.seqs) {
    for (let i = 1; i < seqs.length; i++) {
      const ok = snapshotsBetween || rec.compacted.has(seqs[i]!) ? seqs[i]! > seqs[i - 1]! : seqs[i] === seqs[i - 1]! + 1;
      if (!ok) throw new Error(`epoch ${epoch}: seq ${seqs[i]} after ${seqs[i - 1]}`);
    }
  }
}

function stateLog(stream: MarketStream): ConnectionState[] {
  const log: ConnectionState[] = [];
  stream.on('statechange', ({ state }) => log.push(state));
  return log;
}

describe('MarketStream resilience (real server)', function () {
  this.timeout(60_000);
  afterEach(() => closeOpenStreams());

  it('20 forced drops in a row while updates flow: applied seqs gapless and unique, state equals the server', async () => {
    const stream = await freshStream({ backoffBaseMs: 200 });
    const candles = recorder(), portfolio = recorder();
    stream.subscribe(CANDLES, candles.listener, { coalesce: 'none' });
    stream.subscribe(PORTFOLIO, portfolio.listener, { coalesce: 'none' });
    const frameRec = recorder();
    stream.subscribe(CANDLES, frameRec.listener, { coalesce: 'frame' });
    await waitFor(() => candles.rec.events.length > 0 && portfolio.rec.events.length > 0, 10_000, 'first states');
    for (let drop = 0; drop < 20; drop++) {
      const seen = totalUpdates(candles.rec);
      // A new socket (the previous one was dropped) on which updates flow again.
      await waitFor(
        () => stream.state === 'open' && stream.metrics.reconnects >= drop && totalUpdates(candles.rec) > seen,
        10_000,
        `updates before drop ${drop}`,
      );
      expect(await dropAllConnections()).to.be.at.least(1);
    }
    await waitFor(() => stream.state === 'open' && stream.metrics.reconnects >= 20, 10_000, 'open after the drops');
    await expectEqualsServer(stream, CANDLES);
    await expectEqualsServer(stream, PORTFOLIO);
    expect(stream.metrics.reconnects).to.be.at.least(20);
    for (const rec of [candles.rec, portfolio.rec, frameRec.rec]) {
      expectGaplessAndUnique(rec);
      expect(rec.events.filter((e) => e.kind === 'reset')).to.have.length(0);
    }
    expect(totalUpdates(candles.rec)).to.be.greaterThan(20);
    // The frame listener saw the very same seqs as the per-update one.
    expect([...frameRec.rec.seqs.values()].flat()).to.deep.equal(
      [...candles.rec.seqs.values()].flat().slice(0, totalUpdates(frameRec.rec)),
    );
  });

  it('a server restart (new epoch) gives a reset and the correct state', async () => {
    const stream = await freshStream({ backoffBaseMs: 200 });
    const { listener, rec } = recorder<CandleSnapshotData>();
    stream.subscribe<CandleSnapshotData>(CANDLES, listener, { coalesce: 'none' });
    await waitFor(() => rec.events.length > 2, 10_000, 'updates');
    const oldEpoch = rec.events[0]!.state.epoch;
    const { epoch } = await restartServer();
    expect(epoch).to.not.equal(oldEpoch);
    const reset = await waitFor(() => rec.events.find((e) => e.kind === 'reset'), 15_000, 'a reset');
    expect(reset.state.epoch).to.equal(epoch);
    expect(stream.metrics.resyncs).to.be.at.least(1);
    await expectEqualsServer(stream, CANDLES);
    expectGaplessAndUnique(rec);
  });

  it('an injected gap is detected, never applied, and resynced from history', async () => {
    const tap = wireTap();
    const stream = await freshStream();
    const { listener, rec } = recorder();
    stream.subscribe(CANDLES, listener, { coalesce: 'none' });
    await waitFor(() => rec.events.length > 2, 10_000, 'updates');
    await injectGap(CANDLES);
    await waitFor(() => stream.metrics.gapsRecovered >= 1, 10_000, 'gap recovered');
    expect(stream.metrics.gapsDetected).to.be.at.least(1);
    await expectEqualsServer(stream, CANDLES);
    expectGaplessAndUnique(rec);
    expect(rec.events.filter((e) => e.kind === 'reset')).to.have.length(0);
    // The resync re-subscribed with since = the last applied seq.
    const resub = tap.sent.filter((m) => m.op === 'sub')[1] as { since?: { seq: number } } | undefined;
    expect(resub?.since?.seq).to.be.a('number');
  });

  it('polling takes over when upgrades are refused, and hands back to the socket without loss', async () => {
    const tap = wireTap();
    const stream = await freshStream({ backoffBaseMs: 100, backoffMaxMs: 400, fallbackAfter: 3, pollIntervalMs: 300 });
    const states = stateLog(stream);
    const { listener, rec } = recorder();
    stream.subscribe(CANDLES, listener, { coalesce: 'none' });
    await waitFor(() => rec.events.length > 2 && stream.state === 'open', 10_000, 'updates');
    await refuseUpgrades(3_500);
    await dropAllConnections();
    await waitFor(() => stream.state === 'polling', 10_000, 'polling');
    expect(stream.metrics.mode).to.equal('polling');
    const eventsAtPolling = rec.events.length;
    // Polled snapshots move the state forward (same epoch: kind snapshot, never a reset).
    await waitFor(() => rec.events.slice(eventsAtPolling).filter((e) => e.kind === 'snapshot').length >= 2, 10_000, 'polled states');
    await waitFor(() => stream.state === 'open', 15_000, 'socket back');
    const lastPolled = [...rec.events].reverse().find((e) => e.kind === 'snapshot')!;
    // Resumed from the last polled epoch and seq.
    const lastSub = tap.sent.filter((m) => m.op === 'sub').pop() as { since?: { epoch: string; seq: number } };
    expect(lastSub.since).to.deep.equal({ epoch: lastPolled.state.epoch, seq: lastPolled.state.seq });
    await waitFor(() => rec.last()?.kind === 'update', 10_000, 'updates after polling');
    await expectEqualsServer(stream, CANDLES);
    expectGaplessAndUnique(rec, { snapshotsBetween: true });
    // The first update after the hand-back continues the last polled state: exactly + 1, or
    // above it when the resume was a compacted replay (only the latest change of each bar).
    const firstAfter = rec.events[rec.events.indexOf(lastPolled) + 1]!;
    expect(firstAfter.kind).to.equal('update');
    const next = firstAfter.updates![0]!.seq;
    if (firstAfter.compacted) expect(next).to.be.greaterThan(lastPolled.state.seq);
    else expect(next).to.equal(lastPolled.state.seq + 1);
    expect(rec.events.filter((e) => e.kind === 'reset')).to.have.length(0);
    expect(stream.debug.polls).to.be.greaterThan(0);
    expect(states).to.include.members(['reconnecting', 'polling', 'open']);
  });

  it('a silent server is detected as dead and the stream reconnects on its own', async () => {
    const stream = await freshStream({ backoffBaseMs: 200 });
    const errors: string[] = [];
    stream.on('error', (e) => errors.push(e.code));
    const { listener, rec } = recorder();
    stream.subscribe(CANDLES, listener, { coalesce: 'none' });
    await waitFor(() => rec.events.length > 2 && stream.state === 'open', 10_000, 'updates');
    const sockets = stream.debug.socketsOpened;
    const silencedAt = performance.now();
    await silenceServer(15_000); // longer than the detection: the server never closes it for us
    await waitFor(() => errors.includes('connection_dead'), 12_000, 'dead connection');
    // Not before two heartbeat intervals (TEST server heartbeatMs is 2000).
    expect(performance.now() - silencedAt).to.be.at.least(3_500);
    await waitFor(() => stream.state === 'open' && stream.debug.socketsOpened > sockets, 10_000, 'reconnected');
    await expectEqualsServer(stream, CANDLES);
    expectGaplessAndUnique(rec);
  });

  it('retries at once on the online event instead of waiting out the backoff', async () => {
    const stream = await freshStream({ backoffBaseMs: 60_000, backoffMaxMs: 60_000, random: () => 0.99 });
    stream.subscribe(CANDLES, () => {});
    await waitFor(() => stream.state === 'open', 10_000, 'open');
    await dropAllConnections();
    await waitFor(() => stream.state === 'reconnecting', 5_000, 'reconnecting');
    await sleep(300);
    expect(stream.state).to.equal('reconnecting'); // ~59 s backoff
    window.dispatchEvent(new Event('online'));
    await waitFor(() => stream.state === 'open', 5_000, 'open after online');
    await dropAllConnections();
    await waitFor(() => stream.state === 'reconnecting', 5_000, 'reconnecting');
    stream.reconnect(); // "reconnect now"
    await waitFor(() => stream.state === 'open', 5_000, 'open after reconnect()');
  });
});
