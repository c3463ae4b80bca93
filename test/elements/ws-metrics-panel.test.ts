import { expect, fixture, html } from '@open-wc/testing';
import '../../src/elements/ws-metrics-panel/ws-metrics-panel.js';
import '../../src/elements/pnl-summary/pnl-summary.js';
import { SPARKLINE_SECONDS, type WsMetricsPanel } from '../../src/elements/ws-metrics-panel/ws-metrics-panel.js';
import { getStream } from '../../src/stream/index.js';
import { serverInfo, waitFor, dropConnectionsFor, dropAllConnections, refuseUpgrades } from '../support/browser/server.js';
import { record, sleep, waitForState } from './helpers.js';

let url: string;
before(async () => {
  url = (await serverInfo()).url;
});

/** A panel next to a subscriber, so messages flow on the stream. */
async function panel(src = url) {
  const host = await fixture<HTMLDivElement>(html`<div>
    <ws-metrics-panel .src=${src}></ws-metrics-panel>
    <pnl-summary .src=${src} account="demo"></pnl-summary>
  </div>`);
  return host.querySelector('ws-metrics-panel')!;
}
const root = (el: WsMetricsPanel) => el.shadowRoot!;
const figure = (el: WsMetricsPanel, label: string) =>
  [...root(el).querySelectorAll('dt')].find((dt) => dt.textContent!.trim() === label)?.nextElementSibling?.textContent?.trim();

describe('<ws-metrics-panel>', () => {
  it('shows live figures from the stream metrics', async () => {
    const el = await panel();
    await waitForState(el, 'live');
    await waitFor(() => (el.metrics?.messagesPerSecond ?? 0) > 0 && el.metrics?.latencyMs != null, 10_000, 'traffic and an RTT');
    await el.updateComplete;
    await sleep(1_100);
    const m = el.metrics!;
    expect(m.mode).to.equal('realtime');
    expect(figure(el, 'Latency')).to.match(/ms$/);
    expect(figure(el, 'p50')).to.match(/ms$/);
    expect(figure(el, 'p99')).to.match(/ms$/);
    expect(figure(el, 'Bytes/s')).to.match(/B\/s$/);
    expect(figure(el, 'Mode')).to.equal('realtime');
    expect(figure(el, 'Reconnects')).to.equal(String(m.reconnects));
    expect(figure(el, 'Uptime')).to.match(/^\d+:\d\d:\d\d$/);
    expect(figure(el, 'Last update')).to.match(/now|second/);
    // Metrics are a copy: writing to them changes nothing.
    (el.metrics as { reconnects: number }).reconnects = 999;
    expect(el.metrics!.reconnects).to.equal(getStream(url).metrics.reconnects);
  });

  it('says who holds the socket (Sharing) and counts hand-offs', async () => {
    const el = await panel();
    await waitForState(el, 'live');
    // The test page is the only tab of its origin using the stream: it leads (docs/cross-tab.md).
    await waitFor(() => el.metrics?.sharing === 'leader', 5_000, 'the page to lead');
    await el.updateComplete;
    expect(figure(el, 'Sharing')).to.equal('Leader tab');
    expect(figure(el, 'Hand-offs')).to.equal('0');
  });

  it('draws a sparkline of messages/s from one sample a second, in a fixed-size ring', async () => {
    const el = await panel();
    await waitForState(el, 'live');
    expect(el.ticking).to.equal(true);
    await waitFor(() => el.samples.length >= 3, 5_000, 'three samples');
    await el.updateComplete;
    const svg = root(el).querySelector('svg[role=img]')!;
    expect(svg.getAttribute('aria-label')).to.match(/Messages per second over the last \d+ seconds/);
    const points = svg.querySelector('polyline')!.getAttribute('points')!.trim().split(' ');
    expect(points.length).to.equal(el.samples.length);
    expect(el.samples.length).to.be.at.most(SPARKLINE_SECONDS);
    expect(el.samples.some((v) => v > 0)).to.equal(true);
  });

  it('ticks the relative "last update" each second and stops its clock when removed', async () => {
    const el = await panel();
    await waitForState(el, 'live');
    const count = el.samples.length;
    await sleep(2_100);
    expect(el.samples.length).to.be.at.least(Math.min(SPARKLINE_SECONDS, count + 2));
    const host = el.parentElement!;
    el.remove();
    expect(el.ticking).to.equal(false);
    const frozen = el.samples.length;
    await sleep(1_200);
    expect(el.samples.length).to.equal(frozen);
    host.prepend(el);
    await el.updateComplete;
    expect(el.ticking).to.equal(true);
  });

  it('counts a forced drop as a reconnect, marked stale meanwhile', async () => {
    const el = await panel();
    await waitForState(el, 'live');
    const before = getStream(url).metrics.reconnects;
    const states = record<{ state: string }>(el, 'lmw-state-change');
    await dropConnectionsFor(600);
    await waitForState(el, 'stale');
    expect(root(el).querySelector('[part=notice]')).to.exist;
    await waitForState(el, 'live');
    await waitFor(() => el.metrics!.reconnects > before, 5_000, 'the reconnect counted');
    await el.updateComplete;
    await sleep(300);
    expect(figure(el, 'Reconnects')).to.equal(String(el.metrics!.reconnects));
    expect(states.events.map((e) => e.detail.state)).to.deep.equal(['stale', 'live']);
  });

  describe('while polling (HTTP fallback)', () => {
    afterEach(() => refuseUpgrades(0));

    it('counts the bytes of poll responses in Bytes/s and shows the poll round trip', async () => {
      // Upgrades refused from the start: every byte this stream ever sees comes from polls.
      await refuseUpgrades(60_000);
      const src = `${url}?polling-bytes`;
      const stream = getStream(src, { fallbackAfter: 1, pollIntervalMs: 300 });
      try {
        const el = await panel(src);
        await waitFor(() => stream.state === 'polling', 10_000, 'polling');
        await waitFor(() => stream.metrics.bytesPerSecond > 0, 10_000, 'poll bytes counted');
        await waitFor(() => stream.metrics.latencyMs !== null, 5_000, 'a poll round trip');
        await el.updateComplete;
        await sleep(300); // the panel renders on the next metrics event
        expect(figure(el, 'Bytes/s')).to.match(/^[1-9][\d.,\s]*\s?[KM]?B\/s$/);
        expect(figure(el, 'Poll round trip')).to.match(/ms$/);
        expect(figure(el, 'p50')).to.match(/ms$/);
        expect(figure(el, 'Mode')).to.equal('polling');
      } finally {
        stream.close();
      }
    });

    it('does not keep the socket latency: p50/p99 follow the poll round trips', async () => {
      const src = `${url}?polling-latency`;
      const stream = getStream(src, { fallbackAfter: 1, pollIntervalMs: 250 });
      try {
        await panel(src);
        await waitFor(() => stream.state === 'open' && stream.metrics.latencyMs !== null, 10_000, 'a ping RTT');
        await refuseUpgrades(60_000);
        await dropAllConnections();
        await waitFor(() => stream.state === 'polling', 10_000, 'polling');
        const seen = new Set<string>();
        await waitFor(
          () => {
            const m = stream.metrics;
            if (m.mode === 'polling' && m.latencyMs !== null) seen.add(`${m.latencyMs}/${m.latencyP50Ms}/${m.latencyP99Ms}`);
            return seen.size >= 3;
          },
          10_000,
          'latency figures that move with each poll',
        );
        const polls = stream.debug.polls;
        expect(polls).to.be.greaterThan(2);
      } finally {
        stream.close();
      }
    });
  });

  it('shows an error without a data source, and is accessible in every state', async () => {
    const lonely = await fixture<WsMetricsPanel>(html`<ws-metrics-panel></ws-metrics-panel>`);
    expect(lonely.state).to.equal('error');
    await expect(lonely).to.be.accessible();
    const el = await panel();
    await expect(el).to.be.accessible();
    await waitForState(el, 'live');
    await sleep(1_100);
    await expect(el).to.be.accessible();
    el.theme = 'dark';
    await el.updateComplete;
    await expect(el).to.be.accessible();
    getStream(url).pause();
    await waitForState(el, 'stale');
    await expect(el).to.be.accessible();
    getStream(url).resume();
    await waitForState(el, 'live');
  });
});
