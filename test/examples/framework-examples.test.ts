/**
 * The built React 19 and Vue 3 examples (examples/react, examples/vue: `vite build` of each,
 * which npm test runs first), each in an iframe against the real reference server: the four
 * elements upgrade inside the framework's app, show live data, and the app receives `lmw-bar`
 * and `lmw-pnl` through the framework's own event binding (React 19 `onlmw-bar`, Vue `@lmw-bar`),
 * which it renders into `#last-close` and `#total-pnl`.
 */
import { expect } from '@open-wc/testing';
import { serverInfo, waitFor } from '../support/browser/server.js';

type Live = HTMLElement & { state: string };

for (const framework of ['react', 'vue']) {
  describe(`examples/${framework} (built)`, () => {
    const page = `/examples/${framework}/dist/index.html`;
    let frame: HTMLIFrameElement | undefined;
    afterEach(() => frame?.remove());

    before(async () => {
      const response = await fetch(page, { method: 'HEAD' });
      if (!response.ok) throw new Error(`${page} is missing: run \`npm run build && npm run build:examples\` before this test`);
    });

    it('renders the elements, which show live data, and hands their events to the app', async () => {
      const { url } = await serverInfo();
      frame = document.createElement('iframe');
      frame.style.cssText = 'width:1000px;height:1200px';
      frame.src = `${page}?src=${encodeURIComponent(url)}`;
      document.body.append(frame);
      await new Promise((resolve) => frame!.addEventListener('load', resolve, { once: true }));
      const win = frame.contentWindow as Window & typeof globalThis;
      const doc = frame.contentDocument!;

      await waitFor(() => doc.querySelector('pnl-summary'), 10_000, 'the app to render');
      for (const tag of ['live-price-chart', 'connection-badge', 'ws-metrics-panel', 'pnl-summary'])
        expect(win.customElements.get(tag), tag).to.be.a('function');
      const el = (tag: string) => doc.querySelector(tag) as Live;
      await waitFor(() => el('connection-badge').state === 'open', 10_000, 'badge open');
      await waitFor(() => el('live-price-chart').state === 'live', 10_000, 'chart live');
      await waitFor(() => el('pnl-summary').state === 'live', 10_000, 'pnl live');
      await waitFor(() => el('ws-metrics-panel').state === 'live', 10_000, 'metrics live');

      // What the app set: attributes and properties arrived as the element reads them.
      const chart = el('live-price-chart') as Live & { chartType: string; maxBars: number; interval: string; bars: unknown[] };
      expect([chart.interval, chart.chartType, chart.maxBars]).to.deep.equal(['1s', 'line', 300]);
      expect((el('pnl-summary') as Live & { sortBy: string }).sortBy).to.equal('unrealized-pnl');
      expect((el('connection-badge') as Live & { variant: string }).variant).to.equal('compact');

      // The framework's event binding delivered lmw-bar and lmw-pnl to the app's state.
      await waitFor(() => /^-?\d/.test(doc.getElementById('last-close')!.textContent ?? ''), 10_000, 'lmw-bar in the app');
      await waitFor(() => /^-?\d/.test(doc.getElementById('total-pnl')!.textContent ?? ''), 10_000, 'lmw-pnl in the app');
      expect(Number(doc.getElementById('last-close')!.textContent)).to.be.greaterThan(0);
      expect(chart.bars.length).to.be.greaterThan(0);
      await waitFor(() => chart.shadowRoot!.querySelector('canvas'), 10_000, 'the chart canvas (lightweight-charts loads lazily)');
    });
  });
}
