/**
 * The demo page (demo/index.html with the built bundle, as `npm start` serves it), loaded
 * in a same-origin iframe from the test server and pointed at the reference server with
 * `?src=`: axe finds nothing with a full event log, in both themes, and its times are
 * 24-hour like the chart axes. Needs dist/live-market-widgets.js (`npm test` builds it).
 */
import { expect } from '@open-wc/testing';
import { expectNoAxeViolations } from '../support/browser/axe.js';
import { dropConnectionsFor, refuseUpgrades, serverInfo, waitFor } from '../support/browser/server.js';

type Frame = Window & typeof globalThis;
type Widget = HTMLElement & { state: string };

let frame: HTMLIFrameElement | undefined;
afterEach(() => frame?.remove());

async function openDemo(theme: 'light' | 'dark') {
  const { url } = await serverInfo();
  frame = document.createElement('iframe');
  frame.style.cssText = 'width:1440px;height:1400px;border:0';
  frame.src = `/demo/index.html?theme=${theme}&src=${encodeURIComponent(url)}`;
  document.body.append(frame);
  await new Promise((resolve) => frame!.addEventListener('load', resolve, { once: true }));
  const win = frame.contentWindow as Frame;
  const doc = frame.contentDocument!;
  const widgets = () => [...doc.querySelectorAll<Widget>('live-price-chart, ws-metrics-panel, pnl-summary')];
  await waitFor(() => win.customElements.get('pnl-summary'), 10_000, 'the bundle');
  await waitFor(() => widgets().length > 0 && widgets().every((el) => el.state === 'live'), 15_000, 'every widget live');
  return { win, doc, widgets };
}

describe('demo page', () => {
  before(async () => {
    const response = await fetch('/dist/live-market-widgets.js', { method: 'HEAD' });
    if (!response.ok) throw new Error('dist/live-market-widgets.js is missing: run `npm run build` before this test');
  });

  it('has no axe violations with a full event log, in light and dark, and logs 24-hour times', async function () {
    this.timeout(90_000);
    for (const theme of ['light', 'dark'] as const) {
      const { doc, widgets } = await openDemo(theme);
      const log = doc.querySelector('#event-log')!;
      // Drops until the log is full (it keeps 40): every widget goes stale and live again.
      while (log.children.length < 40) {
        await dropConnectionsFor(400);
        await waitFor(() => widgets().every((el) => el.state === 'live'), 15_000, 'live again');
      }
      // An error entry too (its red text is checked for contrast like the rest).
      const select = doc.querySelector<HTMLSelectElement>('#symbol')!;
      select.value = 'NOPE';
      select.dispatchEvent(new Event('change', { bubbles: true }));
      await waitFor(() => log.querySelector('li.error'), 10_000, 'an error entry');
      expect(log.children.length).to.equal(40);
      for (const time of log.querySelectorAll('time')) expect(time.textContent).to.match(/^\d{2}:\d{2}:\d{2}$/);
      // The badge's panel open as well.
      const badge = doc.querySelector('connection-badge')!;
      badge.shadowRoot!.querySelector<HTMLButtonElement>('button[aria-expanded]')!.click();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expectNoAxeViolations(doc, `the demo page (${theme})`);
      frame!.remove();
      frame = undefined;
    }
  });

  it('shows the published kinds next to the four elements: fills from events:fills, the state:market document', async function () {
    this.timeout(30_000);
    const { doc } = await openDemo('dark');
    const fills = doc.querySelector('#fills')!;
    await waitFor(() => fills.children.length > 0, 20_000, 'a fill in the list');
    expect(fills.textContent).to.match(/trade_executed (buy|sell) [\d.]+ [A-Z-]+ @ [\d.]+/);
    expect(fills.querySelector('img, script')).to.equal(null);
    const rows = await waitFor(() => {
      const found = [...doc.querySelectorAll('#market tr')];
      return found.length > 0 ? found : undefined;
    }, 10_000, 'market rows');
    const symbols = rows.map((row) => row.querySelector('td')!.textContent);
    expect(symbols.every((symbol) => /^[A-Z-]+$/.test(symbol ?? ''))).to.equal(true);
    expect(doc.querySelector('#market-status')!.textContent).to.match(/^seq \d+$/);
  });

  it('offers a button for every fault the server can inject, each with a line saying what it does', async () => {
    const { doc } = await openDemo('dark');
    const buttons = [...doc.querySelectorAll<HTMLButtonElement>('button[data-fault]')];
    expect(buttons.map((b) => b.dataset.fault)).to.have.members(['drop', 'refuse', 'stall', 'silence', 'gap', 'restart']);
    for (const button of buttons) {
      const line = doc.getElementById(button.getAttribute('aria-describedby') ?? '');
      expect(line?.textContent?.trim(), button.textContent!).to.have.length.greaterThan(20);
    }
  });

  it('"Refuse WebSockets 10 s" is felt at once: the open socket is dropped too', async () => {
    const { doc } = await openDemo('dark');
    const badge = doc.querySelector<Widget>('connection-badge')!;
    await waitFor(() => badge.state === 'open', 10_000, 'badge open');
    try {
      doc.querySelector<HTMLButtonElement>('button[data-fault="refuse"]')!.click();
      await waitFor(() => badge.state !== 'open', 3_000, 'the badge to leave "Live"');
    } finally {
      await refuseUpgrades(0);
    }
  });
});
