// @ts-check
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * wtr reporter that records the totals (passed, failed, skipped) for scripts/test.mjs,
 * which sums every suite into the one plain `N passed, N failed` line. A test file that
 * failed to load counts as one failure.
 * @returns {import('@web/test-runner').Reporter}
 */
export function countsReporter() {
  const target = process.env.LMW_COUNTS_FILE;
  return {
    onTestRunFinished({ sessions }) {
      let passed = 0, failed = 0, skipped = 0;
      /** @param {any} suite */
      const walk = (suite) => {
        let f = 0;
        for (const t of suite?.tests ?? []) {
          if (t.skipped) skipped++;
          else if (t.passed) passed++;
          else { failed++; f++; }
        }
        for (const s of suite?.suites ?? []) f += walk(s);
        return f;
      };
      for (const session of sessions) {
        const f = walk(session.testResults);
        if (!session.passed && f === 0) failed++;
      }
      const summary = { passed, failed, skipped };
      if (target) {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, JSON.stringify(summary));
      }
    },
  };
}
