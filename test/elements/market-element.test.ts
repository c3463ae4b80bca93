import { expect, fixture, html } from '@open-wc/testing';
import { html as litHtml } from 'lit';
import { MarketElement } from '../../src/elements/base/market-element.js';
import { defineElement } from '../../src/elements/base/define.js';
import { getFormatters } from '../../src/elements/base/format.js';
import { getPriceFormat } from '../../src/elements/base/price-format.js';
import '../../src/elements/pnl-summary/pnl-summary.js';
import type { PnlSummary } from '../../src/elements/pnl-summary/pnl-summary.js';
import { serverInfo } from '../support/browser/server.js';
import { record, waitForState } from './helpers.js';

/** An element whose render throws after its first successful render. */
class BrokenWidget extends MarketElement {
  fail = false;
  protected override renderContent() {
    if (this.fail) throw new Error('boom');
    return litHtml`<p>fine</p>`;
  }
}
defineElement('lmw-broken-widget', BrokenWidget);

describe('MarketElement base', () => {
  it('turns an exception in rendering into its error state, without throwing into the page', async () => {
    const uncaught: unknown[] = [];
    const onError = (event: ErrorEvent | PromiseRejectionEvent) => {
      uncaught.push(event);
      event.preventDefault();
    };
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onError);
    const warn = console.warn;
    const warnings: unknown[][] = [];
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      const el = await fixture<BrokenWidget>(html`<lmw-broken-widget src="ws://127.0.0.1:9/stream"></lmw-broken-widget>`);
      expect(el.shadowRoot!.textContent).to.contain('fine');
      const errors = record<{ code: string }>(el, 'lmw-error');
      el.fail = true;
      el.requestUpdate();
      await el.updateComplete.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(el.state).to.equal('error');
      expect(el.error!.code).to.equal('internal_error');
      expect(errors.events.map((e) => e.detail.code)).to.deep.equal(['internal_error']);
      expect(el.shadowRoot!.querySelector('[part=error]')!.textContent).to.contain('internal error');
      expect(uncaught).to.have.length(0);
      expect(warnings).to.have.length(1);
    } finally {
      console.warn = warn;
      window.removeEventListener('error', onError);
      window.removeEventListener('unhandledrejection', onError);
    }
  });

  it('defineElement warns instead of throwing on a second definition of a tag', () => {
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      class Other extends HTMLElement {}
      expect(() => defineElement('lmw-broken-widget', Other)).not.to.throw();
      expect(customElements.get('lmw-broken-widget')).to.equal(BrokenWidget);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.contain('<lmw-broken-widget> is already defined');
      defineElement('lmw-broken-widget', BrokenWidget); // the same class again: silently fine
      expect(warnings).to.have.length(1);
    } finally {
      console.warn = warn;
    }
  });

  it('caches formatters per locale and falls back on a bad locale or currency', () => {
    expect(getFormatters('de-DE')).to.equal(getFormatters('de-DE'));
    expect(getPriceFormat('de-DE', 2).price(1234.5)).to.equal('1.234,50');
    expect(getFormatters('en-US').money(-12.5, 'USD')).to.equal('-$12.50');
    expect(() => getPriceFormat('not a locale!', 2).price(1)).not.to.throw();
    expect(() => getFormatters('not a locale!').money(1, 'USD')).not.to.throw();
    expect(getFormatters('en-US').money(3, '<b>x</b>')).to.equal('3.00 <b>x</b>');
    expect(getFormatters('en-US').percent(0.0123)).to.equal('+1.23%');
  });

  it('shows an error for a src that is not a ws/http URL', async () => {
    const el = await fixture<PnlSummary>(html`<pnl-summary src="ftp://example.com/stream" account="demo"></pnl-summary>`);
    expect(el.state).to.equal('error');
    expect(el.error!.code).to.equal('bad_url');
    expect(el.shadowRoot!.querySelector('[part=error]')!.textContent).to.contain('ftp://example.com/stream');
  });

  it('takes its locale from <html lang> when it has no locale attribute', async () => {
    const { url } = await serverInfo();
    const lang = document.documentElement.lang;
    document.documentElement.lang = 'de-DE';
    try {
      const el = await fixture<PnlSummary>(html`<pnl-summary .src=${url} account="demo"></pnl-summary>`);
      expect(el.resolvedLocale).to.equal('de-DE');
      await waitForState(el, 'live');
      expect(el.shadowRoot!.querySelector('dd')!.textContent).to.match(/\d\.\d{3},\d{2}/);
      el.locale = 'en-US';
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('dd')!.textContent).to.match(/^\$\d{1,3}(,\d{3})*\.\d{2}$/);
    } finally {
      document.documentElement.lang = lang;
    }
  });
});
