/**
 * Part 4: sizes. Every file is (re)minified with esbuild and gzipped at level 9, so the
 * kit and the baselines are measured with the same tools whatever the build emitted.
 * "Main" is the entry file plus every chunk it imports statically; the chart chunk is
 * what it imports dynamically (lightweight-charts, loaded only when a chart is on the page).
 */
import { build, transform } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface SizeEntry {
  files: string[];
  rawBytes: number;
  minBytes: number;
  minGzipBytes: number;
}

export interface SizeResult {
  entry: string;
  main?: SizeEntry;
  chart?: SizeEntry;
  lit: SizeEntry;
  lightweightCharts: SizeEntry;
  /**
   * What a bundler user pays who imports one element's module alone (Lit and the stream
   * included, lightweight-charts left out as it loads lazily): esbuild bundle of
   * `src/elements/<tag>/<tag>.ts`, tree-shaken.
   */
  perElement?: Record<string, SizeEntry>;
  /** Where the main file's bytes come from: minified bytes per source group (esbuild metafile of src/index.ts). */
  breakdown?: Record<string, number>;
  errors: string[];
}

const root = fileURLToPath(new URL('..', import.meta.url));
// Minifiers quote specifiers with ", ' or ` (rolldown uses backticks).
const STATIC_IMPORT = /(?:^|[;\s}])(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["'`]([^"'`]+)["'`]/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g;

async function measureCode(files: string[], code: string): Promise<SizeEntry> {
  const min = (await transform(code, { minify: true, format: 'esm', target: 'es2022', legalComments: 'none' })).code;
  return { files, rawBytes: Buffer.byteLength(code), minBytes: Buffer.byteLength(min), minGzipBytes: gzipSync(min, { level: 9 }).length };
}

/** Sums per file (each minified and gzipped on its own, as a browser fetches them). */
async function measureFiles(files: string[], base: string): Promise<SizeEntry> {
  const total: SizeEntry = { files: files.map((f) => relative(base, f)), rawBytes: 0, minBytes: 0, minGzipBytes: 0 };
  for (const file of files) {
    const one = await measureCode([file], readFileSync(file, 'utf8'));
    total.rawBytes += one.rawBytes;
    total.minBytes += one.minBytes;
    total.minGzipBytes += one.minGzipBytes;
  }
  return total;
}

function relativeImports(file: string, pattern: RegExp): string[] {
  const code = readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const m of code.matchAll(pattern)) {
    const spec = m[1]!;
    if (spec.startsWith('./') || spec.startsWith('../')) found.add(resolve(dirname(file), spec));
  }
  return [...found].filter((f) => existsSync(f));
}

/** Files of the static import graph from `entry`, and the dynamic imports found in it. */
export function importGraph(entry: string): { staticFiles: string[]; dynamicFiles: string[] } {
  const staticFiles: string[] = [];
  const seen = new Set<string>();
  const queue = [resolve(entry)];
  while (queue.length > 0 && seen.size < 500) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    staticFiles.push(file);
    queue.push(...relativeImports(file, STATIC_IMPORT));
  }
  const dynamicRoots = new Set<string>();
  for (const file of staticFiles) for (const d of relativeImports(file, DYNAMIC_IMPORT)) if (!seen.has(d)) dynamicRoots.add(d);
  // The lazy part: each dynamic root and what it imports that main does not already have.
  const dynamicFiles: string[] = [];
  const lazySeen = new Set<string>();
  const lazyQueue = [...dynamicRoots];
  while (lazyQueue.length > 0 && lazySeen.size < 500) {
    const file = lazyQueue.shift()!;
    if (lazySeen.has(file) || seen.has(file)) continue;
    lazySeen.add(file);
    dynamicFiles.push(file);
    lazyQueue.push(...relativeImports(file, STATIC_IMPORT), ...relativeImports(file, DYNAMIC_IMPORT));
  }
  return { staticFiles, dynamicFiles };
}

async function bundleAlone(source: string): Promise<string> {
  const out = await build({
    stdin: { contents: source, resolveDir: root, loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    conditions: ['production'],
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/** One of the kit's source modules bundled and minified by esbuild (with a metafile), lightweight-charts left out. */
function bundleKitModule(entry: string) {
  return build({
    entryPoints: [join(root, entry)],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    conditions: ['production'],
    external: ['lightweight-charts'],
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'silent',
  });
}

/** Minified output bytes of src/index.ts per source group (Lit, each src/ folder), the chart left out. */
async function mainBreakdown(): Promise<Record<string, number>> {
  const out = await bundleKitModule('src/index.ts');
  const groups: Record<string, number> = {};
  for (const output of Object.values(out.metafile!.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const group = input.startsWith('node_modules/')
        ? input.split('/').slice(1, input.split('/')[1]!.startsWith('@') ? 3 : 2).join('/')
        : input.split('/').slice(0, input.startsWith('src/elements/') ? 3 : 2).join('/');
      groups[group] = (groups[group] ?? 0) + bytesInOutput;
    }
  }
  return Object.fromEntries(Object.entries(groups).sort((a, b) => b[1] - a[1]));
}

const ELEMENT_TAGS = ['connection-badge', 'ws-metrics-panel', 'pnl-summary', 'live-price-chart'];

async function elementAlone(tag: string): Promise<SizeEntry> {
  const out = await bundleKitModule(`src/elements/${tag}/${tag}.ts`);
  return measureCode([`src/elements/${tag}/${tag}.ts (bundled alone by esbuild)`], out.outputFiles[0]!.text);
}

export async function runSizePart(distDir: string | undefined): Promise<SizeResult> {
  const errors: string[] = [];
  const entry = distDir ? join(distDir, 'live-market-widgets.js') : '';
  const result: SizeResult = {
    entry: entry || '(no build)',
    lit: await measureCode(['lit (bundled alone by esbuild)'], await bundleAlone("export * from 'lit';")),
    lightweightCharts: await measureCode(
      ['lightweight-charts (createChart + CandlestickSeries, bundled alone by esbuild)'],
      await bundleAlone("export { createChart, CandlestickSeries, LineSeries, AreaSeries } from 'lightweight-charts';"),
    ),
    errors,
  };
  if (existsSync(join(root, 'src/index.ts'))) {
    try {
      result.breakdown = await mainBreakdown();
      result.perElement = {};
      for (const tag of ELEMENT_TAGS) result.perElement[tag] = await elementAlone(tag);
    } catch (error) {
      errors.push(`breakdown: ${(error as Error).message.slice(0, 300)}`);
    }
  }
  if (entry && existsSync(entry)) {
    const graph = importGraph(entry);
    result.main = await measureFiles(graph.staticFiles, distDir!);
    if (graph.dynamicFiles.length > 0) result.chart = await measureFiles(graph.dynamicFiles, distDir!);
    else errors.push('no dynamically imported chunk found: is the chart lazy?');
  } else errors.push(`no built kit at ${entry || '(none)'}`);
  return result;
}
