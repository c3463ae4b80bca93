// @ts-check
/**
 * CEM analyzer plugin: the manifest describes the package as shipped, so every module path
 * (`src/elements/x/x.ts`) becomes the file the modules build writes for it
 * (`dist/elements/x/x.js`, see vite.config.ts: preserveModules with root `src`).
 * Runs after every plugin that reads the source.
 * @returns {import('@custom-elements-manifest/analyzer').Plugin}
 */
export function distPathsPlugin() {
  /** @param {unknown} value @returns {unknown} */
  const rewrite = (value) => {
    // `src/x.ts` (module paths), and `/src/x.js` or `src/x/index.js` (import specifiers resolved by the analyzer).
    if (typeof value === 'string') return value.replace(/^\/?src\/(.+)\.(?:ts|js)$/, 'dist/$1.js');
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === 'object') {
      const object = /** @type {Record<string, unknown>} */ (value);
      for (const key of Object.keys(object)) if (key === 'path' || key === 'module' || typeof object[key] === 'object') object[key] = rewrite(object[key]);
    }
    return value;
  };
  return {
    name: 'lmw-dist-paths',
    packageLinkPhase({ customElementsManifest }) {
      rewrite(customElementsManifest.modules);
    },
  };
}
