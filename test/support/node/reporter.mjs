// @ts-check
/**
 * node:test reporter that counts results and yields one JSON line at the end,
 * `{"passed":N,"failed":N,"skipped":N}`, for scripts/test.mjs (which passes it
 * `--test-reporter-destination=<file>` next to the spec reporter on stdout).
 *
 * What counts (node's own summary counts differently: parents as tests, no suite failures):
 * - leaf tests only: a suite, or a test with subtests, is not counted when it passed;
 * - a failed suite or parent with no failed descendant (a failing before/after hook, a test
 *   that throws after its subtests) counts as 1 failure;
 * - cancelled tests (`cancelledByParent`, timeouts) are failures, as are files that failed to
 *   import or crashed after their tests: node reports those as a test named after the file;
 * - skipped and todo tests (todo even when it fails: it does not fail the run) are skipped,
 *   and so is a skipped suite, whose tests node does not report.
 *
 * node reports a test after its subtests (pass/fail events come in declaration order), so
 * the events at nesting n + 1 since the last one at nesting <= n are the children of the next
 * event at nesting n.
 * @param {AsyncIterable<{ type: string, data: any }>} source
 */
export default async function* nodeReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  /** Per nesting level: what the tests reported since the last event one level up held. */
  const below = [];
  for await (const { type, data } of source) {
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    const level = data.nesting;
    const children = below[level + 1] ?? { reported: 0, failed: 0 };
    below.length = level + 1;
    const mine = (below[level] ??= { reported: 0, failed: 0 });
    let failed = 0;
    const isParent = data.details?.type === 'suite' || children.reported > 0;
    if (data.skip || data.todo) {
      if (!isParent || children.reported === 0) counts.skipped++;
    } else if (type === 'test:fail') {
      if (!isParent || children.failed === 0) failed = 1;
    } else if (!isParent) {
      counts.passed++;
    }
    counts.failed += failed;
    mine.reported += 1 + children.reported;
    mine.failed += failed + children.failed;
  }
  yield `${JSON.stringify(counts)}\n`;
}
