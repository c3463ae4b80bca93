// docs/publishing.md stays true: its Python snippet (standard library only) runs against a real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getJson, serverFor } from '../support/node/server.js';

const TOKEN = 'doc-token';

/** The first ```python block of the doc. */
function pythonSnippet(): string {
  const doc = readFileSync(new URL('../../docs/publishing.md', import.meta.url), 'utf8');
  const match = /```python\n([\s\S]*?)```/.exec(doc);
  assert.ok(match, 'docs/publishing.md has a python block');
  return match[1]!;
}

function runPython(code: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('python3', ['-'], { env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(code);
  });
}

test('the Python snippet of docs/publishing.md pushes an event, a state patch and a position', async (t) => {
  const server = await serverFor(t, { feed: 'none', publishToken: TOKEN });
  const run = await runPython(pythonSnippet(), { LMW_URL: server.httpUrl, LMW_PUBLISH_TOKEN: TOKEN });
  assert.equal(run.code, 0, run.stderr);
  const printed = run.stdout.trim().split('\n');
  assert.equal(printed.length, 3, run.stdout);
  assert.match(printed[0]!, /'topic': 'events:bus', 'seq': 1, 'stored': 1/);
  assert.match(printed[1]!, /'topic': 'state:risk', 'seq': 1/);
  assert.match(printed[2]!, /'topic': 'portfolio:acme', 'seq': 1/);

  const snapshot = async (topic: string) => (await getJson(`${server.httpUrl}/api/snapshot?topic=${topic}`)).body.data;
  const events = await snapshot('events:bus');
  assert.deepEqual(events.events.map((e: any) => [e.type, e.id, e.data.symbol]), [['trade_executed', 'fill-1', 'AAPL']]);
  assert.deepEqual(await snapshot('state:risk'), { var95: 12500.5, limits: { gross: 1000000 } });
  const portfolio = await snapshot('portfolio:acme');
  assert.equal(portfolio.positions[0].marketValue, 1901.2);
  assert.deepEqual(portfolio.totals, { marketValue: 1901.2, unrealizedPnl: 51.2, realizedPnl: 0, totalPnl: 51.2 });

  // Run again: the event id makes the retry a no-op; a wrong token is reported with the server's reason.
  const again = await runPython(pythonSnippet(), { LMW_URL: server.httpUrl, LMW_PUBLISH_TOKEN: TOKEN });
  assert.match(again.stdout.split('\n')[0]!, /'seq': 1, 'stored': 0/);
  const refused = await runPython(pythonSnippet(), { LMW_URL: server.httpUrl, LMW_PUBLISH_TOKEN: 'wrong' });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /RuntimeError: 401: missing or wrong bearer token/);
});
