export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/*.styles.ts', 'src/protocol/**'],
  outdir: '.',
  litelement: true,
};
