// @ts-check
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The exported literal constants of `root` (`export const NAME = 2_000;`, `= 'x'`), by name,
 * as the manifest writes a default (`2000`, `'x'`).
 * @param {string} root
 */
function exportedConstants(root) {
  /** @type {Map<string, string>} */
  const constants = new Map();
  for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(join(root, file), 'utf8');
    for (const match of text.matchAll(/^export const ([A-Z][A-Z0-9_]*)(?::[^=]+)? = (-?[\d_.]+|'[^'\n]*'|true|false);/gm))
      constants.set(/** @type {string} */ (match[1]), /** @type {string} */ (match[2]).replace(/_/g, ''));
  }
  return constants;
}

/**
 * CEM analyzer plugin: a default written as a constant (`maxBars = DEFAULT_MAX_BARS`) is
 * recorded by the analyzer as that name, which means nothing to a reader of the manifest.
 * This plugin replaces it with the constant's literal value (and gives a number its type).
 * A default that names a constant it cannot resolve fails the run.
 * @param {{ root?: string }} [options]
 * @returns {import('@custom-elements-manifest/analyzer').Plugin}
 */
export function constantDefaultsPlugin({ root = 'src' } = {}) {
  return {
    name: 'lmw-constant-defaults',
    packageLinkPhase({ customElementsManifest }) {
      const constants = exportedConstants(root);
      for (const mod of customElementsManifest.modules) {
        for (const declaration of /** @type {any[]} */ (mod.declarations ?? [])) {
          for (const item of [...(declaration.members ?? []), ...(declaration.attributes ?? [])]) {
            if (typeof item.default !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(item.default)) continue;
            const value = constants.get(item.default);
            if (value === undefined) throw new Error(`${declaration.name}.${item.name}: default ${item.default} is not a literal constant under ${root}/`);
            item.default = value;
            if (!item.type && /^-?[\d.]+$/.test(value)) item.type = { text: 'number' };
          }
        }
      }
    },
  };
}
