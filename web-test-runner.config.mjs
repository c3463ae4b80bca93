// @ts-check
// Run through `node --import tsx` (see package.json) so this config can start the
// TypeScript reference server in-process.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { fileURLToPath } from 'node:url';
import { referenceServerPlugin } from './test/support/browser/reference-server-plugin.mjs';
import { redisClusterPlugin } from './test/support/browser/redis-cluster-plugin.mjs';
import { tabsCommandsPlugin } from './test/support/browser/tabs-commands.mjs';
import { countsReporter } from './test/support/browser/counts-reporter.mjs';
import { BROWSER_TEST_GLOBS } from './test/suites.mjs';
import { chromiumPath, chromiumArgs } from './scripts/chromium.mjs';

/** @type {import('@web/test-runner').TestRunnerConfig} */
export default {
  files: BROWSER_TEST_GLOBS, // every test/**/*.test.ts outside the node suite's folders
  nodeResolve: { exportConditions: ['production'] },
  // One file at a time: server commands (drop, restart, refuse) act on the one shared server.
  concurrency: 1,
  concurrentBrowsers: 1,
  testsFinishTimeout: 600_000,
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) }),
    referenceServerPlugin(),
    tabsCommandsPlugin(),
    // Three nodes on Redis behind a proxy, started only when a test asks (test/reliability/redis-cluster.test.ts).
    redisClusterPlugin(),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: chromiumPath(), headless: true, args: chromiumArgs },
    }),
  ],
  testFramework: { config: { timeout: 30_000 } },
  reporters: [defaultReporter(), countsReporter()],
};
