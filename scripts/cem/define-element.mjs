// @ts-check
/**
 * CEM analyzer plugin: the elements register through `defineElement('tag', Class)`
 * (src/elements/base/define.ts), a call the analyzer does not know. This plugin reads those
 * calls as it reads `customElements.define`: a `custom-element-definition` export per tag,
 * and the class's `tagName`. A class whose `@tagname` disagrees with its call fails the run.
 * @returns {import('@custom-elements-manifest/analyzer').Plugin}
 */
export function defineElementPlugin() {
  return {
    name: 'lmw-define-element',
    analyzePhase({ ts, node, moduleDoc }) {
      if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression) || node.expression.text !== 'defineElement') return;
      const [tagArg, classArg] = node.arguments;
      if (!tagArg || !classArg || !ts.isStringLiteral(tagArg) || !ts.isIdentifier(classArg)) return;
      const tag = tagArg.text;
      const className = classArg.text;
      const klass = /** @type {any} */ (moduleDoc.declarations?.find((d) => d.name === className));
      if (!klass) throw new Error(`defineElement('${tag}', ${className}): ${className} is not declared in ${moduleDoc.path}`);
      if (klass.tagName && klass.tagName !== tag)
        throw new Error(`${className}: @tagname ${klass.tagName} but defineElement('${tag}')`);
      klass.tagName = tag;
      klass.customElement = true;
      moduleDoc.exports = [
        ...(moduleDoc.exports ?? []),
        { kind: 'custom-element-definition', name: tag, declaration: { name: className, module: moduleDoc.path } },
      ];
    },
  };
}
