// Server rendering: the package as an app's server imports it (Next.js, Remix, any SSR) does not
// crash in Node, where there is no DOM: the entry and each element's entry load (the classes and
// the stream are there), and React 19's renderToString writes the tags as plain HTML, props as
// attributes, listeners left out, as docs/frameworks.md says. Runs in a child process so the
// imports (and Lit's server-side DOM shim) do not leak into other tests. Needs `npm run build`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

const script = `
const kit = await import('live-market-widgets');
const entries = {};
for (const tag of ['live-price-chart', 'connection-badge', 'ws-metrics-panel', 'pnl-summary'])
  entries[tag] = Object.keys(await import('live-market-widgets/elements/' + tag + '.js'));
const { renderToString } = await import('react-dom/server');
const { createElement } = await import('react');
const html = renderToString(createElement('live-price-chart', { symbol: 'BTC-USD', interval: '1m', 'chart-type': 'line', maxBars: 500, 'onlmw-bar': () => {} }));
const stream = kit.getStream('ws://127.0.0.1:9/stream');
console.log(JSON.stringify({ exports: Object.keys(kit), entries, html, state: stream.state, sameStream: kit.getStream('ws://127.0.0.1:9/stream') === stream }));
stream.close();
`;

test('importing the built package in Node (no DOM) works, and React renders the tags on the server', async () => {
  assert.ok(existsSync(`${root}dist/index.js`), 'dist/index.js is missing: run `npm run build` first');
  const output = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 20_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  const result = JSON.parse(output.trim().split('\n').at(-1) ?? '{}');
  for (const name of ['LivePriceChart', 'ConnectionBadge', 'WsMetricsPanel', 'PnlSummary', 'getStream', 'defineElement'])
    assert.ok(result.exports.includes(name), `the entry exports ${name}`);
  assert.deepEqual(result.entries['live-price-chart'].includes('LivePriceChart'), true);
  assert.deepEqual(result.entries['pnl-summary'].includes('PnlSummary'), true);
  assert.equal(result.html, '<live-price-chart symbol="BTC-USD" interval="1m" chart-type="line" maxBars="500"></live-price-chart>');
  assert.equal(result.sameStream, true);
  assert.equal(typeof result.state, 'string');
});
