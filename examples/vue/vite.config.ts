import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/** The kit's tags: Vue renders them as custom elements instead of resolving Vue components. */
const LMW_TAGS = new Set(['live-price-chart', 'connection-badge', 'ws-metrics-panel', 'pnl-summary']);

// `base: './'` so the built page works from any folder (the tests serve it under /examples/vue/dist/).
export default defineConfig({
  base: './',
  plugins: [vue({ template: { compilerOptions: { isCustomElement: (tag) => LMW_TAGS.has(tag) } } })],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
