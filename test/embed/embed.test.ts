/**
 * A plain HTML page that loads only the built dist/live-market-widgets.js through one
 * script tag (no bundler) shows all four elements with live data. Needs a fresh
 * `npm run build` (the test script runs it first).
 */
import { expect } from '@open-wc/testing';
import { serverInfo, waitFor } from '../support/browser/server.js';

type Frame = Window & typeof globalThis;

async function openEmbed(): Promise<{ frame: HTMLIFrameElement; win: Frame; doc: Document }> {
  const { url } = await serverInfo();
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width:1000px;height:900px';
  frame.src = `/test/embed/index.html?src=${encodeURIComponent(url)}`;
  document.body.append(frame);
  await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  return { frame, win: frame.contentWindow as Frame, doc: frame.contentDocument! };
}

describe('embedding with one script tag', () => {
  before(async () => {
    const response = await fetch('/dist/live-market-widgets.js', { method: 'HEAD' });
    if (!response.ok) throw new Error('dist/live-market-widgets.js is missing: run `npm run build` before this test');
  });

  let frame: HTMLIFrameElement | undefined;
  afterEach(() => frame?.remove());

  it('registers the four elements from the bundle and shows live data in each', async () => {
    const opened = await openEmbed();
    frame = opened.frame;
    const { win, doc } = opened;
    await waitFor(() => win.customElements.get('pnl-summary'), 10_000, 'the bundle to register the elements');
    for (const tag of ['live-price-chart', 'connection-badge', 'ws-metrics-panel', 'pnl-summary'])
      expect(win.customElements.get(tag), tag).to.be.a('function');

    const state = (tag: string) => (doc.querySelector(tag) as HTMLElement & { state: string }).state;
    await waitFor(() => state('connection-badge') === 'open', 10_000, 'badge open');
    await waitFor(() => state('live-price-chart') === 'live', 10_000, 'chart live');
    await waitFor(() => state('pnl-summary') === 'live', 10_000, 'pnl live');
    await waitFor(() => state('ws-metrics-panel') === 'live', 10_000, 'metrics live');

    const chart = doc.querySelector('live-price-chart') as HTMLElement & { bars: unknown[]; lastPrice: number };
    await waitFor(() => chart.shadowRoot!.querySelector('canvas'), 10_000, 'the chart canvas');
    expect(chart.bars.length).to.be.greaterThan(100);
    expect(chart.lastPrice).to.be.a('number');
    const pnl = doc.querySelector('pnl-summary') as HTMLElement & { positions: unknown[] };
    expect(pnl.positions.length).to.be.greaterThan(0);
    expect(pnl.shadowRoot!.querySelectorAll('tbody tr').length).to.equal(pnl.positions.length);

    // Only the bundle and its lazily loaded chunks were fetched as scripts.
    const scripts = (win.performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((entry) => entry.initiatorType === 'script' || /\.m?js(\?|$)/.test(entry.name))
      .map((entry) => new URL(entry.name).pathname)
      .filter((path) => !path.startsWith('/__web-dev-server')); // the test server's own reload socket
    expect(scripts[0]).to.equal('/dist/live-market-widgets.js');
    // Its lazy chunks: the chart library, and the cross-tab sharing code (docs/cross-tab.md).
    expect(scripts.slice(1).every((path) => /^\/dist\/chunks\/(lightweight-charts|tab-share)[^/]*\.js$/.test(path)), scripts.join(' ')).to.equal(true);
    expect(scripts.some((path) => path.startsWith('/dist/chunks/lightweight-charts'))).to.equal(true);
    // The kit's own stream: one per URL, shared through the global registry.
    const registry = (win as unknown as Record<symbol, Map<string, unknown>>)[Symbol.for('live-market-widgets.streams')];
    expect(registry?.size).to.equal(1);
  });

  it('a second copy of the kit on the page warns instead of throwing and shares the stream', async () => {
    const opened = await openEmbed();
    frame = opened.frame;
    const { win, doc } = opened;
    await waitFor(() => win.customElements.get('pnl-summary'), 10_000, 'the first copy');
    const warnings: string[] = [];
    const warn = win.console.warn;
    win.console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
    try {
      const first = (await win.eval(`import('/dist/live-market-widgets.js')`)) as { getStream: (u: string) => unknown };
      const second = (await win.eval(`import('/dist/live-market-widgets.js?copy=2')`)) as {
        getStream: (u: string) => unknown;
        PnlSummary: unknown;
      };
      expect(second.PnlSummary).not.to.equal(win.customElements.get('pnl-summary')); // really another copy
      expect(warnings.filter((w) => /already defined/.test(w))).to.have.length(4);
      const { url } = await serverInfo();
      expect(second.getStream(url)).to.equal(first.getStream(url));
      // The page still works with the first definitions.
      const extra = doc.createElement('pnl-summary') as HTMLElement & { state: string };
      doc.body.append(extra);
      await waitFor(() => extra.state === 'live', 10_000, 'a new element after the second copy');
    } finally {
      win.console.warn = warn;
    }
  });
});
