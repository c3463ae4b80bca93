// What `npm pack` ships: nothing unexpected (no sources, tests, examples, stray runtime
// folders such as dist/_virtual/), nothing missing (LICENSE, README, the manifest and what is
// generated from it, every file package.json points at, the manifest's modules, a .d.ts for
// every source module), and a README whose links work on the registry's page (absolute).
// Needs `npm run build` (npm test builds first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

/** The file list of `npm pack --dry-run --json`. */
function packedFiles(): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path).sort());
    }),
  );
}

/** Every string target in package.json's `exports` (conditions included). */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets);
  return [];
}

const ALLOWED = [
  /^(LICENSE|README\.md|package\.json|custom-elements\.json)$/,
  /^types\/(react|vue)\.d\.ts$/,
  /^editors\/(vscode\.html-custom-data|vscode\.css-custom-data|web-types)\.json$/,
  /^dist\/(?!_virtual\/)[\w./-]+\.(js|d\.ts|js\.map)$/,
];

test('npm pack ships what a user needs and nothing else', async () => {
  assert.ok(existsSync(`${root}dist/index.d.ts`), 'dist/ is missing: run `npm run build` first');
  const files = await packedFiles();
  const shipped = new Set(files);

  const unexpected = files.filter((file) => !ALLOWED.some((pattern) => pattern.test(file)));
  assert.deepEqual(unexpected, [], 'unexpected files in the package');
  assert.equal(files.filter((file) => file.includes('_virtual') || file.includes('@oxc-project')).length, 0);

  const required = [
    'LICENSE',
    'README.md',
    'package.json',
    'custom-elements.json',
    'types/react.d.ts',
    'types/vue.d.ts',
    'editors/vscode.html-custom-data.json',
    'editors/vscode.css-custom-data.json',
    'editors/web-types.json',
    'dist/live-market-widgets.js',
    'dist/live-market-widgets.classic.js',
    // package.json's entry points, exports and editor data
    ...[pkg.main, pkg.module, pkg.types, pkg['web-types'], pkg.customElements, ...exportTargets(pkg.exports)].map((p: string) => p.replace(/^\.\//, '')),
    // every module the manifest describes
    ...JSON.parse(readFileSync(`${root}custom-elements.json`, 'utf8')).modules.map((m: { path: string }) => m.path),
    // a declaration file for every source module
    ...readdirSync(`${root}src`, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => `dist/${file.replace(/\.ts$/, '.d.ts')}`),
  ];
  const missing = [...new Set(required)].filter((file) => !shipped.has(file));
  assert.deepEqual(missing, [], 'files missing from the package');
  assert.ok(files.some((file) => /^dist\/chunks\/lightweight-charts-[\w-]+\.js$/.test(file)), 'the lazy chart chunk is shipped');
});

test("package.json names the repository, and the README's links work on the registry's page", () => {
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(`${root}LICENSE`, 'utf8'), /^MIT License/);
  const repo = 'https://github.com/live-market-widgets/live-market-widgets';
  assert.equal(pkg.repository.url, `git+${repo}.git`);
  assert.ok(pkg.homepage.startsWith(repo));
  assert.equal(pkg.bugs.url, `${repo}/issues`);
  // docs/ and the screenshot are not in the package: the README links to them in the repository.
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
  assert.ok(links.length > 5);
  assert.deepEqual(links.filter((link) => !/^(https:\/\/|#)/.test(link)), [], 'relative links in README.md');
  for (const link of links.filter((l) => l.startsWith(`${repo}/blob/main/`) || l.startsWith(`${repo}/tree/main/`) || l.startsWith(`${repo}/raw/main/`))) {
    const path = decodeURIComponent(link.replace(/^.*?\/(?:blob|tree|raw)\/main\//, '').replace(/#.*$/, ''));
    assert.ok(existsSync(`${root}${path}`), `README links to ${path}, which does not exist`);
  }
});
