import { expect, fixture, html } from '@open-wc/testing';
import '../../src/elements/live-price-chart/live-price-chart.js';
import type { LivePriceChart } from '../../src/elements/live-price-chart/live-price-chart.js';
import type { IChartApi, ISeriesApi, SeriesType } from 'lightweight-charts';
import { emulateMedia } from '@web/test-runner-commands';
import type { Bar, CandleSnapshotData } from '../../src/protocol/index.js';
import { getStream } from '../../src/stream/index.js';
import { fetchSnapshot, restartServer, serverInfo, silenceServer, waitFor, dropConnectionsFor } from '../support/browser/server.js';
import { XSS, nextFrame, record, sleep, waitForState } from './helpers.js';

let url: string;
before(async () => {
  url = (await serverInfo()).url;
});

async function chart(attrs: { symbol?: string; interval?: string; type?: string; src?: string | null; maxBars?: number } = {}) {
  const src = attrs.src === null ? undefined : (attrs.src ?? url);
  return fixture<LivePriceChart>(html`<div style="width:640px;height:360px">
      <live-price-chart
        style="height:100%"
        .src=${src}
        symbol=${attrs.symbol ?? 'BTC-USD'}
        interval=${attrs.interval ?? '1s'}
        chart-type=${attrs.type ?? 'candles'}
        max-bars=${attrs.maxBars ?? 2000}
      ></live-price-chart>
    </div>`).then((host) => host.querySelector('live-price-chart')!);
}

const text = (el: LivePriceChart) => el.shadowRoot!.textContent!.replace(/\s+/g, ' ');
const topicOf = (el: LivePriceChart) => `candles:${el.symbol}:${el.interval}`;

/** Waits until the element's bars equal a server snapshot taken at the element's own seq. */
async function expectBarsMatchServer(el: LivePriceChart) {
  const stream = getStream(el.src ?? url);
  await waitFor(
    async () => {
      const local = stream.getTopicState<CandleSnapshotData>(topicOf(el));
      if (!local) return false;
      const snapshot = await fetchSnapshot<CandleSnapshotData>(topicOf(el));
      // Same seq on both sides, and the element has drawn that state.
      await nextFrame();
      await nextFrame();
      const now = stream.getTopicState<CandleSnapshotData>(topicOf(el))!;
      if (now.seq !== snapshot.seq) return false;
      return JSON.stringify(el.bars) === JSON.stringify(snapshot.data.bars.slice(-el.maxBars));
    },
    15_000,
    'bars equal to GET /api/snapshot at the same seq',
  );
}

describe('<live-price-chart>', () => {
  it('shows a loading skeleton first, then live candles drawn in its shadow root', async () => {
    const el = await chart();
    expect(['loading', 'live']).to.include(el.state);
    if (el.state === 'loading') expect(el.shadowRoot!.querySelector('.skeleton')).to.exist;
    await waitForState(el, 'live');
    await waitFor(() => el.shadowRoot!.querySelector('[part=chart] canvas'), 10_000, 'canvas');
    expect(el.getAttribute('state')).to.equal('live');
    expect(el.bars.length).to.be.greaterThan(100);
    expect(el.lastPrice).to.equal(el.bars.at(-1)!.close);
    expect(document.querySelector('canvas')).to.equal(null); // canvases stay in the shadow root
    expect(el.shadowRoot!.querySelector('[part=price]')!.textContent).to.match(/\d/);
    expect(el.shadowRoot!.querySelector('[part=change]')!.textContent).to.match(/%/);
    expect(text(el)).to.contain('BTC-USD');
  });

  it('keeps exactly the bars of GET /api/snapshot, bar for bar, while updates flow', async () => {
    const el = await chart();
    await waitForState(el, 'live');
    await expectBarsMatchServer(el);
  });

  it('fires lmw-bar at most once a frame with the newest bar, and not on property sets', async () => {
    const el = await chart();
    await waitForState(el, 'live');
    const bars = record<{ bar: Bar }>(el, 'lmw-bar');
    const frames: number[] = [];
    let counting = true;
    const countFrames = () => {
      frames.push(performance.now());
      if (counting) requestAnimationFrame(countFrames);
    };
    requestAnimationFrame(countFrames);
    await waitFor(() => bars.events.length >= 5, 10_000, '5 lmw-bar events');
    counting = false;
    expect(bars.events.length).to.be.at.most(frames.length + 1);
    const last = bars.events.at(-1)!;
    expect(last.bubbles && last.composed).to.equal(true);
    expect(last.detail.bar).to.have.keys(['time', 'open', 'high', 'low', 'close', 'volume', 'trades']);
    bars.stop();

    // Property sets that do not change the data fire nothing.
    const quiet = record(el, 'lmw-bar');
    const states = record(el, 'lmw-state-change');
    getStream(url).pause();
    await waitForState(el, 'stale');
    states.events.length = 0;
    el.chartType = 'line';
    el.theme = 'dark';
    el.locale = 'de-DE';
    await el.updateComplete;
    await sleep(300);
    expect(quiet.events).to.have.length(0);
    expect(states.events).to.have.length(0);
    getStream(url).resume();
    await waitForState(el, 'live');
  });

  it('applies an out-of-order older bar (historical update) without throwing', async () => {
    // Own stream (a different spelling of the URL), because the injected update makes its
    // state leave the server's: the test checks the chart follows its stream, then closes it.
    const { httpUrl } = await serverInfo();
    const isolated = `${httpUrl.replace('http://127.0.0.1', 'ws://localhost')}/stream`;
    const el = await chart({ symbol: 'AAPL', interval: '1m', src: isolated });
    try {
      await waitForState(el, 'live');
      await waitFor(() => el.shadowRoot!.querySelector('canvas'));
      const stream = getStream(isolated);
      const topic = topicOf(el);
      const target = el.bars.at(-10)!;
      const changed: Bar = { ...target, high: target.high + 7, close: target.close + 1 };
      const seq = stream.getTopicState(topic)!.seq + 1; // read and inject in one task: no frame in between
      stream.debug.injectFrame(JSON.stringify({ op: 'update', topic, seq, time: Date.now(), data: changed }));
      await waitFor(() => el.bars.find((b) => b.time === target.time)?.high === changed.high, 5_000, 'the older bar updated');
      const local = stream.getTopicState<CandleSnapshotData>(topic)!;
      await nextFrame();
      expect(el.state).to.equal('live');
      expect(el.bars.find((b) => b.time === target.time)).to.deep.equal(changed);
      expect(el.bars.length).to.equal(local.data.bars.length);
    } finally {
      el.remove();
      getStream(isolated).close();
    }
  });

  it('switches chart types without losing bars', async () => {
    const el = await chart({ type: 'line' });
    await waitForState(el, 'live');
    await waitFor(() => el.shadowRoot!.querySelector('canvas'));
    const before = el.bars.length;
    el.chartType = 'area';
    await el.updateComplete;
    expect(el.bars.length).to.be.at.least(before);
    el.chartType = 'candles';
    await el.updateComplete;
    await expectBarsMatchServer(el);
  });

  it('takes a new symbol and interval at run time and releases the old topic', async () => {
    const el = await chart({ symbol: 'ETH-USD', interval: '5s' });
    await waitForState(el, 'live');
    el.symbol = 'SOL-USD';
    el.interval = '1m';
    await el.updateComplete;
    expect(text(el)).to.contain('SOL-USD');
    await waitForState(el, 'live');
    await expectBarsMatchServer(el);
    const snapshot = await fetchSnapshot<CandleSnapshotData>('candles:SOL-USD:1m');
    expect(el.bars.at(-1)!.time).to.equal(snapshot.data.bars.at(-1)!.time);
  });

  it('respects max-bars', async () => {
    const el = await chart({ maxBars: 50 });
    await waitForState(el, 'live');
    expect(el.bars.length).to.equal(50);
    await expectBarsMatchServer(el);
    el.maxBars = 20;
    await el.updateComplete;
    expect(el.bars.length).to.equal(20);
    el.maxBars = 300; // a larger window refills from the stream's state
    await el.updateComplete;
    expect(el.bars.length).to.equal(300);
    await expectBarsMatchServer(el);
    el.maxBars = 0;
    await el.updateComplete;
    expect(el.state).to.equal('error');
    expect(el.error!.message).to.contain('max-bars');
  });

  /**
   * Mounts a chart in a host styled `hidden`, checks that newer bars reach its data and
   * events but not lightweight-charts' series (what the canvas shows), then `reveal`s it and
   * checks one draw brings the series to the element's bars and live drawing resumes.
   */
  async function expectNoDrawingUntilRevealed(hidden: string, reveal: (host: HTMLDivElement) => void) {
    const host = await fixture<HTMLDivElement>(html`<div style="${hidden};width:640px;height:360px">
      <live-price-chart style="height:100%" .src=${url} symbol="BTC-USD" interval="1s"></live-price-chart>
    </div>`);
    const el = host.querySelector('live-price-chart')!;
    await waitForState(el, 'live');
    const series = () => (el as unknown as { _series?: ISeriesApi<SeriesType> })._series;
    const drawn = () => series()?.data().at(-1);
    const first = await waitFor(drawn, 10_000, 'the chart created with its snapshot');
    const bars = record<{ bar: Bar }>(el, 'lmw-bar');
    // Two newer 1 s bars reach the element (data, header, events) but not the canvas.
    await waitFor(() => el.bars.at(-1)!.time >= (first.time as number) + 2, 10_000, 'two newer bars');
    bars.stop();
    expect(bars.events.at(-1)!.detail.bar.time).to.be.at.least((first.time as number) + 2);
    expect(drawn()!.time).to.equal(first.time);
    reveal(host);
    await waitFor(() => drawn()!.time === el.bars.at(-1)!.time, 5_000, 'the latest bar drawn once in view');
    expect(series()!.data().length).to.equal(el.bars.length);
    await waitFor(() => (drawn()!.time as number) > (first.time as number) + 3, 10_000, 'live drawing again');
  }

  it('stops drawing while far out of view, keeps its data live, and draws the latest bars when back', async () => {
    // Three viewports down: beyond the one-viewport margin within which charts draw.
    await expectNoDrawingUntilRevealed(`margin-top:${window.innerHeight * 3}px`, (host) => (host.style.marginTop = '0px'));
  });

  it('stops drawing inside a display:none container (a hidden tab) and draws when shown', async () => {
    await expectNoDrawingUntilRevealed('display:none', (host) => (host.style.display = 'block'));
  });

  it('paints the canvas with resolved rgb colours of the light or dark palette, by theme and by colour scheme', async () => {
    const el = await chart();
    const internals = el as unknown as { _chart?: IChartApi; _series?: ISeriesApi<SeriesType> };
    await waitFor(() => internals._series, 10_000, 'the chart created');
    const painted = () => {
      const background = internals._chart!.options().layout.background as { color?: string };
      const series = internals._series!.options() as { upColor?: string; topColor?: string };
      return { bg: background.color, text: internals._chart!.options().layout.textColor, up: series.upColor, top: series.topColor };
    };
    const LIGHT = { bg: 'rgb(255, 255, 255)', text: 'rgb(85, 98, 116)', up: 'rgb(10, 110, 68)', top: undefined };
    const DARK = { bg: 'rgb(18, 25, 36)', text: 'rgb(147, 161, 179)', up: 'rgb(60, 207, 134)', top: undefined };
    try {
      await emulateMedia({ colorScheme: 'light' });
      await waitFor(() => painted().bg === LIGHT.bg, 2_000, 'light palette');
      expect(painted()).to.deep.equal(LIGHT);
      el.theme = 'dark';
      await el.updateComplete;
      expect(painted()).to.deep.equal(DARK);
      el.theme = 'auto';
      await el.updateComplete;
      expect(painted()).to.deep.equal(LIGHT);
      await emulateMedia({ colorScheme: 'dark' }); // auto follows prefers-color-scheme
      await waitFor(() => painted().bg === DARK.bg, 2_000, 'dark palette from the colour scheme');
      expect(painted()).to.deep.equal(DARK);
      el.theme = 'light';
      await el.updateComplete;
      expect(painted()).to.deep.equal(LIGHT);
      el.chartType = 'area'; // its fill is the accent with alpha, from the resolved colour
      await el.updateComplete;
      expect(painted().top).to.equal('rgba(37, 87, 214, 0.35)');
      el.theme = 'dark';
      await el.updateComplete;
      expect(painted().top).to.equal('rgba(110, 162, 255, 0.35)');
      el.style.setProperty('--lmw-up', '#123456'); // a page's own colour still wins
      el.chartType = 'candles';
      await el.updateComplete;
      expect(painted().up).to.equal('rgb(18, 52, 86)');
    } finally {
      await emulateMedia({ colorScheme: 'light' });
    }
  });

  it('shows an error for a bad interval, without subscribing', async () => {
    const errors: CustomEvent[] = [];
    const el = document.createElement('live-price-chart');
    el.addEventListener('lmw-error', (e) => errors.push(e as CustomEvent));
    el.src = url;
    el.symbol = 'BTC-USD';
    el.setAttribute('interval', '7m'); // not an Interval: only an attribute (or a cast) can give it
    document.body.append(el);
    await el.updateComplete;
    expect(el.state).to.equal('error');
    expect(text(el)).to.contain('Unknown interval "7m"');
    expect(errors).to.have.length(1);
    expect(errors[0]!.detail).to.deep.equal({ code: 'bad_attribute', message: 'Unknown interval "7m" (use 1s, 5s, 1m, 5m, 15m, 1h).' });
    expect(getStream(url).getTopicState('candles:BTC-USD:7m')).to.equal(undefined);
    // Fixing the attribute recovers.
    el.interval = '1m';
    await waitForState(el, 'live');
    el.remove();
  });

  it('shows the server error for an unknown symbol', async () => {
    const el = await chart({ symbol: 'NOPE' });
    await waitForState(el, 'error');
    expect(el.error!.code).to.equal('unknown_topic');
    expect(el.shadowRoot!.querySelector('[part=error]')!.textContent).to.contain(el.error!.message);
  });

  it('shows markup in a symbol as text', async () => {
    (window as { __lmwXss?: number }).__lmwXss = 0;
    const el = await chart({ symbol: XSS });
    await waitForState(el, 'error');
    expect(el.shadowRoot!.querySelector('img')).to.equal(null);
    expect(text(el)).to.contain(XSS);
    expect(el.shadowRoot!.querySelector('[part=symbol]')!.textContent).to.equal(XSS);
    await sleep(50);
    expect((window as { __lmwXss?: number }).__lmwXss).to.equal(0);
  });

  it('shows a server error message that contains markup as text', async () => {
    const { httpUrl } = await serverInfo();
    const isolated = `${httpUrl.replace('http://127.0.0.1', 'ws://localhost')}/stream?xss`;
    const el = await chart({ symbol: 'BTC-USD', src: isolated });
    try {
      await waitForState(el, 'live');
      const stream = getStream(isolated);
      await silenceServer(1_500); // the next sub stays unanswered…
      el.symbol = 'ETH-USD';
      await el.updateComplete;
      await sleep(100);
      // …so a forged error frame can answer it, whatever its id.
      const frames = Array.from({ length: 50 }, (_, id) => ({ op: 'error', id, code: 'forbidden', message: XSS }));
      stream.debug.injectFrame(JSON.stringify(frames));
      await waitForState(el, 'error');
      expect(el.error).to.deep.equal({ code: 'forbidden', message: XSS });
      expect(el.shadowRoot!.querySelector('img')).to.equal(null);
      expect(el.shadowRoot!.querySelector('[part=error] .error-message')!.textContent).to.equal(XSS);
    } finally {
      el.remove();
      getStream(isolated).close();
    }
  });

  it('shows an error without a data source', async () => {
    const el = await chart({ src: null });
    expect(el.state).to.equal('error');
    expect(el.error!.code).to.equal('no_source');
  });

  it('uses <meta name="live-market-widgets:src"> when src is absent, and follows a src change', async () => {
    const meta = document.createElement('meta');
    meta.name = 'live-market-widgets:src';
    meta.content = 'ws://127.0.0.1:9/stream'; // nothing listens there
    document.head.append(meta);
    try {
      const el = await chart({ src: null });
      expect(el.resolvedSrc).to.equal('ws://127.0.0.1:9/stream');
      await waitFor(() => getStream('ws://127.0.0.1:9/stream').state !== 'idle');
      expect(el.state).to.equal('loading'); // no data yet, nothing blank
      el.src = url;
      await waitForState(el, 'live');
      await expectBarsMatchServer(el);
    } finally {
      meta.remove();
      getStream('ws://127.0.0.1:9/stream').close();
    }
  });

  it('marks data stale during a forced drop, recovers on its own and keeps every bar', async () => {
    const el = await chart();
    await waitForState(el, 'live');
    const states = record<{ state: string; previous: string }>(el, 'lmw-state-change');
    const before = el.bars.length;
    await dropConnectionsFor(600);
    await waitForState(el, 'stale');
    expect(el.bars.length).to.be.at.least(before); // data kept
    expect(el.shadowRoot!.querySelector('[part=notice]')!.textContent).to.match(/Reconnecting|Connecting|Polling/);
    await waitForState(el, 'live');
    expect(states.events.map((e) => e.detail.state)).to.deep.equal(['stale', 'live']);
    await expectBarsMatchServer(el);
  });

  it('replaces its bars after a server restart (new epoch) and matches the new server state', async () => {
    const el = await chart({ symbol: 'MSFT', interval: '5s' });
    await waitForState(el, 'live');
    const { epoch } = await serverInfo();
    const restarted = await restartServer();
    expect(restarted.epoch).not.to.equal(epoch);
    await waitFor(() => getStream(url).getTopicState(topicOf(el))?.epoch === restarted.epoch, 15_000, 'the new epoch');
    await waitForState(el, 'live');
    await expectBarsMatchServer(el);
  });

  it('is accessible while loading, live, stale and in error', async () => {
    const el = await chart();
    await expect(el).to.be.accessible();
    await waitForState(el, 'live');
    await expect(el).to.be.accessible();
    getStream(url).pause();
    await waitForState(el, 'stale');
    await expect(el).to.be.accessible();
    getStream(url).resume();
    el.setAttribute('interval', 'bad');
    await waitForState(el, 'error');
    await expect(el).to.be.accessible();
    el.theme = 'dark';
    el.interval = '1s';
    await waitForState(el, 'live');
    await expect(el).to.be.accessible();
  });
});
