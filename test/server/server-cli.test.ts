// The CLI as users run it: the listening line with the real port, clean exit on SIGTERM, usage errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CloseCode } from '../../src/protocol/index.js';
import { parseArgs } from '../../server/cli.js';
import { TestClient } from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function runCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('cli', () => {
  test('--port 0 prints the listening line with the real port; SIGTERM closes clients with 1001 and exits 0', async () => {
    const cli = runCli(['--port', '0', '--host', '127.0.0.1', '--rate', '2', '--symbols', 'AAA,BBB']);
    const deadline = Date.now() + 10_000;
    let match: RegExpMatchArray | null = null;
    while (!(match = /^listening on ws:\/\/127\.0\.0\.1:(\d+)\/stream$/m.exec(cli.out()))) {
      assert.ok(Date.now() < deadline, `no listening line; stderr: ${cli.err()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const port = Number(match[1]);
    assert.ok(port > 0);
    const client = await TestClient.connect({ url: `ws://127.0.0.1:${port}/stream` } as never);
    const subscribed = await client.sub('candles:BBB:1m');
    assert.equal(subscribed.op, 'subscribed');
    cli.child.kill('SIGTERM');
    assert.equal((await client.closed).code, CloseCode.GoingAway);
    assert.equal(await cli.exited, 0);
  });

  test('a bad flag gives a clear message and exit code 2; --help prints usage', async () => {
    const bad = runCli(['--port', 'eighty']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.err(), /--port must be an integer/);
    const help = runCli(['--help']);
    assert.equal(await help.exited, 0);
    assert.match(help.out(), /Usage: npm run server/);
  });

  test('parseArgs maps every flag', () => {
    assert.deepEqual(
      parseArgs(
        ['--port', '0', '--host', '0.0.0.0', '--seed', '9', '--symbols', 'A,B', '--rate', '2.5', '--history=50', '--heartbeat-ms', '100',
          '--max-frame-bytes', '2048', '--publish-token', 't', '--dev-controls', '--demo'],
        '/repo',
      ),
      {
        port: 0, host: '0.0.0.0', seed: 9, symbols: ['A', 'B'], rate: 2.5, history: 50, heartbeatMs: 100, maxFrameBytes: 2048,
        publishToken: 't', devControls: true, staticRoot: '/repo',
      },
    );
    assert.deepEqual(parseArgs(['--replay', 'f.jsonl', '--speed', '10'], '/r'), {
      port: 8080, host: '127.0.0.1', feed: 'replay', replayFile: 'f.jsonl', speed: 10,
    });
    assert.equal(parseArgs(['--feed', 'none'], '/r') !== 'help' && (parseArgs(['--feed', 'none'], '/r') as { feed?: string }).feed, 'none');
    for (const args of [['--feed', 'x'], ['--rate', '-1'], ['--speed', '2'], ['--nope'], ['--port'], ['stray'], ['--demo=1'], ['--symbols', ',']]) {
      assert.throws(() => parseArgs(args, '/r'), Error, args.join(' '));
    }
  });
});
