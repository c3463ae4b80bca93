/**
 * The stream's connect timeout and its offline handling, against the real reference server:
 * handshakes the server stalls (upgrade done, `hello` never answered) and Chromium's own
 * offline emulation (navigator.onLine, online/offline events, refused requests).
 */
import { expect } from '@open-wc/testing';
import type { ConnectionState, MarketStream, StreamMetrics } from '../../src/stream/index.js';
import { dropAllConnections, refuseUpgrades, setOffline, stallHandshakes, waitFor } from '../support/browser/server.js';
import { closeOpenStreams, freshStream, recorder, sleep } from './helpers.js';

const CANDLES = 'candles:ETH-USD:1s';

interface SocketLog {
  createdAt: number;
  openedAt?: number;
  /** When the page called close() on it, and with what. */
  closeCalled?: { at: number; code: number | undefined; reason: string | undefined };
  /** When its close event came (whoever closed it). */
  closedAt?: number;
}

/** Logs, for every WebSocket the page creates, when it was created, opened and closed (and by whom). */
function socketLog(): { sockets: SocketLog[]; restore(): void } {
  const Original = globalThis.WebSocket;
  const sockets: SocketLog[] = [];
  class LoggedWebSocket extends Original {
    private readonly log: SocketLog = { createdAt: performance.now() };
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this.log);
      this.addEventListener('open', () => (this.log.openedAt = performance.now()));
      this.addEventListener('close', () => (this.log.closedAt = performance.now()));
    }
    override close(code?: number, reason?: string): void {
      this.log.closeCalled ??= { at: performance.now(), code, reason };
      super.close(code, reason);
    }
  }
  globalThis.WebSocket = LoggedWebSocket;
  const restore = () => void (globalThis.WebSocket = Original);
  restores.push(restore);
  return { sockets, restore };
}
const restores: Array<() => void> = [];

function stateLog(stream: MarketStream): ConnectionState[] {
  const log: ConnectionState[] = [];
  stream.on('statechange', ({ state }) => log.push(state));
  return log;
}

/** Failed connects in a row as the stream reported them, in order (every value it went through). */
function attemptLog(stream: MarketStream): number[] {
  const log: number[] = [];
  const note = (m: StreamMetrics) => {
    if (log[log.length - 1] !== m.attempt) log.push(m.attempt);
  };
  stream.on('metrics', note);
  return log;
}

/** The page's socket timed out waiting for `welcome`: the stream closed it itself. */
const timedOut = (s: SocketLog) => s.closeCalled?.reason === 'connect timeout';

describe('MarketStream connectivity (real server)', function () {
  this.timeout(60_000);
  afterEach(async () => {
    closeOpenStreams();
    for (const restore of restores.splice(0)) restore();
    await stallHandshakes(0);
    await refuseUpgrades(0);
    await setOffline(false);
  });

  describe('connect timeout', () => {
    it('gives up a stalled handshake after connectTimeoutMs (not before), counts it, retries with backoff, opens once the stall ends', async () => {
      const connectTimeoutMs = 800;
      const log = socketLog();
      // A fixed jitter makes the backoff delays known: floor(0.5 * min(1000, 200 * 2^n)).
      // A socket of its own (share: false): the timings below are from `new WebSocket`; a shared
      // stream's timeout also covers finding the leader tab first (docs/cross-tab.md).
      const stream = await freshStream({ connectTimeoutMs, backoffBaseMs: 200, backoffMaxMs: 1_000, random: () => 0.5, fallbackAfter: 100, share: false });
      const states = stateLog(stream);
      const attempts = attemptLog(stream);
      const { listener, rec } = recorder();
      const stallMs = 2_600;
      // The server starts the stall after this moment, so it ends after stallEnds.
      const stallEnds = performance.now() + stallMs;
      await stallHandshakes(stallMs);
      stream.subscribe(CANDLES, listener, { coalesce: 'none' });

      await waitFor(() => log.sockets.filter(timedOut).length >= 2, 10_000, 'two connect timeouts');
      // Each timeout is a failed connect (the next one is at least connectTimeoutMs away).
      expect(stream.metrics.attempt).to.equal(log.sockets.filter(timedOut).length);
      expect(stream.state).to.equal('reconnecting');
      expect(rec.events, 'no data through a stalled handshake').to.have.length(0);

      await waitFor(() => stream.state === 'open', 15_000, 'open after the stall');
      expect(performance.now(), 'no welcome before the stall ended').to.be.at.least(stallEnds);
      const timeouts = log.sockets.filter(timedOut);
      expect(timeouts.length).to.be.at.least(2);
      for (const socket of timeouts) {
        // The upgrade completed: the timeout covers hello -> welcome, not only the TCP/HTTP part.
        expect(socket.openedAt, 'upgrade completed').to.be.a('number');
        expect(socket.closeCalled!.code).to.equal(4008); // CloseCode.ClientTimeout: the client's own timeout, not 4000 (dropped by an operator)
        // Not before connectTimeoutMs (from `new WebSocket`), and by the client, not the server.
        expect(socket.closeCalled!.at - socket.createdAt).to.be.at.least(connectTimeoutMs - 2);
        expect(socket.closedAt === undefined || socket.closedAt >= socket.closeCalled!.at, 'closed by the page').to.equal(true);
      }
      // Each failed connect was counted (1, 2, ...) and the next try waited its backoff.
      expect(attempts.filter((n) => n > 0).slice(0, 2)).to.deep.equal([1, 2]);
      for (let i = 0; i + 1 < log.sockets.length; i++) {
        const ended = log.sockets[i]!.closeCalled?.at ?? log.sockets[i]!.closedAt!;
        const backoff = Math.floor(0.5 * Math.min(1_000, 200 * 2 ** i));
        expect(log.sockets[i + 1]!.createdAt - ended, `wait before try ${i + 2}`).to.be.at.least(backoff - 2);
      }
      // Once open: counter back to 0, the topic's first state arrived, no detour through polling.
      expect(stream.metrics.attempt).to.equal(0);
      await waitFor(() => rec.events.length > 0, 10_000, 'first state');
      expect(rec.events[0]!.kind).to.equal('snapshot');
      expect(states).to.not.include('polling');
      expect(states[states.length - 1]).to.equal('open');
      expect(stream.debug.polls).to.equal(0);
    });

    it('with fallbackAfter 2, stalled handshakes lead to polling; the socket takes over without loss when the stall ends', async () => {
      const log = socketLog();
      const stream = await freshStream({ connectTimeoutMs: 600, backoffBaseMs: 100, backoffMaxMs: 300, fallbackAfter: 2, pollIntervalMs: 300 });
      const states = stateLog(stream);
      const { listener, rec } = recorder();
      await stallHandshakes(4_000);
      stream.subscribe(CANDLES, listener, { coalesce: 'none' });

      await waitFor(() => stream.state === 'polling', 10_000, 'polling');
      expect(log.sockets.filter(timedOut), 'polling after the second timeout').to.have.length(2);
      expect(stream.metrics.attempt).to.equal(2);
      expect(stream.metrics.mode).to.equal('polling');
      // Data comes through REST while every handshake hangs.
      await waitFor(() => rec.events.length > 0 && stream.debug.polls > 0, 10_000, 'a polled state');
      expect(rec.events[0]!.kind).to.equal('snapshot');
      expect(states.slice(0, 3)).to.deep.equal(['connecting', 'reconnecting', 'polling']);

      await waitFor(() => stream.state === 'open', 15_000, 'open after the stall');
      expect(stream.metrics.mode).to.equal('realtime');
      const seqAtOpen = stream.getTopicState(CANDLES)!.seq;
      await waitFor(() => (stream.getTopicState(CANDLES)?.seq ?? 0) > seqAtOpen + 2, 10_000, 'live updates on the socket');
      expect(rec.problems).to.deep.equal([]);
      expect(rec.events.filter((e) => e.kind === 'reset')).to.have.length(0);
    });
  });

  describe('offline (Chromium network emulation)', () => {
    /** Takes the page's socket down (server drop, upgrades refused meanwhile), then goes offline. */
    async function dropThenGoOffline(stream: MarketStream): Promise<void> {
      await refuseUpgrades(60_000);
      expect(await dropAllConnections()).to.be.at.least(1);
      await waitFor(() => !stream.debug.socket, 5_000, 'the socket gone');
      await setOffline(true);
      await refuseUpgrades(0); // from here on only the emulation keeps the stream out
      expect(navigator.onLine).to.equal(false);
    }

    it('makes no connect attempts while navigator.onLine is false, however many retries fall due', async () => {
      // fallbackAfter high: the 503s while the socket is taken down must not start polling.
      const stream = await freshStream({ backoffBaseMs: 100, backoffMaxMs: 200, fallbackAfter: 1_000 });
      const { listener, rec } = recorder();
      stream.subscribe(CANDLES, listener, { coalesce: 'none' });
      await waitFor(() => stream.state === 'open' && rec.events.length > 0, 10_000, 'open');
      await dropThenGoOffline(stream);
      const opened = stream.debug.socketsOpened;
      const attempt = stream.metrics.attempt;
      const log = socketLog();
      // Retries are due at least every 200 ms: in 1.5 s several would have gone out.
      await sleep(1_500);
      expect(stream.debug.socketsOpened, 'no socket while offline').to.equal(opened);
      expect(log.sockets, 'no WebSocket created by the page').to.have.length(0);
      expect(stream.metrics.attempt, 'nothing failed either: nothing was tried').to.equal(attempt);
      expect(stream.state).to.equal('reconnecting');

      await setOffline(false);
      expect(navigator.onLine).to.equal(true);
      await waitFor(() => stream.state === 'open', 5_000, 'open after going online');
      expect(stream.debug.socketsOpened).to.equal(opened + 1);
      const seq = stream.getTopicState(CANDLES)!.seq;
      await waitFor(() => (stream.getTopicState(CANDLES)?.seq ?? 0) > seq, 10_000, 'updates again');
      expect(rec.problems).to.deep.equal([]);
    });

    it('connects at once on the online event, long before its backoff would have fired', async () => {
      // The retry after the drop waits floor(0.99 * 60 s): only the online event can bring it back soon.
      const stream = await freshStream({ backoffBaseMs: 60_000, backoffMaxMs: 60_000, random: () => 0.99 });
      const { listener, rec } = recorder();
      stream.subscribe(CANDLES, listener, { coalesce: 'none' });
      await waitFor(() => stream.state === 'open' && rec.events.length > 0, 10_000, 'open');
      await dropThenGoOffline(stream);
      const opened = stream.debug.socketsOpened;
      await sleep(300);
      expect(stream.state).to.equal('reconnecting');
      expect(stream.debug.socketsOpened).to.equal(opened);

      const online = performance.now();
      await setOffline(false);
      await waitFor(() => stream.state === 'open', 10_000, 'open after going online');
      expect(performance.now() - online, 'well before the 59.4 s backoff').to.be.below(10_000);
      expect(stream.debug.socketsOpened).to.equal(opened + 1);
      expect(stream.metrics.reconnects).to.equal(1);
      // Resumed where it stood: no reset, gapless.
      const seq = stream.getTopicState(CANDLES)!.seq;
      await waitFor(() => (stream.getTopicState(CANDLES)?.seq ?? 0) > seq, 10_000, 'updates again');
      expect(rec.problems).to.deep.equal([]);
      expect(rec.events.filter((e) => e.kind === 'reset')).to.have.length(0);
    });
  });
});
