// The React and Vue examples type-check against the generated types (types/react.d.ts,
// types/vue.d.ts, imported as `live-market-widgets/react` and `/vue`), together with the
// snippets of docs/frameworks.md; a wrong attribute value (`interval="2m"`,
// `chart-type="bogus"`, `sort-by="nonsense"`) and a wrong event detail fail the check with the
// expected error, while a correct line beside them passes. React: tsc; Vue: vue-tsc with
// strictTemplates. Needs `npm run build` (the types import dist/*.d.ts; npm test builds first).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TSC = `${root}node_modules/typescript/bin/tsc`;
const VUE_TSC = `${root}examples/vue/node_modules/vue-tsc/bin/vue-tsc.js`;

/** Runs a type checker; resolves with its exit code and output (it exits non-zero on errors). */
function check(bin: string, project: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '-p', project], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

/** Errors as `line: message`, for the file named `file`. */
function errorsIn(output: string, file: string): Map<number, string> {
  const errors = new Map<number, string>();
  for (const match of output.matchAll(/([^\s(]+)\((\d+),\d+\): error (TS\d+: .*(?:\n {2,}.*)*)/g))
    if (match[1]?.endsWith(file)) errors.set(Number(match[2]), `${errors.get(Number(match[2])) ?? ''}${match[3]}`);
  return errors;
}

/** The fenced blocks of docs/frameworks.md in `lang` (```tsx, ```vue). */
function docSnippets(lang: string): string[] {
  const doc = readFileSync(`${root}docs/frameworks.md`, 'utf8');
  return [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1] ?? '');
}

/** A scratch folder inside an example (so its node_modules resolve), removed after the tests. */
function scratch(example: string, files: Record<string, string>): string {
  const dir = `${root}examples/${example}/.tmp-types-test`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(`${dir}/${name}`, text);
  return dir;
}
after(() => {
  for (const example of ['react', 'vue']) rmSync(`${root}examples/${example}/.tmp-types-test`, { recursive: true, force: true });
});

test('the generated types exist and point at the built declarations', () => {
  assert.ok(existsSync(`${root}dist/index.d.ts`), 'dist/index.d.ts is missing: run `npm run build` first');
  for (const file of ['types/react.d.ts', 'types/vue.d.ts'])
    assert.match(readFileSync(`${root}${file}`, 'utf8'), /^import type \{[^}]*LivePriceChart[^}]*\} from "\.\.\/dist\/index\.js";$/m, file);
});

describe('React 19 (tsc)', () => {
  test('the example and the docs snippets type-check', async () => {
    const snippets = docSnippets('tsx');
    assert.ok(snippets.length >= 1, 'docs/frameworks.md has a ```tsx snippet');
    const dir = scratch('react', {
      ...Object.fromEntries(snippets.map((text, i) => [`doc-${i}.tsx`, text])),
      'tsconfig.json': JSON.stringify({ extends: '../tsconfig.json', include: ['../src', '.'] }),
    });
    const { code, output } = await check(TSC, `${dir}/tsconfig.json`);
    assert.equal(code, 0, output);
  });

  test('a wrong attribute value or event detail fails the check', async () => {
    const lines = [
      `import 'live-market-widgets';`,
      `export const ok = <live-price-chart symbol="BTC-USD" interval="5m" chart-type="area" maxBars={100} onlmw-bar={(e) => e.detail.bar.close} />;`,
      `export const badInterval = <live-price-chart symbol="BTC-USD" interval="2m" />;`,
      `export const badChartType = <live-price-chart symbol="BTC-USD" chart-type="bogus" />;`,
      `export const badSort = <pnl-summary sort-by="nonsense" />;`,
      `export const badDetail = <live-price-chart onlmw-bar={(e) => e.detail.nope} />;`,
    ];
    const dir = scratch('react', { 'bad.tsx': lines.join('\n'), 'tsconfig.json': JSON.stringify({ extends: '../tsconfig.json', include: ['bad.tsx'] }) });
    const { code, output } = await check(TSC, `${dir}/tsconfig.json`);
    assert.notEqual(code, 0, 'tsc accepted the wrong values');
    const errors = errorsIn(output, 'bad.tsx');
    assert.equal(errors.get(2), undefined, `the correct line failed: ${errors.get(2)}`);
    assert.match(errors.get(3) ?? '', /Type '"2m"' is not assignable to type '"15m" \| "1h" \| "1m" \| "1s" \| "5m" \| "5s" \| undefined'/);
    assert.match(errors.get(4) ?? '', /Type '"bogus"' is not assignable to type 'ChartType \| undefined'/);
    assert.match(errors.get(5) ?? '', /Type '"nonsense"' is not assignable to type 'SortKey \| undefined'/);
    assert.match(errors.get(6) ?? '', /Property 'nope' does not exist on type 'BarEventDetail'/);
    assert.equal(errors.size, 4, output);
  });
});

describe('Vue 3 (vue-tsc, strictTemplates)', () => {
  test('the example and the docs snippets type-check', async () => {
    const snippets = docSnippets('vue');
    assert.ok(snippets.length >= 1, 'docs/frameworks.md has a ```vue snippet');
    const dir = scratch('vue', {
      ...Object.fromEntries(snippets.map((text, i) => [`Doc${i}.vue`, text])),
      'tsconfig.json': JSON.stringify({ extends: '../tsconfig.json', include: ['../src/**/*.ts', '../src/**/*.vue', '*.vue'] }),
    });
    const { code, output } = await check(VUE_TSC, `${dir}/tsconfig.json`);
    assert.equal(code, 0, output);
  });

  test('a wrong attribute value, an unknown attribute or a wrong event detail fails the check', async () => {
    const lines = [
      `<script setup lang="ts">import 'live-market-widgets';</script>`,
      `<template>`,
      `  <live-price-chart symbol="BTC-USD" interval="5m" chart-type="area" :max-bars="100" @lmw-bar="(e) => e.detail.bar.close" />`,
      `  <live-price-chart symbol="BTC-USD" interval="2m" />`,
      `  <live-price-chart symbol="BTC-USD" chart-type="bogus" />`,
      `  <pnl-summary sort-by="nonsense" />`,
      `  <live-price-chart @lmw-bar="(e) => e.detail.nope" />`,
      `  <live-price-chart bogus-attr="x" />`,
      `</template>`,
    ];
    const dir = scratch('vue', { 'Bad.vue': lines.join('\n'), 'tsconfig.json': JSON.stringify({ extends: '../tsconfig.json', include: ['Bad.vue'] }) });
    const { code, output } = await check(VUE_TSC, `${dir}/tsconfig.json`);
    assert.notEqual(code, 0, 'vue-tsc accepted the wrong values');
    const errors = errorsIn(output, 'Bad.vue');
    assert.equal(errors.get(3), undefined, `the correct line failed: ${errors.get(3)}`);
    assert.match(errors.get(4) ?? '', /Type '"2m"' is not assignable to type '"1s" \| "5s" \| "1m" \| "5m" \| "15m" \| "1h" \| undefined'/);
    assert.match(errors.get(5) ?? '', /Type '"bogus"' is not assignable to type 'ChartType \| undefined'/);
    assert.match(errors.get(6) ?? '', /Type '"nonsense"' is not assignable to type 'SortKey \| undefined'/);
    assert.match(errors.get(7) ?? '', /Property 'nope' does not exist on type 'BarEventDetail'/);
    assert.match(errors.get(8) ?? '', /'bogusAttr' does not exist/);
    assert.equal(errors.size, 5, output);
  });
});
