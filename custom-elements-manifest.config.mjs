// @ts-check
// `npm run analyze`: custom-elements.json plus what is generated from it (framework types in
// types/, editor data in editors/). All of it is committed, shipped, and checked fresh in CI
// (.ci/run) and true in test/tooling/manifest.test.ts.
import { getTsProgram, typeParserPlugin } from '@wc-toolkit/type-parser';
import { jsxTypesPlugin } from '@wc-toolkit/jsx-types';
import { customElementVsCodePlugin } from 'custom-element-vs-code-integration';
import { customElementJetBrainsPlugin } from 'custom-element-jet-brains-integration';
import { defineElementPlugin } from './scripts/cem/define-element.mjs';
import { constantDefaultsPlugin } from './scripts/cem/constant-defaults.mjs';
import { cssPropertyDefaultsPlugin } from './scripts/cem/css-property-defaults.mjs';
import { unionTypesPlugin } from './scripts/cem/union-types.mjs';
import { pruneTypeImportsPlugin, vueTypesPlugin } from './scripts/cem/framework-types.mjs';
import { distPathsPlugin } from './scripts/cem/dist-paths.mjs';

/** Modules sorted by path: the analyzer lists them in directory-read order, which differs between checkouts. */
const sortModules = {
  name: 'lmw-sort-modules',
  /** @param {{ customElementsManifest: any }} p */
  packageLinkPhase({ customElementsManifest }) {
    customElementsManifest.modules.sort((/** @type {any} */ a, /** @type {any} */ b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  },
};

/** The generated types import the classes and event details from the package's entry (relative to types/). */
const globalTypePath = '../dist/index.js';

export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/*.styles.ts', 'src/protocol/**', 'src/stream/**', 'src/controllers/**'],
  outdir: '.',
  litelement: true,
  // The type parser needs the whole program (aliases such as `Interval` live in src/protocol).
  overrideModuleCreation({ ts, globs }) {
    const program = getTsProgram(ts, globs, 'tsconfig.json');
    return program.getSourceFiles().filter((sf) => globs.find((glob) => sf.fileName.includes(glob)));
  },
  plugins: [
    defineElementPlugin(),
    // Aliases (`Interval`, `ChartType`, `Theme`, `SortKey`) written out as their unions (union-types.mjs).
    typeParserPlugin(),
    unionTypesPlugin(),
    constantDefaultsPlugin(),
    cssPropertyDefaultsPlugin(),
    sortModules,
    distPathsPlugin(),
    // Generated from the finished manifest. The elements have no public methods (only protected
    // hooks), so the generated docs leave the methods section out.
    jsxTypesPlugin({ outdir: 'types', fileName: 'react.d.ts', globalTypePath, exclude: ['MarketElement'], stronglyTypedEvents: true, hideMethodDocs: true }),
    vueTypesPlugin({ outdir: 'types', fileName: 'vue.d.ts', globalTypePath, exclude: ['MarketElement'], hideLogs: true, hideMethodDocs: true }),
    customElementVsCodePlugin({ outdir: 'editors', htmlFileName: 'vscode.html-custom-data.json', cssFileName: 'vscode.css-custom-data.json', hideLogs: true, hideMethodDocs: true }),
    customElementJetBrainsPlugin({ outdir: 'editors', webTypesFileName: 'web-types.json', hideLogs: true, hideMethodDocs: true }),
    pruneTypeImportsPlugin(['types/react.d.ts', 'types/vue.d.ts']),
  ],
};
