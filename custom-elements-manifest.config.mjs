export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/*.styles.ts', 'src/protocol/**', 'src/stream/**'],
  outdir: '.',
  litelement: true,
};
