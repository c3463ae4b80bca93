/**
 * The elements in real layouts (issue 16): narrow cards, integrator CSS on the host, grids,
 * flex rows and positioned boxes; plus the `sort-by` values and the rounded `lmw-pnl` detail.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import { nothing, type TemplateResult } from 'lit';
import '../../src/elements/pnl-summary/pnl-summary.js';
import '../../src/elements/live-price-chart/live-price-chart.js';
import type { PnlSummary } from '../../src/elements/pnl-summary/pnl-summary.js';
import type { LivePriceChart } from '../../src/elements/live-price-chart/live-price-chart.js';
import type { PnlEventDetail } from '../../src/events/index.js';
import { dropConnectionsFor, serverInfo, waitFor } from '../support/browser/server.js';
import { nextFrame, record, sleep, waitForState } from './helpers.js';

let url: string;
before(async () => {
  url = (await serverInfo()).url;
});
after(() => setViewport({ width: 800, height: 600 }));

/** Every element of `root` matching `selector` whose content is wider than its box. */
function overflowing(root: ParentNode, selector: string): string[] {
  return [...root.querySelectorAll<HTMLElement>(selector)]
    .filter((el) => el.scrollWidth > el.clientWidth)
    .map((el) => `${el.localName}.${el.className} "${el.textContent!.trim()}" ${el.scrollWidth} > ${el.clientWidth}`);
}

/** How many line boxes the text of `el` takes. */
function lines(el: Element): number {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
}

async function livePnl(width: number, attrs: { sortBy?: string; sortDirection?: string } = {}): Promise<PnlSummary> {
  const host = await fixture<HTMLDivElement>(html`<div style="width:${width}px">
    <pnl-summary
      .src=${url}
      account="demo"
      sort-by=${attrs.sortBy ?? nothing}
      sort-direction=${attrs.sortDirection ?? nothing}
    ></pnl-summary>
  </div>`);
  const el = host.querySelector('pnl-summary')!;
  await waitForState(el, 'live');
  await waitFor(() => el.shadowRoot!.querySelectorAll('tbody td.symbol').length > 0 || undefined, 10_000, 'rows');
  await nextFrame();
  return el;
}

describe('layout: <pnl-summary> at every width', () => {
  before(() => setViewport({ width: 400, height: 900 }));

  for (const width of [280, 320, 390]) {
    it(`at ${width} px no cell, header or tile cuts its text, and no symbol breaks`, async () => {
      const el = await livePnl(width);
      const root = el.shadowRoot!;
      expect(el.getBoundingClientRect().width).to.equal(width);
      expect(overflowing(root, 'td, th button, dd, dt')).to.deep.equal([]);
      for (const td of root.querySelectorAll('tbody td.symbol')) expect(lines(td), td.textContent!).to.equal(1);
      for (const th of root.querySelectorAll('th')) expect(lines(th.querySelector('button')!), th.textContent!).to.equal(1);
      // Tiles stay inside the element.
      const base = root.querySelector('[part=base]')!.getBoundingClientRect();
      for (const dd of root.querySelectorAll('dd')) expect(dd.getBoundingClientRect().right).to.be.at.most(base.right);
    });
  }

  it('scrolls the table sideways at 320 px with the symbol column held in place', async () => {
    const el = await livePnl(320);
    const wrap = el.shadowRoot!.querySelector<HTMLElement>('.table-wrap')!;
    expect(wrap.scrollWidth).to.be.greaterThan(wrap.clientWidth);
    const symbol = el.shadowRoot!.querySelector('tbody td.symbol')!;
    const before = symbol.getBoundingClientRect().left;
    wrap.scrollLeft = 120;
    await nextFrame();
    expect(wrap.scrollLeft).to.be.greaterThan(0);
    expect(symbol.getBoundingClientRect().left).to.equal(before);
  });

  it('shows every column without scrolling at 1440 px', async () => {
    await setViewport({ width: 1500, height: 900 });
    try {
      const el = await livePnl(1440);
      const wrap = el.shadowRoot!.querySelector<HTMLElement>('.table-wrap')!;
      expect(wrap.scrollWidth).to.be.at.most(wrap.clientWidth);
      expect(overflowing(el.shadowRoot!, 'td, th button, dd, dt')).to.deep.equal([]);
    } finally {
      await setViewport({ width: 400, height: 900 });
    }
  });
});

/** A chart inside `layout`, and its canvas size once live. */
async function chartIn(layout: (chart: TemplateResult) => TemplateResult) {
  const chart = html`<live-price-chart .src=${url} symbol="BTC-USD" interval="1s"></live-price-chart>`;
  const host = await fixture<HTMLElement>(html`<div>${layout(chart)}</div>`);
  const el = host.querySelector<LivePriceChart>('live-price-chart')!;
  await waitForState(el, 'live');
  const canvas = await waitFor(() => el.shadowRoot!.querySelector<HTMLCanvasElement>('[part=chart] canvas'), 10_000, 'canvas');
  await waitFor(() => canvas.getBoundingClientRect().height > 0 || undefined, 3_000, 'a canvas taller than 0').catch(() => {});
  await nextFrame();
  const rect = el.shadowRoot!.querySelector('[part=chart]')!.getBoundingClientRect();
  return { el, canvas: canvas.getBoundingClientRect(), chart: rect };
}

describe('layout: <live-price-chart> draws whatever the page does to its host', () => {
  before(() => setViewport({ width: 1000, height: 800 }));

  const layouts: Record<string, (chart: TemplateResult) => TemplateResult> = {
    'display:block on the host': (c) => html`<style>
        .blocky live-price-chart {
          display: block;
        }
      </style>
      <div class="blocky">${c}</div>`,
    'display:flex on the host': (c) => html`<style>
        .flexy live-price-chart {
          display: flex;
        }
      </style>
      <div class="flexy">${c}</div>`,
    'a CSS grid cell': (c) => html`<div style="display:grid;grid-template-columns:1fr 1fr;gap:8px;width:800px">
      ${c}
      <div>neighbour</div>
    </div>`,
    'an absolutely positioned box': (c) => html`<div style="position:relative;height:420px">
      <div style="position:absolute;top:0;left:0">${c}</div>
    </div>`,
    'a flex row': (c) => html`<div style="display:flex;gap:8px;width:800px;align-items:flex-start">
      ${c}
      <div>neighbour</div>
    </div>`,
  };
  for (const [name, layout] of Object.entries(layouts)) {
    it(`in ${name}`, async () => {
      const { canvas, chart } = await chartIn(layout);
      expect(canvas.height, 'canvas height').to.be.greaterThan(100);
      expect(canvas.width, 'canvas width').to.be.greaterThan(200);
      expect(chart.height).to.be.greaterThan(100);
    });
  }

  it('keeps the Reconnecting… marker on one line over a narrow chart, without resizing it', async () => {
    const { el, chart } = await chartIn((c) => html`<div style="width:280px">${c}</div>`);
    const header = el.shadowRoot!.querySelector('[part=header]')!.getBoundingClientRect().height;
    await dropConnectionsFor(1500);
    await waitForState(el, 'stale');
    await el.updateComplete;
    const notice = el.shadowRoot!.querySelector('[part=notice]')!;
    expect(notice.textContent).to.match(/Reconnecting|Connecting|Polling/);
    expect(lines(notice)).to.equal(1);
    expect(el.shadowRoot!.querySelector('[part=header]')!.getBoundingClientRect().height).to.equal(header);
    expect(el.shadowRoot!.querySelector('[part=chart]')!.getBoundingClientRect().height).to.equal(chart.height);
    await waitForState(el, 'live', 15_000);
  });

  it("shows the chart library's attribution as a labelled link under the chart, not over it", async () => {
    const { el, chart } = await chartIn((c) => html`<div style="width:400px">${c}</div>`);
    const root = el.shadowRoot!;
    // Counts, not nodes: a failing assertion on a DOM node stalls the runner's error report.
    expect(root.querySelectorAll('#tv-attr-logo').length, "the library's unlabelled logo link").to.equal(0);
    const links = [...root.querySelectorAll('a')];
    expect(links.length).to.equal(1);
    const link = links[0]!;
    expect(link.href).to.match(/^https:\/\/www\.tradingview\.com\//);
    expect(link.textContent!.trim()).to.equal('Chart by TradingView');
    expect(link.getAttribute('aria-label')).to.contain('Chart by TradingView');
    expect(link.rel).to.contain('noopener');
    const box = link.getBoundingClientRect();
    expect(box.height).to.be.greaterThan(0);
    expect(box.top).to.be.at.least(chart.bottom);
    expect(box.bottom).to.be.at.most(el.getBoundingClientRect().bottom);
  });
});

describe('sort-by values', () => {
  const sortedBy = (el: PnlSummary, key: 'unrealizedPnl' | 'marketValue', sign: 1 | -1) =>
    el.positions.every((row, i, rows) => i === 0 || (row[key] - rows[i - 1]![key]) * sign >= 0);

  it('takes kebab-case values, and the old camelCase ones as aliases', async () => {
    for (const value of ['unrealized-pnl', 'unrealizedPnl']) {
      const el = await livePnl(900, { sortBy: value, sortDirection: 'desc' });
      expect(sortedBy(el, 'unrealizedPnl', -1), value).to.equal(true);
      const sorted = el.shadowRoot!.querySelector('th[aria-sort]')!;
      expect(sorted.textContent).to.contain('Unrealized');
      expect(sorted.getAttribute('aria-sort')).to.equal('descending');
    }
  });

  it('a header click sets a kebab-case value', async () => {
    const el = await livePnl(900);
    const header = [...el.shadowRoot!.querySelectorAll('th')].find((th) => th.textContent!.includes('Market value'))!;
    header.querySelector('button')!.click();
    await el.updateComplete;
    expect(el.sortBy).to.equal('market-value');
    expect(sortedBy(el, 'marketValue', -1)).to.equal(true);
  });

  it('warns once per bad value and sorts by symbol', async () => {
    const warnings: unknown[][] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      const el = await livePnl(900, { sortBy: 'pnl' });
      const symbols = el.positions.map((row) => row.symbol);
      expect(symbols).to.deep.equal([...symbols].sort((a, b) => a.localeCompare(b)));
      expect(el.shadowRoot!.querySelector('th[aria-sort]')!.textContent).to.contain('Symbol');
      el.setAttribute('sort-by', 'qty');
      await el.updateComplete;
      el.setAttribute('sort-by', 'pnl');
      await el.updateComplete;
      const ours = () => warnings.filter((args) => String(args[0]).includes('sort-by'));
      expect(ours()).to.have.length(1);
      expect(String(ours()[0]![0])).to.contain('"pnl"').and.contain('unrealized-pnl');
      el.setAttribute('sort-by', 'Qty');
      await el.updateComplete;
      expect(ours()).to.have.length(2);
    } finally {
      console.warn = original;
    }
  });
});

describe('lmw-pnl detail', () => {
  it('carries money rounded like the display (no float noise)', async () => {
    const host = await fixture<HTMLDivElement>(html`<div style="width:600px"></div>`);
    const el = document.createElement('pnl-summary');
    const events = record<PnlEventDetail>(el, 'lmw-pnl');
    el.src = url;
    host.append(el);
    await waitForState(el, 'live');
    await waitFor(() => events.events.length >= 20 || undefined, 15_000, '20 lmw-pnl events');
    await sleep(50);
    events.stop();
    const noisy = events.events
      .flatMap((event) => Object.values(event.detail.totals))
      .filter((value) => value !== Number(value.toFixed(2)));
    expect(noisy).to.deep.equal([]);
    expect(el.summary, "summary is the last event's totals").to.deep.equal(events.events.at(-1)!.detail.totals);
  });
});
