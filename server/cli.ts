/**
 * `npm run server -- [flags]`: runs the reference market server until SIGINT or
 * SIGTERM, then closes every client with 1001 and exits 0.
 */
import { fileURLToPath } from 'node:url';
import { startMarketServer, type MarketServerOptions } from './app.js';

const USAGE = `Usage: npm run server -- [options]

  --port N               port to listen on (0 = any free port; default 8080)
  --host H               address to bind (default 127.0.0.1)
  --seed N               simulator seed (default 1)
  --symbols A,B,...      simulated symbols (default BTC-USD,ETH-USD,SOL-USD,AAPL,MSFT,EURUSD)
  --rate N               simulated trades per second per symbol (default 5)
  --feed sim|none        market simulator or no feed (default sim)
  --replay FILE          replay a JSON Lines trades file ({symbol,price,size,time} per line)
  --speed X              replay speed factor (default 1)
  --history N            updates kept per topic for resume (default 10000)
  --heartbeat-ms N       WebSocket ping interval (default 15000)
  --max-frame-bytes N    largest client frame; larger ones close with 1009 (default 65536)
  --publish-token T      enable POST /api/trades with "Authorization: Bearer T"
  --dev-controls         enable POST /admin/drop|refuse|silence|gap
  --demo                 serve the demo page (GET /) and the built bundle (/dist/)
  --help                 show this help

Prints "listening on ws://HOST:PORT/stream" when ready.`;

export class UsageError extends Error {}

const VALUE_FLAGS = new Set([
  'port', 'host', 'seed', 'symbols', 'rate', 'feed', 'replay', 'speed', 'history', 'heartbeat-ms', 'max-frame-bytes', 'publish-token',
]);
const SWITCHES = new Set(['dev-controls', 'demo', 'help']);

function integer(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a positive number, got "${value}"`);
  return n;
}

/** Parses argv (without node and script); returns the options, or 'help'. */
export function parseArgs(argv: readonly string[], repoRoot: string): MarketServerOptions | 'help' {
  const options: MarketServerOptions = { port: 8080, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (SWITCHES.has(name)) {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      if (name === 'help') return 'help';
      if (name === 'dev-controls') options.devControls = true;
      if (name === 'demo') options.staticRoot = repoRoot;
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown option --${name}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    }
    switch (name) {
      case 'port':
        options.port = integer(name, value, 0, 65535);
        break;
      case 'host':
        options.host = value;
        break;
      case 'seed':
        options.seed = integer(name, value, 0, 2 ** 32 - 1);
        break;
      case 'symbols':
        options.symbols = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
        if (options.symbols.length === 0) throw new UsageError('--symbols needs at least one symbol');
        break;
      case 'rate': {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--rate must be a non-negative number, got "${value}"`);
        options.rate = n;
        break;
      }
      case 'feed':
        if (value !== 'sim' && value !== 'none') throw new UsageError(`--feed must be sim or none (use --replay FILE to replay), got "${value}"`);
        options.feed = value;
        break;
      case 'replay':
        options.feed = 'replay';
        options.replayFile = value;
        break;
      case 'speed':
        options.speed = positive(name, value);
        break;
      case 'history':
        options.history = integer(name, value, 0);
        break;
      case 'heartbeat-ms':
        options.heartbeatMs = integer(name, value, 1);
        break;
      case 'max-frame-bytes':
        options.maxFrameBytes = integer(name, value, 1);
        break;
      case 'publish-token':
        if (value === '') throw new UsageError('--publish-token must not be empty');
        options.publishToken = value;
        break;
    }
  }
  if (options.speed !== undefined && options.feed !== 'replay') throw new UsageError('--speed only applies with --replay FILE');
  return options;
}

async function main(): Promise<void> {
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  let options: MarketServerOptions | 'help';
  try {
    options = parseArgs(process.argv.slice(2), repoRoot);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  let server;
  try {
    server = await startMarketServer({ ...options, logger: (line) => console.log(line) });
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  console.log(`listening on ${server.url}`);
  if (options.staticRoot) console.log(`demo on ${server.httpUrl}/`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`error while closing: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
