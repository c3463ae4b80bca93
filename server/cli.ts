/**
 * `npm run server -- [flags]`: runs the reference market server until SIGINT or
 * SIGTERM, then closes every client with 1001 and exits 0.
 */
import { fileURLToPath } from 'node:url';
import { startMarketServer } from './app.js';
import { OPTIONS, optionForFlag, parseFlag, usage, type MarketServerOptions, type OptionSpec } from './options.js';

/** A bad command line: exit code 2 with the usage. */
export class UsageError extends TypeError {}

/** Environment variables that may hold secrets (a flag overrides them). */
export const SECRET_ENV = { LMW_AUTH_SECRET: 'authSecret', LMW_ADMIN_TOKEN: 'adminToken', LMW_PUBLISH_TOKEN: 'publishToken' } as const;

/**
 * Parses argv (without node and script) through the options schema; returns the
 * options, or 'help'. `env` supplies secrets (SECRET_ENV) that no flag gave.
 * Combinations are checked by startMarketServer (exit 1), except --speed without --replay.
 */
export function parseArgs(
  argv: readonly string[],
  repoRoot: string,
  env: Readonly<Record<string, string | undefined>> = {},
): MarketServerOptions | 'help' {
  const options: Record<string, unknown> = { port: OPTIONS.port.cliDefault, host: OPTIONS.host.default };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    let flag = arg.slice(2);
    let value: string | undefined;
    const eq = flag.indexOf('=');
    if (eq >= 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const name = flag === 'help' ? undefined : optionForFlag(flag);
    if (flag !== 'help' && name === undefined) throw new UsageError(`unknown option --${flag}`);
    const spec = name && (OPTIONS[name] as OptionSpec);
    if (!spec || !spec.metavar) {
      if (value !== undefined) throw new UsageError(`--${flag} takes no value`);
      if (flag === 'help') return 'help';
      if (name === 'staticRoot') options.staticRoot = repoRoot;
      else options[name!] = true;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${flag} needs a value`);
    }
    try {
      options[name!] = parseFlag(name!, value);
    } catch (error) {
      throw error instanceof TypeError ? new UsageError(error.message) : error;
    }
    if (name === 'replayFile') options.feed = 'replay';
  }
  for (const [variable, key] of Object.entries(SECRET_ENV)) {
    const value = env[variable];
    if (options[key] === undefined && value !== undefined && value !== '') options[key] = value;
  }
  if (options.speed !== undefined && options.feed !== 'replay') throw new UsageError('--speed only applies with --replay FILE');
  return options as MarketServerOptions;
}

const USAGE = usage();

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
