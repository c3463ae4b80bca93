import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import '../../src/elements/pnl-summary/pnl-summary.js';
import { FLASH_MS, DATA_RENDER_INTERVAL_MS, TABLE_REFRESH_MS, type PnlSummary } from '../../src/elements/pnl-summary/pnl-summary.js';
import { getFormatters } from '../../src/elements/base/format.js';
import { choosePrecision, getPriceFormat } from '../../src/elements/base/price-format.js';
import type { PortfolioSnapshotData, PortfolioTotals } from '../../src/protocol/index.js';
import { getStream } from '../../src/stream/index.js';
import { fetchSnapshot, publishHttp, serverInfo, waitFor, dropConnectionsFor } from '../support/browser/server.js';
import { XSS, nextFrame, record, sleep, waitForState } from './helpers.js';
import { expectNoAxeViolations } from '../support/browser/axe.js';

let url: string;
before(async () => {
  url = (await serverInfo()).url;
});

const pnl = (account = 'demo', extra: { currency?: string; locale?: string } = {}) =>
  fixture<PnlSummary>(
    html`<pnl-summary .src=${url} account=${account} .currency=${extra.currency} .locale=${extra.locale}></pnl-summary>`,
  );
const root = (el: PnlSummary) => el.shadowRoot!;
const text = (el: PnlSummary) => root(el).textContent!.replace(/\s+/g, ' ');
const headers = (el: PnlSummary) => [...root(el).querySelectorAll('th')];
const symbolsShown = (el: PnlSummary) => [...root(el).querySelectorAll('tbody td.symbol')].map((td) => td.textContent!.trim());

/** Waits until the element shows exactly the server's portfolio at the same seq. */
async function expectMatchesServer(el: PnlSummary) {
  const stream = getStream(url);
  await waitFor(
    async () => {
      const snapshot = await fetchSnapshot<PortfolioSnapshotData>('portfolio:demo');
      await nextFrame();
      await nextFrame();
      if (stream.getTopicState('portfolio:demo')?.seq !== snapshot.seq) return false;
      const bySymbol = (a: { symbol: string }, b: { symbol: string }) => a.symbol.localeCompare(b.symbol);
      return (
        JSON.stringify(el.summary) === JSON.stringify(snapshot.data.totals) &&
        JSON.stringify([...el.positions].sort(bySymbol)) === JSON.stringify([...snapshot.data.positions].sort(bySymbol))
      );
    },
    15_000,
    'the portfolio equal to GET /api/snapshot',
  );
}

describe('<pnl-summary>', () => {
  it('shows a skeleton, then totals and a real positions table matching the server', async () => {
    const el = await pnl();
    if (el.state === 'loading') expect(root(el).querySelector('.skeleton')).to.exist;
    await waitForState(el, 'live');
    const table = root(el).querySelector('table')!;
    expect(table.querySelector('caption')!.textContent).to.contain('demo');
    expect(headers(el).map((th) => th.getAttribute('scope'))).to.deep.equal(Array(7).fill('col'));
    expect(headers(el).map((th) => th.textContent!.trim().replace(/\s*[↑↓]$/, ''))).to.deep.equal([
      'Symbol', 'Qty', 'Avg price', 'Last', 'Market value', 'Unrealized', 'Realized',
    ]);
    expect(el.positions.length).to.be.greaterThan(0);
    expect(root(el).querySelectorAll('tbody tr').length).to.equal(el.positions.length);
    expect(Object.keys(el.summary!)).to.deep.equal(['marketValue', 'unrealizedPnl', 'realizedPnl', 'totalPnl']);
    // The totals render on the data cadence: wait for the latest figure to be shown, then check its colour.
    const total = root(el).querySelectorAll('dd')[3]!;
    const sign = (n: number) => (n > 0 ? 'up' : n < 0 ? 'down' : '');
    await waitFor(
      () => total.textContent!.trim() === getFormatters(el.resolvedLocale).money(el.summary!.totalPnl, 'USD') || undefined,
      5_000,
      'the latest total P&L shown',
    );
    expect(total.className).to.equal(sign(el.summary!.totalPnl));
    await expectMatchesServer(el);
  });

  it('sorts by clicking a header, toggling direction, with aria-sort', async () => {
    const el = await pnl();
    await waitForState(el, 'live');
    const symbolHeader = headers(el)[0]!;
    expect(symbolHeader.getAttribute('aria-sort')).to.equal('ascending');
    const shown = symbolsShown(el);
    expect(shown).to.deep.equal([...shown].sort((a, b) => a.localeCompare(b)));

    symbolHeader.querySelector('button')!.click();
    await el.updateComplete;
    expect(symbolHeader.getAttribute('aria-sort')).to.equal('descending');
    expect(symbolsShown(el)).to.deep.equal([...shown].sort((a, b) => b.localeCompare(a)));

    const valueHeader = headers(el)[4]!;
    valueHeader.querySelector('button')!.click();
    await el.updateComplete;
    expect(valueHeader.getAttribute('aria-sort')).to.equal('descending');
    expect(symbolHeader.hasAttribute('aria-sort')).to.equal(false);
    const values = el.positions.map((p) => p.marketValue);
    expect(values).to.deep.equal([...values].sort((a, b) => b - a));
    expect(symbolsShown(el)).to.deep.equal(el.positions.map((p) => p.symbol));
    valueHeader.querySelector('button')!.click();
    await el.updateComplete;
    expect(valueHeader.getAttribute('aria-sort')).to.equal('ascending');
  });

  it('keeps row elements by symbol and flashes only the cells that changed', async () => {
    const el = await pnl();
    await waitForState(el, 'live');
    const rowFor = (symbol: string) =>
      [...root(el).querySelectorAll('tbody tr')].find((tr) => tr.querySelector('td.symbol')!.textContent!.trim() === symbol)!;
    const symbol = el.positions[0]!.symbol;
    const row = rowFor(symbol);
    const lastCell = row.children[3]!;
    const before = lastCell.textContent;
    await waitFor(() => lastCell.textContent !== before, 15_000, 'a price change in the first row');
    expect(rowFor(symbol)).to.equal(row); // same <tr>, updated in place
    const isLit = (td: Element) => /\bflash-(up|down)\b/.test(td.className);
    await waitFor(() => [...root(el).querySelectorAll('td')].some(isLit) || undefined, 15_000, 'a flashed cell');
    const cells = [...root(el).querySelectorAll('td')];
    const flashed = cells.filter(isLit);
    expect(flashed.every((td) => !td.classList.contains('symbol'))).to.equal(true);
    // The flash is a background tint, switched by the renders (no CSS animation).
    const style = getComputedStyle(flashed[0]!);
    expect(style.backgroundColor).not.to.equal('rgba(0, 0, 0, 0)');
    expect(style.animationName).to.equal('none');
    const dark = cells.find((td) => td.classList.contains('num') && !isLit(td))!;
    expect(getComputedStyle(dark).backgroundColor).to.equal('rgba(0, 0, 0, 0)');
  });

  it('re-renders each row at most every DATA_RENDER_INTERVAL_MS, in place, and shows the latest data', async () => {
    const el = await pnl();
    await waitForState(el, 'live');
    const tbody = root(el).querySelector('tbody')!;
    const rowsBefore = [...tbody.querySelectorAll('tr')];
    const renders = new Map<Element, number[]>();
    const observer = new MutationObserver((records) => {
      const now = performance.now();
      const rows = new Set(records.map((r) => (r.target instanceof Element ? r.target : r.target.parentElement)?.closest('tr')));
      for (const tr of rows) if (tr) renders.set(tr, [...(renders.get(tr) ?? []), now]);
    });
    // New figures are text changes (a tint going off is a class change, on its own clock).
    observer.observe(tbody, { subtree: true, characterData: true });
    await waitFor(() => [...renders.values()].some((times) => times.length >= 4), 15_000, 'a row rendered four times');
    observer.disconnect();
    // Timers never fire early; a few ms of slack for when the observer callback runs.
    for (const times of renders.values())
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).to.be.at.least(DATA_RENDER_INTERVAL_MS - 20);
    // The rows are the same <tr> elements, updated in place.
    expect([...tbody.querySelectorAll('tr')]).to.deep.equal(rowsBefore);

    // With the data frozen, the last changes still reach every row (trailing renders).
    getStream(url).pause();
    await waitForState(el, 'stale');
    const shown = () => [...tbody.querySelectorAll('tr')].map((tr) => [tr.children[0]!.textContent!.trim(), tr.children[3]!.textContent!.trim()]);
    const price = (p: { precision?: number; lastPrice: number }) =>
      getPriceFormat(el.resolvedLocale, choosePrecision(undefined, p.precision, p.lastPrice)).price(p.lastPrice);
    const expected = el.positions.map((p) => [p.symbol, price(p)]);
    await waitFor(() => JSON.stringify(shown()) === JSON.stringify(expected) || undefined, 3_000, 'the table showing the latest data');
    getStream(url).resume();
    await waitForState(el, 'live');
  });

  it('refreshes the table from live data in batches, at most every TABLE_REFRESH_MS', async () => {
    const el = await pnl();
    await waitForState(el, 'live');
    // One observer callback per render that changed figures (Lit commits a render synchronously).
    const refreshes: number[] = [];
    const observer = new MutationObserver(() => refreshes.push(performance.now()));
    observer.observe(root(el).querySelector('tbody')!, { subtree: true, characterData: true });
    await waitFor(() => refreshes.length >= 6 || undefined, 15_000, 'six table refreshes');
    observer.disconnect();
    for (let i = 1; i < refreshes.length; i++) expect(refreshes[i]! - refreshes[i - 1]!).to.be.at.least(TABLE_REFRESH_MS - 20);
  });

  it('skips rendering its table far out of view while the rows stay current in the DOM', async () => {
    // Three viewports down: the browser skips the table's style, layout and paint there.
    const host = await fixture<HTMLDivElement>(
      html`<div style="margin-top:${window.innerHeight * 3}px"><pnl-summary .src=${url} account="demo"></pnl-summary></div>`,
    );
    const el = host.querySelector('pnl-summary')!;
    const wrap = () => root(el).querySelector<HTMLElement>('.table-wrap');
    const states: boolean[] = [];
    await waitFor(wrap, 10_000, 'the table');
    wrap()!.addEventListener('contentvisibilityautostatechange', (e) => states.push((e as Event & { skipped: boolean }).skipped));
    await waitForState(el, 'live');
    await waitFor(() => states.at(-1) === true, 5_000, 'the table skipped out of view');
    // The rows keep following the data while skipped (DOM and accessibility tree, not pixels).
    const before = root(el).querySelector('tbody')!.textContent;
    await waitFor(() => root(el).querySelector('tbody')!.textContent !== before, 10_000, 'a row refreshed while skipped');
    expect(states.at(-1)).to.equal(true);
    await expectMatchesServer(el);
    host.style.marginTop = '0px';
    await waitFor(() => states.at(-1) === false, 5_000, 'the table rendered again in view');
    expect(wrap()!.getBoundingClientRect().height).to.be.greaterThan(0);
  });

  it('flashes a cell at most once per FLASH_MS and switches the tint off again', async () => {
    const el = await pnl();
    await waitForState(el, 'live');
    const starts = new Map<Element, number[]>();
    let litWithoutChange = 0;
    const observer = new MutationObserver((records) => {
      const now = performance.now();
      // Lit commits a cell's text and class in the same render: a cell lights only with a new value.
      const changedText = new Set<Node | null>(records.filter((r) => r.type === 'characterData').map((r) => r.target.parentElement));
      for (const r of records) {
        if (r.type !== 'attributes') continue;
        const td = r.target as Element;
        const lit = /\bflash-(up|down)\b/.test(td.className);
        const wasLit = /\bflash-(up|down)\b/.test(r.oldValue ?? '');
        if (lit && !wasLit) {
          starts.set(td, [...(starts.get(td) ?? []), now]);
          if (!changedText.has(td)) litWithoutChange++;
        }
      }
    });
    observer.observe(root(el).querySelector('tbody')!, {
      subtree: true,
      attributes: true,
      attributeFilter: ['class'],
      attributeOldValue: true,
      characterData: true,
    });
    await waitFor(() => [...starts.values()].some((times) => times.length >= 3), 15_000, 'a cell that flashed three times');
    observer.disconnect();
    expect(litWithoutChange).to.equal(0);
    for (const times of starts.values())
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).to.be.at.least(FLASH_MS - 20);
  });

  it('does not show the flash under prefers-reduced-motion', async () => {
    await emulateMedia({ reducedMotion: 'reduce' });
    try {
      const el = await pnl();
      await waitForState(el, 'live');
      const flashed = await waitFor(() => root(el).querySelector('td[class*="flash-"]'), 15_000, 'a flashed cell');
      expect(getComputedStyle(flashed).backgroundColor).to.equal('rgba(0, 0, 0, 0)');
      expect(getComputedStyle(flashed).animationName).to.equal('none');
    } finally {
      await emulateMedia({ reducedMotion: 'no-preference' });
    }
  });

  it('fires lmw-pnl when the totals change from data, never on property sets', async () => {
    const el = await pnl();
    await waitForState(el, 'live');
    const events = record<{ totals: PortfolioTotals }>(el, 'lmw-pnl');
    await waitFor(() => events.events.length >= 2, 15_000, 'two lmw-pnl events');
    const last = events.events.at(-1)!;
    expect(last.bubbles && last.composed).to.equal(true);
    expect(last.detail.totals).to.have.keys(['marketValue', 'unrealizedPnl', 'realizedPnl', 'totalPnl']);
    for (let i = 1; i < events.events.length; i++)
      expect(events.events[i]!.detail.totals).not.to.deep.equal(events.events[i - 1]!.detail.totals);
    getStream(url).pause();
    await waitForState(el, 'stale');
    events.events.length = 0;
    el.currency = 'EUR';
    el.locale = 'fr-FR';
    el.sortBy = 'qty';
    el.theme = 'dark';
    await el.updateComplete;
    await sleep(300);
    expect(events.events).to.have.length(0);
    expect(text(el)).to.contain('€');
    getStream(url).resume();
    await waitForState(el, 'live');
  });

  it('formats with locale and currency override', async () => {
    const el = await pnl('demo', { currency: 'EUR', locale: 'de-DE' });
    await waitForState(el, 'live');
    const marketValue = root(el).querySelector('dd')!.textContent!;
    expect(marketValue).to.contain('€');
    expect(marketValue).to.match(/\d\.\d{3},\d{2}/); // de-DE grouping and decimals
  });

  it('takes a new account at run time: an unpublished one waits (loading, no error), then live again for demo', async () => {
    const el = await pnl();
    await waitForState(el, 'live');
    const errors = record<{ code: string; message: string }>(el, 'lmw-error');
    el.account = 'nobody';
    await waitForState(el, 'loading');
    await waitFor(() => text(el).includes('Waiting for account nobody to be published'), 5000, 'the waiting notice');
    expect(el.summary).to.equal(null);
    expect(errors.events).to.have.length(0);
    el.account = 'demo';
    await waitForState(el, 'live');
    await expectMatchesServer(el);
  });

  it('shows a published account: loading until its first publish, then its rows and totals; an empty account says so', async () => {
    const account = `acme-${Math.random().toString(36).slice(2, 8)}`;
    const el = await pnl(account);
    const errors = record<{ code: string; message: string }>(el, 'lmw-error');
    await waitFor(() => text(el).includes(`Waiting for account ${account}`), 5000, 'the waiting notice');
    expect(el.state).to.equal('loading');
    await expectNoAxeViolations(el, '<pnl-summary> waiting for its account');
    const posted = await publishHttp(`/api/portfolio/${account}`, {
      currency: 'EUR',
      positions: [
        { symbol: 'ZZZ-1', qty: 3, avgPrice: 10, lastPrice: 12.5, realizedPnl: 1 },
        { symbol: 'ZZZ-2', qty: 1, avgPrice: 100, lastPrice: 90 },
      ],
    });
    expect(posted.status).to.equal(200);
    await waitForState(el, 'live', 8000);
    expect(errors.events).to.have.length(0);
    const snapshot = await fetchSnapshot<PortfolioSnapshotData>(`portfolio:${account}`);
    await waitFor(() => JSON.stringify(el.summary) === JSON.stringify(snapshot.data.totals), 5000, 'the published totals');
    expect(el.summary).to.deep.equal({ marketValue: 127.5, unrealizedPnl: -2.5, realizedPnl: 1, totalPnl: -1.5 });
    await waitFor(() => symbolsShown(el).join() === 'ZZZ-1,ZZZ-2', 5000, 'the published rows');
    expect(text(el)).to.contain('€');
    // Remove every row: the account stays, with a clear empty state.
    await publishHttp(`/api/portfolio/${account}`, { positions: [], removed: ['ZZZ-1', 'ZZZ-2'] });
    await waitFor(() => text(el).includes(`No open positions in account ${account}`), 5000, 'the empty state');
    expect(el.state).to.equal('live');
    expect(el.summary).to.deep.equal({ marketValue: 0, unrealizedPnl: 0, realizedPnl: 0, totalPnl: 0 });
    await expectNoAxeViolations(el, '<pnl-summary> of an empty account');
  });

  it('shows markup in an account as text', async () => {
    const el = await pnl(XSS);
    expect(el.state).to.equal('error');
    expect(root(el).querySelector('img')).to.equal(null);
    expect(root(el).querySelector('.title')!.textContent).to.equal(XSS);
    expect(text(el)).to.contain(`Invalid account "${XSS}"`);
  });

  it('keeps its data marked stale through a drop and comes back live', async () => {
    const el = await pnl();
    await waitForState(el, 'live');
    const rows = el.positions.length;
    await dropConnectionsFor(600);
    await waitForState(el, 'stale');
    expect(el.positions.length).to.equal(rows);
    expect(root(el).querySelector('[part=notice]')).to.exist;
    await waitForState(el, 'live');
    await expectMatchesServer(el);
  });

  it('is accessible while loading, live, stale and in error, light and dark', async () => {
    const el = await pnl();
    await expect(el).to.be.accessible();
    await waitForState(el, 'live');
    await expect(el).to.be.accessible();
    el.theme = 'dark';
    await el.updateComplete;
    await expect(el).to.be.accessible();
    getStream(url).pause();
    await waitForState(el, 'stale');
    await expect(el).to.be.accessible();
    getStream(url).resume();
    el.account = 'x y';
    await waitForState(el, 'error');
    await expect(el).to.be.accessible();
  });
});
