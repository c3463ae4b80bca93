// custom-elements.json is complete and true: @wc-toolkit/cem-validator accepts it with the
// package.json, each tag has its custom-element-definition, paths are the shipped dist/ files,
// every event is typed with its detail from the event map, defaults are values (no constant
// names), attribute types are unions wherever the element accepts only some values, every CSS
// custom property has its default, and the editor data carries the unions. (Freshness, that the
// generated files match the code, is .ci/run's check.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateCem } from '@wc-toolkit/cem-validator';
import { DEFAULT_MAX_BARS, INTERVALS } from '../../src/protocol/messages.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(`${root}custom-elements.json`, 'utf8'));
const TAGS = ['connection-badge', 'live-price-chart', 'pnl-summary', 'ws-metrics-panel'];

type Item = { name: string; type?: { text: string }; default?: string; fieldName?: string };
type Element = { name: string; tagName: string; attributes: Item[]; members: Item[]; events: Item[]; cssProperties: Item[] };
const modules: Array<{ path: string; declarations?: Element[]; exports?: Array<{ kind: string; name: string; declaration: { name: string; module: string } }> }> =
  manifest.modules;
const elements = modules.flatMap((m) => (m.declarations ?? []).filter((d) => d.tagName));
const element = (tag: string) => elements.find((e) => e.tagName === tag)!;

test('@wc-toolkit/cem-validator accepts the manifest and package.json', async () => {
  assert.ok(existsSync(`${root}dist/index.js`), 'dist/ is missing: run `npm run build` first (module paths are checked)');
  // MarketElement is the abstract base: no tag of its own.
  await validateCem(manifest, { packageJsonPath: `${root}package.json`, exclude: ['MarketElement'] });
});

test('each tag is defined (custom-element-definition) in the module that ships it', () => {
  assert.deepEqual(elements.map((e) => e.tagName).sort(), TAGS);
  for (const tag of TAGS) {
    const mod = modules.find((m) => m.exports?.some((e) => e.kind === 'custom-element-definition' && e.name === tag));
    assert.ok(mod, `no definition of <${tag}>`);
    assert.equal(mod.path, `dist/elements/${tag}/${tag}.js`);
    assert.ok(existsSync(`${root}${mod.path}`), `${mod.path} is built`);
    const definition = mod.exports!.find((e) => e.name === tag)!;
    assert.equal(definition.declaration.name, element(tag).name);
    assert.equal(definition.declaration.module, mod.path);
  }
});

test('every path is a shipped file, none a source file', () => {
  const text = JSON.stringify(manifest);
  assert.deepEqual([...text.matchAll(/"(?:path|module)":"(\/?src\/[^"]*|[^"]*\.ts)"/g)].map((m) => m[1]), []);
  for (const m of modules) assert.match(m.path, /^dist\/.+\.js$/);
});

test("every event is typed CustomEvent<its detail in src/events' map>", () => {
  const map = readFileSync(`${root}src/events/index.ts`, 'utf8');
  const details = new Map([...map.matchAll(/'(lmw-[\w-]+)': (\w+);/g)].map((m) => [m[1], m[2]]));
  assert.equal(details.size, 4);
  for (const tag of TAGS)
    for (const event of element(tag).events) assert.equal(event.type?.text, `CustomEvent<${details.get(event.name)}>`, `<${tag}> ${event.name}`);
  assert.deepEqual(element('live-price-chart').events.map((e) => e.name).sort(), ['lmw-bar', 'lmw-error', 'lmw-state-change']);
  assert.deepEqual(element('pnl-summary').events.map((e) => e.name).sort(), ['lmw-error', 'lmw-pnl', 'lmw-state-change']);
});

test('defaults are values, and max-bars is DEFAULT_MAX_BARS', () => {
  for (const e of elements)
    for (const item of [...e.attributes, ...e.members])
      assert.doesNotMatch(item.default ?? '', /^[A-Z][A-Z0-9_]*$/, `${e.name}.${item.name} default ${item.default}`);
  const maxBars = element('live-price-chart').attributes.find((a) => a.name === 'max-bars')!;
  assert.equal(maxBars.default, String(DEFAULT_MAX_BARS));
  assert.equal(maxBars.type?.text, 'number');
});

test('attribute types are unions where only some values are accepted', () => {
  const union = (tag: string, name: string) => element(tag).attributes.find((a) => a.name === name)?.type?.text;
  assert.equal(union('live-price-chart', 'interval'), INTERVALS.map((i) => `'${i}'`).join(' | '));
  assert.equal(union('live-price-chart', 'chart-type'), "'candles' | 'line' | 'area'");
  assert.equal(union('pnl-summary', 'sort-by'), "'symbol' | 'qty' | 'avg-price' | 'last-price' | 'market-value' | 'unrealized-pnl' | 'realized-pnl'");
  // The order of a union TypeScript prints follows when each literal was first seen in the
  // program (the protocol's 'compact' capability comes first now), so compare the members.
  const members = (text: string | undefined) => text?.split(' | ').sort();
  assert.deepEqual(members(union('connection-badge', 'variant')), members("'full' | 'compact' | 'floating'"));
  for (const tag of TAGS) assert.equal(union(tag, 'theme'), "'light' | 'dark' | 'auto'");
  // Free text only where any text is meaningful (a symbol, an account, a URL, a locale, a currency code).
  const freeText = new Set(['symbol', 'account', 'src', 'locale', 'currency']);
  for (const e of elements)
    for (const a of e.attributes) {
      assert.ok(a.type?.text, `${e.tagName} ${a.name} has a type`);
      if (/^string( \| undefined)?$/.test(a.type.text)) assert.ok(freeText.has(a.name), `${e.tagName} ${a.name} is typed ${a.type.text}`);
    }
});

test('every CSS custom property has its default (the fallback in the styles)', () => {
  for (const e of elements)
    for (const p of e.cssProperties) assert.ok(p.default, `${e.tagName} ${p.name} has no default`);
  const theme = readFileSync(`${root}src/elements/base/theme.styles.ts`, 'utf8');
  const up = element('live-price-chart').cssProperties.find((p) => p.name === '--lmw-up')!;
  assert.ok(theme.includes(`var(--lmw-up, ${up.default})`), `--lmw-up default ${up.default} is the one in theme.styles.ts`);
  assert.equal(element('ws-metrics-panel').cssProperties.find((p) => p.name === '--lmw-sparkline-height')?.default, '44px');
});

test('the editor data generated from the manifest offers the unions as values', () => {
  const vscode = JSON.parse(readFileSync(`${root}editors/vscode.html-custom-data.json`, 'utf8'));
  assert.deepEqual(vscode.tags.map((t: { name: string }) => t.name).sort(), TAGS);
  const chart = vscode.tags.find((t: { name: string }) => t.name === 'live-price-chart');
  const values = (name: string) => chart.attributes.find((a: { name: string }) => a.name === name)?.values?.map((v: { name: string }) => v.name);
  assert.deepEqual(values('interval'), [...INTERVALS]);
  assert.deepEqual(values('chart-type'), ['candles', 'line', 'area']);
  const webTypes = JSON.parse(readFileSync(`${root}editors/web-types.json`, 'utf8'));
  assert.equal(webTypes.name, 'live-market-widgets');
  const pnl = webTypes.contributions.html.elements.find((e: { name: string }) => e.name === 'pnl-summary');
  assert.match(pnl.attributes.find((a: { name: string }) => a.name === 'sort-by').value.type, /'unrealized-pnl'/);
  assert.deepEqual(pnl.events.map((e: { name: string }) => e.name).sort(), ['lmw-error', 'lmw-pnl', 'lmw-state-change']);
});
