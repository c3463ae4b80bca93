/**
 * Chaos: the four elements stream from the real server while the test drops every
 * connection at random moments (>= 100 drops that hit a socket) and restarts the server
 * a few times. Afterwards, per topic and per epoch, the applied seqs are gapless and
 * duplicate-free, the elements' data equals GET /api/snapshot at the same seq, and the
 * badge is live.
 */
import { expect } from '@open-wc/testing';
import '../../src/index.js';
import type { ConnectionBadge, LivePriceChart, PnlSummary, WsMetricsPanel } from '../../src/index.js';
import { getStream, type MarketStream } from '../../src/stream/index.js';
import type { Bar, CandleSnapshotData, PortfolioSnapshotData, Position } from '../../src/protocol/index.js';
import { dropAllConnections, fetchSnapshot, restartServer, serverInfo, waitFor } from '../support/browser/server.js';
import { countUpdates, nextFrame, seededRandom, sleep, topicRecorder, uniqueUrl, type TopicLog } from './helpers.js';

const MIN_DROPS = 100;
const RESTARTS = 3;
/** Attempts that may find no socket to drop (the stream is between connections); bounds the run. */
const MAX_ATTEMPTS = 400;

const CHART_TOPICS = { 'BTC-USD': 'candles:BTC-USD:1s', 'ETH-USD': 'candles:ETH-USD:5s' } as const;
const PORTFOLIO = 'portfolio:demo';
/** Topics recorded: the elements' topics, and three more held by plain listeners on the same stream. */
const TOPICS = [...Object.values(CHART_TOPICS), PORTFOLIO, 'candles:SOL-USD:1s', 'candles:AAPL:1m', 'candles:MSFT:1s'];

const bySymbol = (a: Position, b: Position) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);

/**
 * Waits until the stream holds `topic` at the server's current seq and stays there for
 * two frames (so the element's frame-coalesced listener has seen that state), then
 * returns the server snapshot and what `read()` says then.
 */
async function atServerSeq<D, T>(stream: MarketStream, topic: string, read: () => T): Promise<{ server: { seq: number; data: D }; seen: T }> {
  return waitFor(
    async () => {
      const server = await fetchSnapshot<D>(topic);
      const local = stream.getTopicState(topic);
      if (!local || local.epoch !== server.epoch || local.seq !== server.seq) return undefined;
      await nextFrame();
      await nextFrame();
      const after = stream.getTopicState(topic);
      if (!after || after.epoch !== server.epoch || after.seq !== server.seq) return undefined;
      return { server, seen: read() };
    },
    20_000,
    `${topic} held at the server's seq for two frames`,
  );
}

describe('chaos: four elements under random drops and server restarts', function () {
  this.timeout(120_000);

  it(`>= ${MIN_DROPS} random drops and ${RESTARTS} restarts: gapless, duplicate-free, equal to the server, badge live`, async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    console.log(`chaos seed ${seed}`);
    const random = seededRandom(seed);
    const { url } = await serverInfo();
    const src = uniqueUrl(url, 'chaos');
    // Created first, so the elements (same src) share this stream and its options.
    const stream = getStream(src, { backoffBaseMs: 100, backoffMaxMs: 1_000 });

    const logs = new Map<string, TopicLog>();
    for (const topic of TOPICS) {
      const { listener, log } = topicRecorder();
      logs.set(topic, log);
      stream.subscribe(topic, listener, { coalesce: 'none' });
    }

    const host = document.createElement('div');
    document.body.append(host);
    const badge = document.createElement('connection-badge') as ConnectionBadge;
    const panel = document.createElement('ws-metrics-panel') as WsMetricsPanel;
    const pnl = document.createElement('pnl-summary') as PnlSummary;
    const charts = Object.keys(CHART_TOPICS).map((symbol) => {
      const chart = document.createElement('live-price-chart') as LivePriceChart;
      chart.style.cssText = 'display:block;width:480px;height:240px';
      chart.setAttribute('symbol', symbol);
      chart.setAttribute('interval', CHART_TOPICS[symbol as keyof typeof CHART_TOPICS].split(':')[2]!);
      return chart;
    });
    pnl.setAttribute('account', 'demo');
    const elements = [badge, panel, pnl, ...charts];
    const elementErrors: string[] = [];
    for (const el of elements) {
      el.setAttribute('src', src);
      el.addEventListener('lmw-error', (e) => elementErrors.push(`${el.localName}: ${JSON.stringify((e as CustomEvent).detail)}`));
      host.append(el);
    }
    try {
      await waitFor(() => TOPICS.every((t) => logs.get(t)!.states.length > 0), 15_000, 'first states of every topic');
      await waitFor(() => pnl.state === 'live' && charts.every((c) => c.state === 'live'), 15_000, 'elements live');

      // ---- chaos ----
      // Restarts spread over the run: after 25, 50 and 75 drops.
      const restartAfter = Array.from({ length: RESTARTS }, (_, i) => Math.round(((i + 1) * MIN_DROPS) / (RESTARTS + 1)));
      let drops = 0;
      let emptyDrops = 0;
      let restarts = 0;
      let attempts = 0;
      while ((drops < MIN_DROPS || restarts < RESTARTS) && attempts < MAX_ATTEMPTS) {
        attempts++;
        await sleep(30 + Math.floor(random() * 220));
        if (restarts < RESTARTS && drops >= restartAfter[restarts]!) {
          await restartServer();
          restarts++;
          continue;
        }
        const dropped = await dropAllConnections();
        if (dropped > 0) drops++;
        else emptyDrops++;
      }
      console.log(`chaos: ${drops} drops that hit a socket, ${emptyDrops} with none open, ${restarts} restarts, ${attempts} attempts`);
      expect(drops, 'drops that hit a socket').to.be.at.least(MIN_DROPS);
      expect(restarts).to.equal(RESTARTS);

      // ---- afterwards ----
      const { epoch } = await serverInfo();
      await waitFor(() => stream.state === 'open' && badge.state === 'open', 20_000, `stream and badge open (badge ${badge.state})`);
      await waitFor(() => TOPICS.every((t) => logs.get(t)!.epoch === epoch), 20_000, 'every topic in the last epoch');

      // Per topic and per epoch: gapless, duplicate-free (checked as events arrived), every epoch seen.
      const summary: string[] = [];
      for (const topic of TOPICS) {
        const log = logs.get(topic)!;
        expect(log.problems, `${topic} continuity`).to.deep.equal([]);
        const epochs = new Set(log.states.map((s) => s.epoch));
        expect(epochs.size, `${topic}: one epoch per server start`).to.equal(RESTARTS + 1);
        for (const [e, seqs] of log.seqs) {
          for (let i = 1; i < seqs.length; i++) {
            expect(seqs[i]! > seqs[i - 1]!, `${topic} epoch ${e}: ${seqs[i]} after ${seqs[i - 1]}`).to.equal(true);
          }
          expect(new Set(seqs).size, `${topic} epoch ${e}: no seq twice`).to.equal(seqs.length);
        }
        summary.push(`${topic}: ${countUpdates(log)} updates, ${log.states.length} full states`);
      }
      console.log(summary.join('\n'));
      // Continuity was really exercised: most reconnects resumed from history rather than from a snapshot.
      expect(stream.metrics.reconnects, 'reconnects').to.be.at.least(MIN_DROPS / 2);
      expect(stream.metrics.gapsRecovered, 'resumes that replayed missed updates').to.be.greaterThan(0);

      // Every recorded topic equals the server at the same seq.
      for (const topic of TOPICS) {
        const { server, seen } = await atServerSeq(stream, topic, () => structuredClone(stream.getTopicState(topic)!));
        expect(seen.data, `${topic} stream state`).to.deep.equal(server.data);
        expect(logs.get(topic)!.seq).to.equal(server.seq);
      }
      // The elements show exactly the server's data at the same seq.
      for (const chart of charts) {
        const topic = CHART_TOPICS[chart.symbol as keyof typeof CHART_TOPICS];
        const { server, seen } = await atServerSeq<CandleSnapshotData, Bar[]>(stream, topic, () => chart.bars);
        expect(seen.length, `${topic} bars`).to.be.greaterThan(0);
        expect(seen, `<live-price-chart symbol=${chart.symbol}> bars`).to.deep.equal(server.data.bars);
      }
      const { server: portfolio, seen: pnlSeen } = await atServerSeq<PortfolioSnapshotData, { positions: Position[]; summary: unknown }>(
        stream,
        PORTFOLIO,
        () => ({ positions: [...pnl.positions].sort(bySymbol), summary: pnl.summary }),
      );
      expect(pnlSeen.positions, '<pnl-summary> positions').to.deep.equal([...portfolio.data.positions].sort(bySymbol));
      expect(pnlSeen.summary, '<pnl-summary> summary').to.deep.equal(portfolio.data.totals);

      expect(badge.state).to.equal('open');
      expect(badge.getAttribute('state')).to.equal('open');
      expect(panel.metrics?.reconnects, 'metrics panel follows the stream').to.equal(stream.metrics.reconnects);
      expect(elementErrors, 'no element entered its error state').to.deep.equal([]);
    } finally {
      host.remove();
      stream.close();
    }
  });
});
