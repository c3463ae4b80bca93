import { defineConfig } from 'vite';

// Vite 8 compiles TSX with Oxc (React's automatic runtime); no React plugin is needed to build.
// `base: './'` so the built page works from any folder (the tests serve it under /examples/react/dist/).
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
