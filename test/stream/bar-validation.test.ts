/** Bar validation. */
import { expect } from '@open-wc/testing';
import { validateBar } from '../../src/protocol/index.js';

describe('bar validation', () => {
  it('accepts a bar of finite numbers and names the first bad field otherwise', () => {
    const bar = { time: 60, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3, trades: 1 };
    expect(validateBar(bar)).to.equal(null);
    expect(validateBar({ ...bar, high: '2' })).to.equal('bar.high must be a finite number');
    expect(validateBar({ ...bar, close: Infinity, trades: null })).to.equal('bar.close must be a finite number');
    expect(validateBar({ ...bar, trades: undefined })).to.equal('bar.trades must be a finite number');
    expect(validateBar([bar])).to.equal('bar must be an object');
  });
});
