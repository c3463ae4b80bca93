/** Modules sorted by path: the analyzer lists them in directory-read order, which differs between checkouts. */
const sortModules = {
  name: 'lmw-sort-modules',
  packageLinkPhase({ customElementsManifest }) {
    customElementsManifest.modules.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  },
};

export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/*.styles.ts', 'src/protocol/**', 'src/stream/**', 'src/controllers/**'],
  outdir: '.',
  litelement: true,
  plugins: [sortModules],
};
