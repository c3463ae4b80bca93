import { expect } from '@open-wc/testing';
import '../../src/index.js';

// Typecheck-level: these listeners read detail fields with no casts (npm run typecheck fails if the maps are missing).
describe('typed lmw-* events', () => {
  it('types every lmw-* event in the global event maps', () => {
    const el = document.createElement('live-price-chart');
    const seen: string[] = [];
    el.addEventListener('lmw-bar', (e) => seen.push(`bar ${e.detail.bar.close}`));
    el.addEventListener('lmw-state-change', (e) => seen.push(`${e.detail.previous}->${e.detail.state}`));
    el.addEventListener('lmw-error', (e) => seen.push(`error ${e.detail.code}`));
    document.addEventListener('lmw-pnl', (e) => seen.push(`pnl ${e.detail.totals.totalPnl}`));
    el.dispatchEvent(new CustomEvent('lmw-error', { detail: { code: 'no_source', message: 'x' } }));
    expect(seen).to.deep.equal(['error no_source']);
  });
});
