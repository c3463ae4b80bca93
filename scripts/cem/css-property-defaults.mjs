// @ts-check
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every `var(--lmw-name, fallback)` in the style modules under `root`: name → fallback.
 * The fallback is read up to its balanced closing parenthesis (it may hold `light-dark(…)`).
 * @param {string} root
 */
export function cssFallbacks(root) {
  /** @type {Map<string, string>} */
  const fallbacks = new Map();
  for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.styles.ts')) continue;
    const text = readFileSync(join(root, file), 'utf8');
    for (const match of text.matchAll(/var\((--lmw-[\w-]+),\s*/g)) {
      let depth = 1;
      let end = /** @type {number} */ (match.index) + match[0].length;
      const start = end;
      for (; end < text.length && depth > 0; end++) {
        if (text[end] === '(') depth++;
        else if (text[end] === ')') depth--;
      }
      const name = /** @type {string} */ (match[1]);
      const value = text.slice(start, end - 1).replace(/\s+/g, ' ').trim();
      const known = fallbacks.get(name);
      if (known !== undefined && known !== value) throw new Error(`${name} has two fallbacks: ${known} and ${value} (${file})`);
      fallbacks.set(name, value);
    }
  }
  return fallbacks;
}

/**
 * CEM analyzer plugin: the default of each documented `--lmw-*` custom property is the
 * fallback the styles give it, so the manifest's defaults cannot drift from the CSS. A
 * `@cssprop [--name=default]` in JSDoc is kept, and must agree with the CSS when it has one.
 * @param {{ root?: string }} [options]
 * @returns {import('@custom-elements-manifest/analyzer').Plugin}
 */
export function cssPropertyDefaultsPlugin({ root = 'src' } = {}) {
  return {
    name: 'lmw-css-property-defaults',
    packageLinkPhase({ customElementsManifest }) {
      const fallbacks = cssFallbacks(root);
      for (const mod of customElementsManifest.modules) {
        for (const declaration of /** @type {any[]} */ (mod.declarations ?? [])) {
          for (const property of declaration.cssProperties ?? []) {
            const fallback = fallbacks.get(property.name);
            if (property.default !== undefined) {
              if (fallback !== undefined && fallback !== property.default)
                throw new Error(`${declaration.name}: @cssprop ${property.name} says ${property.default}, the CSS ${fallback}`);
              continue;
            }
            if (fallback !== undefined) property.default = fallback;
          }
        }
      }
    },
  };
}
