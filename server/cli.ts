/**
 * `npm run server -- [flags]`: runs the reference market server until SIGINT or
 * SIGTERM, then closes every client with 1001 and exits 0.
 */
import { fileURLToPath } from 'node:url';
import { startMarketServer, type MarketServerOptions } from './app.js';
import { normalizeOrigin } from './auth.js';

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
  --admin-token T        require "Authorization: Bearer T" on /admin/* (needed for
                         --dev-controls on a host other than loopback)
  --demo                 serve the demo page (GET /) and the built bundle (/dist/)

Security and limits (docs/reliability.md):
  --auth-secret S        turn auth on: the hello token must be an HS256 JWT signed
                         with S, with "exp" and a "topics" claim (patterns such as
                         candles:* or portfolio:alice)
  --allowed-origins A,B  WebSocket upgrades whose Origin is not listed get HTTP 403
                         (e.g. https://app.example.com,http://localhost:5173)
  --max-connections N    open WebSockets in total, then HTTP 503 (default 10000; 0 = no limit)
  --max-connections-per-ip N
                         open WebSockets per client address, then HTTP 429
                         (default 0 = no limit)
  --max-subscriptions N  topics per connection (default 100)
  --client-rate N        client frames per second per connection (default 20; 0 = off)
  --client-burst N       frames a client may send at once (default: max subscriptions + 20 = 120)
  --max-buffered-bytes N send buffer over which a client is a slow consumer and is
                         closed with 4408 (default 1048576; 0 = off)
  --help                 show this help

Secrets may also come from the environment, which keeps them out of the process
list: LMW_AUTH_SECRET, LMW_ADMIN_TOKEN, LMW_PUBLISH_TOKEN (a flag wins).

Prints "listening on ws://HOST:PORT/stream" when ready.`;

export class UsageError extends Error {}

const VALUE_FLAGS = new Set([
  'port', 'host', 'seed', 'symbols', 'rate', 'feed', 'replay', 'speed', 'history', 'heartbeat-ms', 'max-frame-bytes', 'publish-token',
  'admin-token', 'auth-secret', 'allowed-origins', 'max-connections', 'max-connections-per-ip', 'max-subscriptions', 'client-rate',
  'client-burst', 'max-buffered-bytes',
]);

/** Environment variables that may hold secrets (a flag overrides them). */
export const SECRET_ENV = { LMW_AUTH_SECRET: 'authSecret', LMW_ADMIN_TOKEN: 'adminToken', LMW_PUBLISH_TOKEN: 'publishToken' } as const;
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

/**
 * Parses argv (without node and script); returns the options, or 'help'. `env` supplies
 * secrets (SECRET_ENV) that no flag gave.
 */
export function parseArgs(
  argv: readonly string[],
  repoRoot: string,
  env: Readonly<Record<string, string | undefined>> = {},
): MarketServerOptions | 'help' {
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
      case 'admin-token':
        if (value === '') throw new UsageError('--admin-token must not be empty');
        options.adminToken = value;
        break;
      case 'auth-secret':
        if (value === '') throw new UsageError('--auth-secret must not be empty');
        options.authSecret = value;
        break;
      case 'allowed-origins': {
        const origins = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
        if (origins.length === 0) throw new UsageError('--allowed-origins needs at least one origin');
        for (const origin of origins) {
          if (normalizeOrigin(origin) === undefined) throw new UsageError(`--allowed-origins: "${origin}" is not an origin (scheme://host[:port])`);
        }
        options.allowedOrigins = origins;
        break;
      }
      case 'max-connections':
        options.maxConnections = integer(name, value, 0);
        break;
      case 'max-connections-per-ip':
        options.maxConnectionsPerIp = integer(name, value, 0);
        break;
      case 'max-subscriptions':
        options.maxSubscriptions = integer(name, value, 0);
        break;
      case 'client-rate': {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--client-rate must be a non-negative number, got "${value}"`);
        options.clientRate = n;
        break;
      }
      case 'client-burst':
        options.clientBurst = integer(name, value, 1);
        break;
      case 'max-buffered-bytes':
        options.maxBufferedBytes = integer(name, value, 0);
        break;
    }
  }
  for (const [variable, key] of Object.entries(SECRET_ENV)) {
    const value = env[variable];
    if (options[key] === undefined && value !== undefined && value !== '') options[key] = value;
  }
  if (options.speed !== undefined && options.feed !== 'replay') throw new UsageError('--speed only applies with --replay FILE');
  return options;
}

async function main(): Promise<void> {
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  let options: MarketServerOptions | 'help';
  try {
    options = parseArgs(process.argv.slice(2), repoRoot, process.env);
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
