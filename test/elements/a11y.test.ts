/**
 * axe-core in the page on each of the four elements in every state it can be in:
 * connecting, live, polling (stale data), error, and the badge with its panel open, in
 * both themes (issue 16).
 */
import { fixture, html } from '@open-wc/testing';
import '../../src/elements/connection-badge/connection-badge.js';
import '../../src/elements/live-price-chart/live-price-chart.js';
import '../../src/elements/pnl-summary/pnl-summary.js';
import '../../src/elements/ws-metrics-panel/ws-metrics-panel.js';
import type { ConnectionBadge } from '../../src/elements/connection-badge/connection-badge.js';
import type { Theme } from '../../src/elements/base/market-element.js';
import { getStream } from '../../src/stream/index.js';
import { expectNoAxeViolations } from '../support/browser/axe.js';
import { refuseUpgrades, serverInfo, waitFor } from '../support/browser/server.js';
import { waitForState } from './helpers.js';

type Widget = HTMLElement & { state: string; theme: Theme; updateComplete: Promise<boolean> };

let url: string;
before(async () => {
  url = (await serverInfo()).url;
});
afterEach(() => refuseUpgrades(0));

/** The four elements on one stream, the chart in a sized box. */
async function dashboard(src: string | undefined, { symbol = 'BTC-USD', account = 'demo' } = {}) {
  const host = await fixture<HTMLDivElement>(html`<div>
    <connection-badge .src=${src}></connection-badge>
    <div style="width:640px;height:320px"><live-price-chart style="height:100%" .src=${src} symbol=${symbol} interval="1s"></live-price-chart></div>
    <ws-metrics-panel .src=${src}></ws-metrics-panel>
    <pnl-summary .src=${src} account=${account}></pnl-summary>
  </div>`);
  const get = <T extends Widget>(tag: string) => host.querySelector(tag) as unknown as T;
  return {
    badge: get<ConnectionBadge & Widget>('connection-badge'),
    chart: get<Widget>('live-price-chart'),
    metrics: get<Widget>('ws-metrics-panel'),
    pnl: get<Widget>('pnl-summary'),
    all(): Widget[] {
      return [this.badge, this.chart, this.metrics, this.pnl];
    },
  };
}
type Dashboard = Awaited<ReturnType<typeof dashboard>>;

async function openPanel(badge: ConnectionBadge) {
  const toggle = badge.shadowRoot!.querySelector<HTMLButtonElement>('button[aria-expanded]')!;
  if (toggle.getAttribute('aria-expanded') !== 'true') toggle.click();
  await badge.updateComplete;
}

/** axe on every element, then on the badge with its panel open, in each theme. */
async function checkAll(d: Dashboard, label: string, themes: Theme[] = ['light', 'dark']) {
  for (const theme of themes) {
    for (const el of d.all()) {
      el.theme = theme;
      await el.updateComplete;
    }
    for (const el of d.all()) await expectNoAxeViolations(el, `<${el.localName}> ${label} (${el.state}, ${theme})`);
    await openPanel(d.badge);
    await expectNoAxeViolations(d.badge, `<connection-badge> ${label} with details open (${theme})`);
  }
}

describe('axe finds nothing', () => {
  it('(the check sees into shadow roots: an unlabelled button and faint text there fail it)', async () => {
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    const shadow = host.attachShadow({ mode: 'open' });
    const button = document.createElement('button');
    const faint = document.createElement('p');
    faint.textContent = 'faint';
    faint.style.cssText = 'color:#ccc;background:#fff';
    shadow.append(button, faint);
    let message = '';
    await expectNoAxeViolations(host).catch((error: Error) => (message = error.message));
    for (const rule of ['button-name', 'color-contrast']) if (!message.includes(rule)) throw new Error(`axe missed ${rule}: ${message}`);
  });

  it('while connecting (skeletons, "Connecting…")', async () => {
    await refuseUpgrades(60_000);
    const src = `${url}?a11y-connecting`;
    const stream = getStream(src, { fallbackAfter: 1_000 }); // stays connecting: no polling
    try {
      const d = await dashboard(src);
      await waitFor(() => stream.state === 'connecting', 5_000, 'connecting');
      await waitForState(d.pnl, 'loading');
      await checkAll(d, 'connecting');
    } finally {
      stream.close();
    }
  });

  it('live', async () => {
    const d = await dashboard(url);
    for (const el of [d.chart, d.pnl, d.metrics]) await waitForState(el, 'live');
    await waitForState(d.badge, 'open');
    await checkAll(d, 'live');
  });

  it('while polling (stale data with a "Polling" marker)', async () => {
    await refuseUpgrades(60_000);
    const src = `${url}?a11y-polling`;
    const stream = getStream(src, { fallbackAfter: 1, pollIntervalMs: 400 });
    try {
      const d = await dashboard(src);
      await waitForState(d.badge, 'polling');
      for (const el of [d.chart, d.pnl, d.metrics]) await waitForState(el, 'stale');
      await checkAll(d, 'polling');
    } finally {
      stream.close();
    }
  });

  it('in error: no data source, bad attributes', async () => {
    const none = await dashboard(undefined);
    for (const el of none.all()) await waitForState(el, 'error');
    await checkAll(none, 'without a data source');
    const bad = await dashboard(url, { symbol: 'not a symbol!', account: 'no such account!' });
    for (const el of [bad.chart, bad.pnl]) await waitForState(el, 'error');
    await checkAll(bad, 'with bad attributes', ['light', 'dark']);
  });
});
