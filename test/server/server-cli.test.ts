// The CLI as users run it: the listening line with the real port, clean exit on SIGTERM, usage errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CloseCode } from '../../src/protocol/index.js';
import { parseArgs } from '../../server/cli.js';
import { TestClient } from '../support/node/server.js';

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
    // Usage errors are TypeErrors with the flag's name, from the options schema.
    assert.throws(() => parseArgs(['--port', '70000'], '/r'), (e: unknown) => e instanceof TypeError && /^--port must be an integer from 0 to 65535/.test(e.message));
    assert.equal(parseArgs(['--feed', 'none'], '/r') !== 'help' && (parseArgs(['--feed', 'none'], '/r') as { feed?: string }).feed, 'none');
    for (const args of [['--feed', 'x'], ['--rate', '-1'], ['--speed', '2'], ['--nope'], ['--port'], ['stray'], ['--demo=1'], ['--symbols', ',']]) {
      assert.throws(() => parseArgs(args, '/r'), Error, args.join(' '));
    }
  });

  test('parseArgs maps the security and limit flags; secrets may come from the environment, flags win', () => {
    assert.deepEqual(
      parseArgs(
        ['--auth-secret', 's', '--allowed-origins', 'https://a.example, http://localhost:5173', '--admin-token', 'adm', '--max-connections', '5',
          '--max-connections-per-ip', '2', '--max-subscriptions', '7', '--client-rate', '2.5', '--client-burst', '9', '--max-buffered-bytes', '4096',
          '--slow-consumer-ms', '2500'],
        '/r',
      ),
      {
        port: 8080, host: '127.0.0.1', authSecret: 's', allowedOrigins: ['https://a.example', 'http://localhost:5173'], adminToken: 'adm',
        maxConnections: 5, maxConnectionsPerIp: 2, maxSubscriptions: 7, clientRate: 2.5, clientBurst: 9, maxBufferedBytes: 4096,
        slowConsumerMs: 2500,
      },
    );
    const env = { LMW_AUTH_SECRET: 'from-env', LMW_ADMIN_TOKEN: 'adm-env', LMW_PUBLISH_TOKEN: 'pub-env' };
    assert.deepEqual(parseArgs([], '/r', env), { port: 8080, host: '127.0.0.1', authSecret: 'from-env', adminToken: 'adm-env', publishToken: 'pub-env' });
    assert.equal((parseArgs(['--auth-secret', 'flag'], '/r', env) as { authSecret?: string }).authSecret, 'flag');
    assert.deepEqual(parseArgs([], '/r', { LMW_AUTH_SECRET: '' }), { port: 8080, host: '127.0.0.1' });
    for (const args of [['--allowed-origins', 'not-an-origin'], ['--allowed-origins', ','], ['--client-rate', '-1'], ['--client-burst', '0'],
      ['--max-connections', '-1'], ['--auth-secret', ''], ['--admin-token='], ['--slow-consumer-ms', '-5'], ['--slow-consumer-ms', '1s']]) {
      assert.throws(() => parseArgs(args, '/r'), Error, args.join(' '));
    }
  });

  test('--help documents every security and limit flag; dev controls on a public host without an admin token exit 1', async () => {
    const help = runCli(['--help']);
    assert.equal(await help.exited, 0);
    for (const flag of ['--auth-secret', '--allowed-origins', '--admin-token', '--max-connections', '--max-connections-per-ip', '--max-subscriptions',
      '--client-rate', '--client-burst', '--max-buffered-bytes', 'LMW_AUTH_SECRET'])
      assert.ok(help.out().includes(flag), flag);
    const open = runCli(['--port', '0', '--host', '0.0.0.0', '--feed', 'none', '--dev-controls']);
    assert.equal(await open.exited, 1);
    assert.match(open.err(), /need adminToken/);
  });
});
