import { defineConfig, type Plugin } from 'vite';

/**
 * Minifies the static CSS in Lit `css` templates of our style modules (comments,
 * whitespace). Only templates without `${}` interpolations are touched.
 */
function minifyLitCss(): Plugin {
  return {
    name: 'lmw-minify-lit-css',
    apply: 'build',
    transform(code, id) {
      if (!/\/src\/elements\/.*\.styles\.ts$/.test(id)) return null;
      const minified = code.replace(/css`([^`]*)`/g, (whole, body: string) => {
        if (body.includes('${')) return whole;
        const min = body
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\s+/g, ' ')
          .replace(/\s*([{};,>])\s*/g, '$1')
          .replace(/;}/g, '}')
          .trim();
        // The removed line breaks go after the literal, so every later line keeps its
        // number and the existing source map stays right (hence `map: null`).
        return `css\`${min}\`` + '\n'.repeat(body.split('\n').length - 1);
      });
      return { code: minified, map: null };
    },
  };
}

/**
 * Three library builds (see `npm run build`, and docs/frameworks.md for which to use when):
 * - default mode: `dist/live-market-widgets.js`, ONE self-registering, minified ESM file
 *   with Lit and the kit inside, for a plain `<script type="module">`. lightweight-charts
 *   is a dynamic import, so it lands in its own chunk next to it and loads only when a
 *   chart is on the page.
 * - `--mode classic`: `dist/live-market-widgets.classic.js`, the same as ONE classic script
 *   (an IIFE, global `LiveMarketWidgets`) with lightweight-charts inside: for a plain
 *   `<script src>`, pages opened from `file://` (where module scripts are blocked) and CMSs
 *   that take only classic scripts.
 * - `--mode modules`: one ESM module per source file (Lit and lightweight-charts left as
 *   bare imports) for bundler users: `dist/index.js`, `dist/elements/<tag>/<tag>.js`, …
 *   Types come from `tsc -p tsconfig.build.json`.
 * - `--mode worker`: `dist/stream/tabs/shared-worker.js`, the shared worker host of
 *   docs/cross-tab.md as ONE self-contained, minified ES module (a worker script is loaded
 *   by URL, so nothing in it may be a bare import).
 */
export default defineConfig(({ mode }) => {
  const modules = mode === 'modules';
  const classic = mode === 'classic';
  if (mode === 'worker') {
    return {
      build: {
        outDir: 'dist',
        emptyOutDir: false,
        target: 'es2022',
        sourcemap: true,
        minify: true,
        reportCompressedSize: true,
        lib: { entry: 'src/stream/tabs/shared-worker.ts', formats: ['es'], fileName: () => 'stream/tabs/shared-worker.js' },
        rolldownOptions: { output: { codeSplitting: false, minify: true } },
      },
    };
  }
  return {
    plugins: [minifyLitCss()],
    server: { host: '127.0.0.1', port: 5173, strictPort: true },
    build: {
      outDir: 'dist',
      emptyOutDir: !modules && !classic, // the bundle build runs first and cleans dist/
      target: 'es2022',
      sourcemap: true,
      minify: !modules,
      reportCompressedSize: true,
      lib: {
        entry: 'src/index.ts',
        formats: [classic ? 'iife' : 'es'],
        name: 'LiveMarketWidgets',
        fileName: () => (modules ? 'index.js' : classic ? 'live-market-widgets.classic.js' : 'live-market-widgets.js'),
      },
      rolldownOptions: classic
        ? // A classic script cannot load a chunk: the chart library is inlined (still evaluated only when a chart needs it).
          { output: { codeSplitting: false, minify: true } }
        : modules
        ? {
            input: {
              index: 'src/index.ts',
              'elements/live-price-chart/live-price-chart': 'src/elements/live-price-chart/live-price-chart.ts',
              'elements/connection-badge/connection-badge': 'src/elements/connection-badge/connection-badge.ts',
              'elements/ws-metrics-panel/ws-metrics-panel': 'src/elements/ws-metrics-panel/ws-metrics-panel.ts',
              'elements/pnl-summary/pnl-summary': 'src/elements/pnl-summary/pnl-summary.ts',
            },
            external: [/^lit($|\/)/, /^@lit\//, /^lit-html($|\/)/, /^lit-element($|\/)/, /^lightweight-charts($|\/)/],
            output: {
              preserveModules: true,
              preserveModulesRoot: 'src',
              // Oxc's decorator helper is a virtual module (`_virtual/_@oxc-project_runtime@<v>/helpers/esm/decorate`):
              // it becomes dist/decorate.js instead of a versioned runtime folder in the package.
              entryFileNames: (chunk) => (chunk.name.startsWith('_virtual/') ? `${chunk.name.split('/').pop()}.js` : '[name].js'),
            },
          }
        : {
            output: {
              chunkFileNames: 'chunks/[name]-[hash].js',
              // Vite keeps whitespace in ES library builds; this file is for browsers as is.
              minify: true,
            },
          },
    },
  };
});
