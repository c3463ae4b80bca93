/**
 * axe-core run in the page (the real engine, shadow DOM included) on one element or a whole
 * document, failing with every violation spelled out. The UMD build registers `axe` on the
 * window that imports it; for a document in a same-origin iframe, the build is injected there.
 */
import 'axe-core/axe.min.js';
import type { AxeResults, RunOptions } from 'axe-core';

type AxeWindow = Window & { axe?: { run(context: Element | Document, options: RunOptions): Promise<AxeResults>; source?: string } };

const OPTIONS: RunOptions = { resultTypes: ['violations'] };

function describeViolations(results: AxeResults): string {
  return results.violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`)
    .join('\n');
}

/** Throws when axe finds any violation in `context` (an element, with its shadow tree, or a document). */
export async function expectNoAxeViolations(context: Element | Document, what = 'element'): Promise<void> {
  // nodeType, not instanceof: a document in an iframe is another realm's Document.
  const doc = context.nodeType === Node.DOCUMENT_NODE ? (context as Document) : context.ownerDocument!;
  const win = doc.defaultView as AxeWindow;
  if (!win.axe) {
    // Another document (an iframe): load the same build into it.
    const script = doc.createElement('script');
    script.src = new URL('/node_modules/axe-core/axe.min.js', location.href).href;
    const loaded = new Promise((resolve, reject) => {
      script.onload = resolve;
      script.onerror = reject;
    });
    doc.head.append(script);
    await loaded;
  }
  const results = await win.axe!.run(context, OPTIONS);
  if (results.violations.length > 0) throw new Error(`axe found violations in ${what}:\n${describeViolations(results)}`);
}
