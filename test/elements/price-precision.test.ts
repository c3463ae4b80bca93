// Price precision per symbol (issue 16): the chart's header, change and axis and the P&L's price
// cells show the symbol's decimals (server-stated, else derived), and `precision` overrides them.
// Against the fx reference server (EURUSD tick 0.00001, USDJPY 0.001, BTC-USD 0.01; its demo
// account holds all three), so nothing here depends on the main server's symbols.
import { expect, fixture, html } from '@open-wc/testing';
import type { BarPrice, IChartApi, ISeriesApi, SeriesType } from 'lightweight-charts';
import '../../src/elements/live-price-chart/live-price-chart.js';
import '../../src/elements/pnl-summary/pnl-summary.js';
import type { LivePriceChart } from '../../src/elements/live-price-chart/live-price-chart.js';
import type { PnlSummary } from '../../src/elements/pnl-summary/pnl-summary.js';
import { choosePrecision, getPriceFormat, precisionProblem } from '../../src/elements/base/price-format.js';
import { fxServerInfo, publishFxTrades, waitFor } from '../support/browser/server.js';
import { record, waitForState } from './helpers.js';

let url: string;
before(async () => {
  url = (await fxServerInfo()).url;
});

/** Decimals of the first number in an en-US text (`65,012.34` → 2, `▼ -0.00012 (-0.01%)` → 5, `190` → 0). */
const decimals = (text: string) => /^[^\d]*[\d,]+(?:\.(\d+))?/.exec(text)?.[1]?.length ?? 0;

async function chart(symbol: string, precision?: string) {
  const host = await fixture<HTMLDivElement>(html`<div style="width:640px;height:360px">
    <live-price-chart style="height:100%" .src=${url} symbol=${symbol} interval="1s" locale="en-US"></live-price-chart>
  </div>`);
  const el = host.querySelector('live-price-chart')!;
  if (precision !== undefined) el.setAttribute('precision', precision);
  return el;
}
const part = (el: HTMLElement, name: string) => el.shadowRoot!.querySelector(`[part=${name}]`)?.textContent?.trim() ?? '';
const internals = (el: LivePriceChart) => el as unknown as { _chart?: IChartApi; _series?: ISeriesApi<SeriesType> };

/** The series' priceFormat and what the axis labels a price as, once the chart exists. */
async function axis(el: LivePriceChart, price: number) {
  const chartApi = internals(el);
  await waitFor(() => chartApi._series, 10_000, 'the chart created');
  const format = chartApi._series!.options().priceFormat as { type: string; precision: number; minMove: number };
  const label = chartApi._chart!.options().localization.priceFormatter!(price as BarPrice);
  return { ...format, label };
}

describe('price precision', () => {
  it('EURUSD shows the server precision (5 decimals) in the header, the change and the axis', async () => {
    const el = await chart('EURUSD');
    await waitForState(el, 'live');
    await waitFor(() => part(el, 'price'), 10_000, 'a price in the header');
    expect(decimals(part(el, 'price'))).to.equal(5);
    expect(part(el, 'price')).to.equal(el.lastPrice!.toFixed(5));
    expect(decimals(part(el, 'change'))).to.equal(5);
    const scale = await axis(el, 1.08265);
    expect(scale).to.deep.include({ type: 'price', precision: 5, minMove: 0.00001 });
    expect(scale.label).to.equal('1.08265');
  });

  it('a yen pair shows 3 decimals and BTC-USD 2', async () => {
    const yen = await chart('USDJPY');
    const btc = await chart('BTC-USD');
    await waitForState(yen, 'live');
    await waitForState(btc, 'live');
    await waitFor(() => part(yen, 'price') && part(btc, 'price'), 10_000, 'prices in the headers');
    expect(decimals(part(yen, 'price'))).to.equal(3);
    expect(decimals(part(btc, 'price'))).to.equal(2);
    expect(await axis(yen, 151.2)).to.deep.include({ precision: 3, minMove: 0.001, label: '151.200' });
  });

  it('a published coin gets the decimals of its prices (8)', async () => {
    await publishFxTrades([{ symbol: 'PREC-COIN', price: 0.00001234 }, { symbol: 'PREC-COIN', price: 0.00001241 }]);
    const el = await chart('PREC-COIN');
    await waitForState(el, 'live');
    await waitFor(() => part(el, 'price'), 10_000, 'a price in the header');
    expect(part(el, 'price')).to.equal('0.00001241');
    expect(await axis(el, 0.0000125)).to.deep.include({ precision: 8, minMove: 0.00000001, label: '0.00001250' });
  });

  it('the precision attribute overrides the server, at run time too', async () => {
    const el = await chart('EURUSD', '3');
    await waitForState(el, 'live');
    await waitFor(() => part(el, 'price'), 10_000, 'a price in the header');
    expect(decimals(part(el, 'price'))).to.equal(3);
    expect(decimals(part(el, 'change'))).to.equal(3);
    // The tick (0.00001) has more decimals than 3, so the scale moves by 0.001.
    expect(await axis(el, 1.08265)).to.deep.include({ precision: 3, minMove: 0.001, label: '1.083' });
    el.precision = 6;
    await waitFor(() => decimals(part(el, 'price')) === 6 || undefined, 5_000, 'six decimals');
    expect(await axis(el, 1.08265)).to.deep.include({ precision: 6, minMove: 0.00001, label: '1.082650' });
    el.removeAttribute('precision');
    await waitFor(() => decimals(part(el, 'price')) === 5 || undefined, 5_000, 'back to the server precision');
  });

  for (const bad of ['abc', '11', '-1', '2.5', '']) {
    it(`precision="${bad}" is a bad_attribute error, cleared by a good value`, async () => {
      const el = await chart('EURUSD');
      await waitForState(el, 'live');
      const errors = record<{ code: string; message: string }>(el, 'lmw-error');
      el.setAttribute('precision', bad);
      await waitForState(el, 'error');
      expect(errors.events[0]!.detail.code).to.equal('bad_attribute');
      expect(el.error!.message).to.match(/precision must be an integer from 0 to 10/);
      el.setAttribute('precision', '4');
      await waitForState(el, 'live');
      errors.stop();
    });
  }

  it('the P&L shows EURUSD avg/last with 5 decimals, USDJPY 3, BTC-USD 2, money in cents; precision overrides prices only', async () => {
    const el = await fixture<PnlSummary>(html`<pnl-summary .src=${url} account="demo" locale="en-US"></pnl-summary>`);
    await waitForState(el, 'live');
    const cells = (symbol: string) => {
      const row = [...el.shadowRoot!.querySelectorAll('tbody tr')].find((tr) => tr.children[0]!.textContent!.trim() === symbol);
      return row ? [...row.children].map((td) => td.textContent!.trim()) : undefined;
    };
    await waitFor(() => cells('EURUSD') && cells('USDJPY') && cells('BTC-USD'), 10_000, 'the three rows');
    const [, , avg, last, value, unrealized] = cells('EURUSD')!;
    expect([decimals(avg!), decimals(last!)]).to.deep.equal([5, 5]);
    expect(decimals(value!)).to.equal(2);
    expect(decimals(unrealized!)).to.equal(2);
    expect(cells('USDJPY')!.slice(2, 4).map(decimals)).to.deep.equal([3, 3]);
    expect(cells('BTC-USD')!.slice(2, 4).map(decimals)).to.deep.equal([2, 2]);

    el.setAttribute('precision', '2');
    await waitFor(() => decimals(cells('EURUSD')![3]!) === 2 || undefined, 5_000, 'EURUSD last at 2 decimals');
    expect(cells('EURUSD')!.slice(2, 4).map(decimals)).to.deep.equal([2, 2]);
    expect(cells('USDJPY')!.slice(2, 4).map(decimals)).to.deep.equal([2, 2]);
    expect(decimals(cells('EURUSD')![4]!)).to.equal(2);

    el.setAttribute('precision', 'x');
    await waitForState(el, 'error');
    expect(el.error!.code).to.equal('bad_attribute');
  });

  it('without a server precision, prices show about 5 significant digits, at least 2 decimals', () => {
    const shown = (price: number) => getPriceFormat('en-US', choosePrecision(undefined, undefined, price)).price(price);
    expect(shown(65000.12)).to.equal('65,000.12');
    expect(shown(1.0826)).to.equal('1.0826');
    expect(shown(0.00001234)).to.equal('0.000012340');
    expect(getPriceFormat('en-US', choosePrecision(3, 5, 1.0826)).price(1.0826)).to.equal('1.083');
    expect(getPriceFormat('en-US', 5).change(-0.00012)).to.equal('-0.00012');
    expect(precisionProblem(undefined)).to.equal(undefined);
    expect(precisionProblem(Number.NaN)).to.match(/precision/);
  });
});
