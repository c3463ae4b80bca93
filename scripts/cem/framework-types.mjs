// @ts-check
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateVuejsTypes } from 'custom-element-vuejs-integration';

/** `sort-by` → `sortBy`, `onlmw-bar` → `onLmwBar`: the names Vue's templates compile to. */
const camelize = (/** @type {string} */ name) => name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());

/**
 * Vue 3 global components from `custom-element-vuejs-integration`, given the view of the
 * manifest that generator expects: it wraps an event's `type` in `CustomEvent<…>` itself (the
 * manifest has `CustomEvent<BarEventDetail>`, so it gets the detail type), and it offers every
 * public field as a prop, so read-only ones (`state`, `bars`, …) are left out. Its prop keys
 * are then renamed to what vue-tsc looks up: a template's `sort-by="…"` is checked as the prop
 * `sortBy`, and `@lmw-bar` as `onLmwBar`.
 * @param {Parameters<typeof generateVuejsTypes>[1] & { outdir: string, fileName: string }} options
 * @returns {import('@custom-elements-manifest/analyzer').Plugin}
 */
export function vueTypesPlugin(options) {
  return {
    name: 'lmw-vue-types',
    packageLinkPhase({ customElementsManifest }) {
      const view = structuredClone(customElementsManifest);
      for (const mod of view.modules) {
        for (const declaration of /** @type {any[]} */ (mod.declarations ?? [])) {
          declaration.members = declaration.members?.filter((/** @type {any} */ m) => !m.readonly);
          for (const event of declaration.events ?? []) {
            const detail = /^CustomEvent<(.+)>$/.exec(event.type?.text ?? '')?.[1];
            if (detail) event.type = { text: detail };
          }
        }
      }
      generateVuejsTypes(view, options);
      const file = join(options.outdir, options.fileName);
      const text = readFileSync(file, 'utf8').replace(/^(\s+)"(on)?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)"\?:/gm, (_, indent, on, name) =>
        `${indent}${on ? `on${camelize(`-${name}`)}` : camelize(name)}?:`,
      );
      writeFileSync(file, text);
    },
  };
}

/**
 * The generators import every export of each element's module (constants, helpers, the
 * same event detail from several modules). This plugin keeps, in each generated file's
 * `import type { … } from "…"`, only the names the file uses, so the types compile without
 * `skipLibCheck` (every kept name is exported by the entry, dist/index.d.ts).
 * @param {string[]} files
 * @returns {import('@custom-elements-manifest/analyzer').Plugin}
 */
export function pruneTypeImportsPlugin(files) {
  return {
    name: 'lmw-prune-type-imports',
    packageLinkPhase() {
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        const pruned = text.replace(/import type \{([^}]*)\} from ("[^"]+");\n/g, (_whole, names, from) => {
          const rest = text.replace(_whole, '');
          const used = [...new Set(String(names).split(',').map((n) => n.trim()).filter(Boolean))].filter((name) =>
            new RegExp(`\\b${name}\\b`).test(rest),
          );
          return `import type { ${used.join(', ')} } from ${from};\n`;
        });
        writeFileSync(file, pruned);
      }
    },
  };
}
