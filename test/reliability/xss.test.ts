/**
 * XSS: markup in symbols, accounts, data URLs, server error messages and server data is
 * shown as text by every element: no element is created from it, no handler runs, and
 * the literal markup is what the user reads.
 */
import { expect } from '@open-wc/testing';
import '../../src/index.js';
import type { MarketElement, PnlSummary } from '../../src/index.js';
import { getStream } from '../../src/stream/index.js';
import type { PortfolioSnapshotData } from '../../src/protocol/index.js';
import { serverInfo, waitFor } from '../support/browser/server.js';
import { nextFrame, sleep, uniqueUrl, mountElement } from './helpers.js';

declare global {
  interface Window {
    __lmwXss?: number;
  }
}

/** Payloads that would run code or create elements if any of them reached innerHTML. */
const PAYLOADS = [
  '<img src=x onerror="window.__lmwXss=(window.__lmwXss||0)+1">',
  '<script>window.__lmwXss=(window.__lmwXss||0)+1</script>',
  '"><svg onload="window.__lmwXss=(window.__lmwXss||0)+1"></svg>',
];

/** Nodes that could only come from the payloads: any `on*` attribute, a script, an <img src=x>. */
function injectedNodes(root: ParentNode): Element[] {
  return [...root.querySelectorAll('*')].filter(
    (el) =>
      el.getAttributeNames().some((name) => name.toLowerCase().startsWith('on')) ||
      (el.localName === 'script' && (el.textContent ?? '').includes('__lmwXss')) ||
      (el.localName === 'img' && el.getAttribute('src') === 'x'),
  );
}

const TAGS = ['live-price-chart', 'pnl-summary', 'connection-badge', 'ws-metrics-panel'] as const;

const mounted: HTMLElement[] = [];
const mount = (tag: string, attributes: Record<string, string>) => mountElement(tag, attributes, mounted);

/** Visible text of the element's shadow tree, whitespace collapsed. */
const shownText = (el: Element) => (el.shadowRoot?.textContent ?? '').replace(/\s+/g, ' ');

/** The payload is shown literally, as text, and created nothing anywhere. */
async function expectShownAsText(el: MarketElement, payload: string): Promise<void> {
  await el.updateComplete;
  if (el.localName === 'connection-badge') {
    // The badge says "No data source" and gives the reason in its details.
    const details = [...el.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Details')!;
    if (details.getAttribute('aria-expanded') !== 'true') details.click();
    await el.updateComplete;
  }
  await nextFrame();
  await sleep(50); // an <img onerror> would fire by now
  expect(injectedNodes(el.shadowRoot!).map((n) => n.outerHTML), `${el.localName}: nodes created from markup`).to.deep.equal([]);
  expect(injectedNodes(document).map((n) => n.outerHTML), 'nodes created from markup in the page').to.deep.equal([]);
  expect(shownText(el), `${el.localName} shows the markup as text`).to.contain(payload);
  expect(window.__lmwXss, 'injected handler ran').to.equal(undefined);
}

describe('XSS: markup is shown as text by every element', function () {
  this.timeout(30_000);
  let url: string;
  before(async () => {
    url = (await serverInfo()).url;
  });
  afterEach(() => {
    for (const el of mounted.splice(0)) el.remove();
    delete window.__lmwXss;
  });

  for (const payload of PAYLOADS) {
    it(`a symbol or interval with markup is rejected, the rejection shown as text: ${payload}`, async () => {
      const bySymbol = mount('live-price-chart', { src: url, symbol: payload, interval: '1m' });
      const byInterval = mount('live-price-chart', { src: url, symbol: 'BTC-USD', interval: payload });
      for (const el of [bySymbol, byInterval]) {
        await el.updateComplete;
        expect(el.state).to.equal('error');
        expect(el.error?.code).to.equal('bad_attribute');
        await expectShownAsText(el, payload);
      }
    });

    it(`an account with markup is rejected, the rejection shown as text: ${payload}`, async () => {
      const el = mount('pnl-summary', { src: url, account: payload });
      await el.updateComplete;
      expect(el.state).to.equal('error');
      await expectShownAsText(el, payload);
    });

    it(`a data URL with markup gives every element an error shown as text: ${payload}`, async () => {
      const src = `javascript:${payload}`;
      for (const tag of TAGS) {
        const el = mount(tag, { src, symbol: 'BTC-USD', account: 'demo' });
        await el.updateComplete;
        expect(el.state, tag).to.equal('error');
        expect(el.error?.code, tag).to.equal('bad_url');
        await expectShownAsText(el, payload);
      }
    });
  }

  it('a server error message with markup is shown as text by the chart and the P&L', async () => {
    const src = uniqueUrl(url, 'xss');
    const stream = getStream(src);
    try {
      const chart = mount('live-price-chart', { src, symbol: 'BTC-USD', interval: '1m' });
      const pnl = mount('pnl-summary', { src, account: 'demo' });
      await waitFor(() => chart.state === 'live' && pnl.state === 'live', 10_000, 'chart and P&L live');
      const [chartPayload, pnlPayload] = PAYLOADS;
      // The server ends a subscription with an error whose message carries markup.
      stream.debug.injectFrame(
        JSON.stringify([
          { op: 'error', code: 'forbidden', topic: 'candles:BTC-USD:1m', message: chartPayload },
          { op: 'error', code: 'forbidden', topic: 'portfolio:demo', message: pnlPayload },
        ]),
      );
      await waitFor(() => chart.state === 'error' && pnl.state === 'error', 5_000, 'both in their error state');
      expect(chart.error).to.deep.equal({ code: 'forbidden', message: chartPayload });
      expect(pnl.error).to.deep.equal({ code: 'forbidden', message: pnlPayload });
      await expectShownAsText(chart, chartPayload!);
      await expectShownAsText(pnl, pnlPayload!);
    } finally {
      stream.close();
    }
  });

  it('a portfolio row whose symbol is markup (valid for the protocol: any string) is shown as text', async () => {
    const src = uniqueUrl(url, 'xss');
    const stream = getStream(src);
    try {
      const pnl = mount('pnl-summary', { src, account: 'demo' }) as PnlSummary;
      await waitFor(() => pnl.state === 'live', 10_000, 'P&L live');
      const payload = PAYLOADS[0]!;
      // Read the state and inject the next update in one task, so no real update slips in between.
      const state = stream.getTopicState<PortfolioSnapshotData>('portfolio:demo')!;
      const totals = state.data.totals;
      const row = { symbol: payload, qty: 1, avgPrice: 1, lastPrice: 1, marketValue: 1, unrealizedPnl: 0, realizedPnl: 0 };
      stream.debug.injectFrame(
        JSON.stringify({
          op: 'update',
          topic: 'portfolio:demo',
          seq: state.seq + 1,
          time: Date.now(),
          data: { positions: [row], removed: [], totals: { ...totals, marketValue: totals.marketValue + 1 } },
        }),
      );
      expect(stream.metrics.badFrames).to.equal(0);
      await waitFor(() => pnl.positions.some((p) => p.symbol === payload), 5_000, 'the row is shown');
      await expectShownAsText(pnl, payload);
      const cells = [...pnl.shadowRoot!.querySelectorAll('tbody tr')].map((tr) => tr.textContent ?? '');
      expect(cells.some((text) => text.includes(payload))).to.equal(true);
    } finally {
      stream.close();
    }
  });
});
