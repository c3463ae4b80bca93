/** Bar validation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateBar } from '../../src/protocol/index.js';

test('validateBar accepts a bar of finite numbers and names the first bad field otherwise', () => {
  const bar = { time: 60, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3, trades: 1 };
  assert.equal(validateBar(bar), null);
  assert.equal(validateBar({ ...bar, high: '2' }), 'bar.high must be a finite number');
  assert.equal(validateBar({ ...bar, close: Infinity, trades: null }), 'bar.close must be a finite number');
  assert.equal(validateBar({ ...bar, trades: undefined }), 'bar.trades must be a finite number');
  assert.equal(validateBar([bar]), 'bar must be an object');
});
