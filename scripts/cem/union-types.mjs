// @ts-check
/** A union of literals (and `undefined`/`null`), as the type parser writes it: `'a' | 'b' | undefined`. */
const LITERAL_UNION = /^(?:'[^']*'|-?\d+(?:\.\d+)?|true|false|undefined|null)(?: \| (?:'[^']*'|-?\d+(?:\.\d+)?|true|false|undefined|null))+$/;

/**
 * CEM analyzer plugin, after `@wc-toolkit/type-parser` (which writes each resolved type into
 * `parsedType`): an attribute or attribute-backed property typed with an alias (`Interval`,
 * `ChartType`, `Theme`, `SortKey`) gets the alias's union of literals as its `type`, which is
 * what editors, the framework types and readers of the manifest can use. Other resolved types
 * (objects, class instances) stay as written; `parsedType` is dropped everywhere.
 * @returns {import('@custom-elements-manifest/analyzer').Plugin}
 */
export function unionTypesPlugin() {
  return {
    name: 'lmw-union-types',
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules) {
        for (const declaration of /** @type {any[]} */ (mod.declarations ?? [])) {
          for (const item of [...(declaration.attributes ?? []), ...(declaration.members ?? []), ...(declaration.events ?? [])]) {
            const parsed = item.parsedType?.text;
            delete item.parsedType;
            for (const parameter of item.parameters ?? []) delete parameter.parsedType;
            const backsAttribute = 'fieldName' in item || item.attribute !== undefined;
            if (backsAttribute && typeof parsed === 'string' && LITERAL_UNION.test(parsed)) item.type = { text: parsed };
          }
        }
      }
    },
  };
}
