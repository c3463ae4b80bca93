/**
 * The one schema of the server's options: type, default, validation, CLI flag and
 * `--help` text. `startMarketServer` resolves its options through `resolveOptions`,
 * the CLI parses argv through `parseFlag` and prints `usage()`; the docs' tables are
 * checked against `OPTIONS` by test/server/server-options.test.ts.
 */
import { DEFAULT_EVENTS_KEPT, DEFAULT_HEARTBEAT_MS, DEFAULT_EXACT_HISTORY, DEFAULT_HISTORY, DEFAULT_HISTORY_MS, DEFAULT_MAX_FRAME_BYTES, validateTrade } from '../src/protocol/index.js';
import { isLoopbackHost, normalizeOrigin } from './auth.js';

export interface MarketServerOptions {
  host?: string;
  /** 0 = a free port. */
  port?: number;
  seed?: number;
  symbols?: string[];
  rate?: number;
  feed?: 'sim' | 'none' | 'replay';
  /** JSON Lines trades file ({symbol,price,size,time} per line); implies feed 'replay'. */
  replayFile?: string;
  speed?: number;
  /** Updates a log topic (events, state) keeps for exact resume. */
  history?: number;
  /** Age (ms) past which a log topic's updates no longer answer a resume. */
  historyMs?: number;
  /** Updates a keyed topic (candles, portfolio) keeps for clients without compacted resume. */
  exactHistory?: number;
  /** Events an `events:` topic's snapshot holds. */
  eventsKept?: number;
  /** Publishing requests per second (all publish routes together; 0 = off); past it 429. */
  publishRate?: number;
  heartbeatMs?: number;
  maxFrameBytes?: number;
  /** Enables POST /api/trades, /api/events/*, /api/portfolio/* and PUT/PATCH /api/state/*. */
  publishToken?: string;
  /** Enables POST /admin/* (drop, refuse, silence, gap, stall). */
  devControls?: boolean;
  /** Bearer token required on /admin/*; without it dev controls are allowed only on a loopback host. */
  adminToken?: string;
  /** Turns auth on: hello tokens must be HS256 JWTs signed with this secret, with `exp` and `topics`. */
  authSecret?: string;
  /** When set, WebSocket upgrades whose Origin header is not listed get HTTP 403 (no Origin: allowed). */
  allowedOrigins?: string[];
  maxConnections?: number;
  maxConnectionsPerIp?: number;
  maxSubscriptions?: number;
  clientRate?: number;
  clientBurst?: number;
  maxBufferedBytes?: number;
  /** How long (ms) a client's send buffer may stay at or past maxBufferedBytes without draining before it is closed with 4408. */
  slowConsumerMs?: number;
  /** When set, serve the demo: GET / -> <staticRoot>/demo/index.html, /demo/*, /dist/*. */
  staticRoot?: string;
  /**
   * Topics live in Redis (`redis://host:port[/db]`), so several server nodes serve them and a
   * client resumes on any node (docs/scaling.md). Unset: the in-memory engine.
   */
  redis?: string;
  /** Default: no logging (tests); the CLI passes console.log. */
  logger?: (line: string) => void;
}

export type OptionName = keyof MarketServerOptions;

/** One option. `label` in messages is `--flag` for the CLI and the option name for the API. */
export interface OptionSpec {
  /** CLI flag without `--`; none for API-only options. */
  flag?: string;
  /** Placeholder in `--help` ('N', 'FILE', ...); none for a switch. */
  metavar?: string;
  /** `--help` text (without the default, which is appended from `default`). */
  help: string;
  /** Where `--help` lists it. */
  group: 'server' | 'limits';
  default?: unknown;
  /** The CLI's own default when it differs from the API's (port). */
  cliDefault?: unknown;
  /** How a default is written in docs and `--help`. */
  unit?: 'bytes' | 'plain';
  /** What 0 means, for counts where 0 turns the limit off ('no limit', 'off'). */
  zero?: string;
  /** What leaving it unset means, for options without a default ('any', 'off'). */
  unset?: string;
  /** A default that depends on other options, as written in docs and `--help`. */
  derived?: string;
  /** Checks a value given to the API; throws TypeError. */
  check?(value: unknown, label: string): void;
  /** Turns a flag's text into a value (then `check` runs too); default: the text itself. */
  parse?(text: string, label: string): unknown;
}

function fail(message: string): never {
  throw new TypeError(message);
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER): Pick<OptionSpec, 'check' | 'parse'> {
  const range = max !== Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}` : min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`;
  const check = (value: unknown, label: string) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) fail(`${label} must be ${range}, got ${show(value)}`);
  };
  return {
    check,
    // Range-checked here too, so a flag can be stricter than the API (`check` still runs after).
    parse(text, label) {
      if (!/^-?\d+$/.test(text)) fail(`${label} must be ${range}, got ${show(text)}`);
      check(Number(text), label);
      return Number(text);
    },
  };
}

function number(kind: 'non-negative' | 'positive'): Pick<OptionSpec, 'check' | 'parse'> {
  const check = (value: unknown, label: string) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (kind === 'positive' && value === 0))
      fail(`${label} must be a ${kind} number, got ${show(value)}`);
  };
  return {
    check,
    parse(text, label) {
      if (text.trim() === '') fail(`${label} must be a ${kind} number, got ${show(text)}`);
      return Number(text);
    },
  };
}

function nonEmptyString(): Pick<OptionSpec, 'check'> {
  return {
    check(value, label) {
      if (typeof value !== 'string' || value === '') fail(`${label} must not be empty`);
    },
  };
}

/** A comma-separated list on the CLI, an array in the API; `each` checks one entry. */
function list(what: string, each: (entry: string, label: string) => void): Pick<OptionSpec, 'check' | 'parse'> {
  return {
    check(value, label) {
      if (!Array.isArray(value)) fail(`${label} must be an array of ${what}s`);
      for (const entry of value) {
        if (typeof entry !== 'string') fail(`${label}: ${show(entry)} is not a ${what}`);
        each(entry, label);
      }
    },
    parse(text, label) {
      const entries = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (entries.length === 0) fail(`${label} needs at least one ${what}`);
      return entries;
    },
  };
}

/** Throws a TypeError unless `text` is `redis://[user:password@]host[:port][/db]` (or `rediss://`). */
function redisUrlError(text: string, label: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(`${label} must be a URL such as redis://127.0.0.1:6379/0, got ${show(text.slice(0, 80))}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') fail(`${label} must start with redis:// or rediss://, got ${show(text.slice(0, 80))}`);
  if (url.hostname === '') fail(`${label} needs a host (redis://host:port[/db])`);
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) fail(`${label}: the path must be a database number such as /0, got ${show(url.pathname)}`);
  if (url.search !== '' || url.hash !== '') fail(`${label} takes no query or fragment`);
}

export const DEFAULT_SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'EURUSD'];
/** Frames beyond the subscriptions that the default burst leaves room for (hello, pings, unsubs). */
export const RESUBSCRIBE_HEADROOM = 20;
const DEFAULT_MAX_SUBSCRIPTIONS = 100;

/** Every option, in `--help` order. The `satisfies` makes a missing or extra option a type error. */
export const OPTIONS = {
  port: { flag: 'port', metavar: 'N', group: 'server', help: 'port to listen on (0 = any free port)', default: 0, cliDefault: 8080, unit: 'plain', ...integer(0, 65535) },
  host: { flag: 'host', metavar: 'H', group: 'server', help: 'address to bind', default: '127.0.0.1', ...nonEmptyString() },
  seed: {
    flag: 'seed', metavar: 'N', group: 'server', help: 'simulator seed', default: 1,
    check(value, label) {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${label} must be a number, got ${show(value)}`);
    },
    parse: integer(0, 2 ** 32 - 1).parse,
  },
  symbols: {
    flag: 'symbols', metavar: 'A,B,...', group: 'server', help: 'simulated symbols', default: DEFAULT_SYMBOLS,
    ...list('symbol', (symbol, label) => {
      if (validateTrade({ symbol, price: 1, size: 0, time: 0 }) !== null) fail(`${label}: bad symbol "${symbol}"`);
    }),
  },
  rate: { flag: 'rate', metavar: 'N', group: 'server', help: 'simulated trades per second per symbol', default: 5, ...number('non-negative') },
  feed: {
    flag: 'feed', metavar: 'sim|none', group: 'server', help: 'market simulator or no feed', default: 'sim',
    check(value, label) {
      if (value !== 'sim' && value !== 'none' && value !== 'replay') fail(`${label} must be sim, none or replay, got ${show(value)}`);
    },
    // On the CLI a replay is chosen with --replay FILE.
    parse(text, label) {
      if (text !== 'sim' && text !== 'none') fail(`${label} must be sim or none (use --replay FILE to replay), got ${show(text)}`);
      return text;
    },
  },
  replayFile: { flag: 'replay', metavar: 'FILE', group: 'server', help: 'replay a JSON Lines trades file ({symbol,price,size,time} per line)', ...nonEmptyString() },
  speed: { flag: 'speed', metavar: 'X', group: 'server', help: 'replay speed factor', default: 1, ...number('positive') },
  history: { flag: 'history', metavar: 'N', group: 'server', help: 'updates a log topic (events:, state:) keeps for resume', default: DEFAULT_HISTORY, ...integer(0) },
  historyMs: {
    flag: 'history-ms', metavar: 'N', group: 'server', help: 'age in ms past which a log topic\'s updates no longer answer a resume', default: DEFAULT_HISTORY_MS,
    ...integer(1),
  },
  exactHistory: {
    flag: 'exact-history', metavar: 'N', group: 'server',
    help: 'updates a candle or portfolio topic keeps for clients without compacted resume', default: DEFAULT_EXACT_HISTORY, ...integer(0),
  },
  eventsKept: {
    flag: 'events-kept', metavar: 'N', group: 'server', help: 'events an events: topic\'s snapshot holds (oldest dropped)', default: DEFAULT_EVENTS_KEPT,
    ...integer(1, 100_000),
  },
  heartbeatMs: { flag: 'heartbeat-ms', metavar: 'N', group: 'server', help: 'WebSocket ping interval in ms', default: DEFAULT_HEARTBEAT_MS, ...integer(1) },
  maxFrameBytes: {
    flag: 'max-frame-bytes', metavar: 'N', group: 'server', help: 'largest client frame; larger ones close with 1009', default: DEFAULT_MAX_FRAME_BYTES,
    unit: 'bytes', ...integer(1),
  },
  publishToken: {
    flag: 'publish-token', metavar: 'T', group: 'server',
    help: 'enable publishing (POST /api/trades, /api/events/C, /api/portfolio/A; PUT/PATCH /api/state/K) with "Authorization: Bearer T"',
    ...nonEmptyString(),
  },
  devControls: {
    flag: 'dev-controls', group: 'server', help: 'enable POST /admin/drop|refuse|silence|gap|stall',
    check(value, label) {
      if (typeof value !== 'boolean') fail(`${label} must be a boolean, got ${show(value)}`);
    },
  },
  adminToken: {
    flag: 'admin-token', metavar: 'T', group: 'server',
    help: 'require "Authorization: Bearer T" on /admin/* (needed for --dev-controls on a host other than loopback)', ...nonEmptyString(),
  },
  staticRoot: { flag: 'demo', group: 'server', help: 'serve the demo page (GET /) and the built bundle (/dist/)', ...nonEmptyString() },
  authSecret: {
    flag: 'auth-secret', metavar: 'S', group: 'limits', unset: 'off',
    help: 'turn auth on: the hello token must be an HS256 JWT signed with S, with "exp" and a "topics" claim (patterns such as candles:* or portfolio:alice)',
    ...nonEmptyString(),
  },
  allowedOrigins: {
    flag: 'allowed-origins', metavar: 'A,B', group: 'limits', unset: 'any',
    help: 'WebSocket upgrades whose Origin is not listed get HTTP 403 (e.g. https://app.example.com,http://localhost:5173)',
    ...list('origin', (entry, label) => {
      if (normalizeOrigin(entry) === undefined) fail(`${label}: "${entry}" is not an origin (scheme://host[:port])`);
    }),
  },
  maxConnections: { flag: 'max-connections', metavar: 'N', group: 'limits', help: 'open WebSockets in total, then HTTP 503', default: 10_000, zero: 'no limit', ...integer(0) },
  // 0 by default: the browser tests and the bench run thousands of sockets from 127.0.0.1.
  maxConnectionsPerIp: {
    flag: 'max-connections-per-ip', metavar: 'N', group: 'limits', help: 'open WebSockets per client address, then HTTP 429', default: 0, zero: 'no limit',
    ...integer(0),
  },
  maxSubscriptions: { flag: 'max-subscriptions', metavar: 'N', group: 'limits', help: 'topics per connection', default: DEFAULT_MAX_SUBSCRIPTIONS, ...integer(0) },
  clientRate: { flag: 'client-rate', metavar: 'N', group: 'limits', help: 'client frames per second per connection', default: 20, zero: 'off', ...number('non-negative') },
  // A reconnecting client re-subscribes everything it holds at once: the default burst
  // always fits hello plus a full set of subscriptions plus a few pings.
  clientBurst: {
    flag: 'client-burst', metavar: 'N', group: 'limits', help: 'frames a client may send at once', derived: `max subscriptions + ${RESUBSCRIBE_HEADROOM}`,
    default: DEFAULT_MAX_SUBSCRIPTIONS + RESUBSCRIBE_HEADROOM, ...integer(0),
    // 0 only makes sense with clientRate 0, which the API allows; a flag needs a real burst.
    parse: integer(1).parse,
  },
  publishRate: {
    flag: 'publish-rate', metavar: 'N', group: 'limits', help: 'publishing requests per second, all routes together, then HTTP 429',
    default: 1000, zero: 'off', ...number('non-negative'),
  },
  maxBufferedBytes: {
    flag: 'max-buffered-bytes', metavar: 'N', group: 'limits',
    help: 'send-buffer high-water mark: replies and updates are written while a client\'s buffer is under it, then wait for it to drain',
    default: 1024 * 1024, unit: 'bytes', zero: 'off', ...integer(0),
  },
  slowConsumerMs: {
    flag: 'slow-consumer-ms', metavar: 'N', group: 'limits',
    help: 'a client whose send buffer stays at or past the mark this long without draining is a slow consumer and is closed with 4408',
    default: 10_000, zero: 'at once', ...integer(0, 3_600_000),
  },
  redis: {
    flag: 'redis', metavar: 'URL', group: 'server', unset: 'in memory',
    help: 'keep topics in Redis (redis://host:port[/db]) so several nodes serve them and clients resume on any node; the feed then defaults to none (unset: in memory)',
    check(value, label) {
      if (typeof value !== 'string') fail(`${label} must be a redis:// URL, got ${show(value)}`);
      redisUrlError(value, label);
    },
  },
  logger: {
    group: 'server', help: 'log function (API only)',
    check(value, label) {
      if (typeof value !== 'function') fail(`${label} must be a function`);
    },
  },
} satisfies { [K in OptionName]-?: OptionSpec };

/** Options with every default applied and every value checked. */
export interface ResolvedOptions {
  host: string;
  port: number;
  seed: number;
  symbols: string[];
  rate: number;
  feed: 'sim' | 'none' | 'replay';
  replayFile: string | undefined;
  speed: number;
  history: number;
  historyMs: number;
  exactHistory: number;
  eventsKept: number;
  publishRate: number;
  heartbeatMs: number;
  maxFrameBytes: number;
  publishToken: string | undefined;
  devControls: boolean;
  adminToken: string | undefined;
  authSecret: string | undefined;
  /** Normalised origins, or undefined for any. */
  allowedOrigins: Set<string> | undefined;
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxSubscriptions: number;
  clientRate: number;
  clientBurst: number;
  maxBufferedBytes: number;
  slowConsumerMs: number;
  staticRoot: string | undefined;
  redis: string | undefined;
  logger: (line: string) => void;
}

function defaultOf(name: OptionName): unknown {
  return (OPTIONS[name] as OptionSpec).default;
}

/** Applies defaults and checks every value and combination; bad ones throw a TypeError naming the option. */
export function resolveOptions(options: MarketServerOptions = {}): ResolvedOptions {
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const value = options[name];
    if (value !== undefined) (OPTIONS[name] as OptionSpec).check?.(value, name);
  }
  const value = <K extends OptionName>(name: K) => (options[name] ?? defaultOf(name)) as NonNullable<MarketServerOptions[K]>;
  const host = value('host');
  // With Redis the simulator is opt-in (`feed: 'sim'` on one node): several nodes would each run one.
  const feed = options.feed ?? (options.replayFile !== undefined ? 'replay' : options.redis !== undefined ? 'none' : 'sim');
  if (feed === 'replay' && options.replayFile === undefined) fail('feed replay needs replayFile');
  if (options.devControls && options.adminToken === undefined && !isLoopbackHost(host))
    fail(`devControls on a non-loopback host (${host}) need adminToken`);
  const maxSubscriptions = value('maxSubscriptions');
  const clientRate = value('clientRate');
  const clientBurst = options.clientBurst ?? Math.max(OPTIONS.clientBurst.default, maxSubscriptions + RESUBSCRIBE_HEADROOM);
  if (clientRate !== 0 && clientBurst < 1) fail(`clientBurst must be at least 1 while clientRate is on, got ${clientBurst}`);
  return {
    host,
    port: value('port'),
    seed: value('seed'),
    symbols: value('symbols'),
    rate: value('rate'),
    feed,
    replayFile: options.replayFile,
    speed: value('speed'),
    history: value('history'),
    historyMs: value('historyMs'),
    exactHistory: value('exactHistory'),
    eventsKept: value('eventsKept'),
    publishRate: value('publishRate'),
    heartbeatMs: value('heartbeatMs'),
    maxFrameBytes: value('maxFrameBytes'),
    publishToken: options.publishToken,
    devControls: options.devControls ?? false,
    adminToken: options.adminToken,
    authSecret: options.authSecret,
    allowedOrigins: options.allowedOrigins && new Set(options.allowedOrigins.map((entry) => normalizeOrigin(entry)!)),
    maxConnections: value('maxConnections'),
    maxConnectionsPerIp: value('maxConnectionsPerIp'),
    maxSubscriptions,
    clientRate,
    clientBurst,
    maxBufferedBytes: value('maxBufferedBytes'),
    slowConsumerMs: value('slowConsumerMs'),
    staticRoot: options.staticRoot,
    redis: options.redis,
    logger: options.logger ?? (() => {}),
  };
}

/** How a default is written in `--help` and in the docs' tables (64 KiB, 10,000, no limit). */
export function describeDefault(spec: OptionSpec, value: unknown = spec.default): string | undefined {
  if (value === undefined) return spec.unset;
  if (value === 0 && spec.zero) return spec.zero;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'number') {
    if (spec.unit === 'bytes' && value >= 1024 && value % 1024 === 0)
      return value % (1024 * 1024) === 0 ? `${value / (1024 * 1024)} MiB` : `${value / 1024} KiB`;
    return spec.unit === 'plain' ? String(value) : value.toLocaleString('en-US');
  }
  return String(value);
}

/** The option a CLI flag sets. */
export function optionForFlag(flag: string): OptionName | undefined {
  for (const name of Object.keys(OPTIONS) as OptionName[]) if ((OPTIONS[name] as OptionSpec).flag === flag) return name;
  return undefined;
}

/** Parses and checks one flag's text; throws a TypeError naming `--flag`. */
export function parseFlag(name: OptionName, text: string): unknown {
  const spec = OPTIONS[name] as OptionSpec;
  const label = `--${spec.flag}`;
  const value = spec.parse ? spec.parse(text, label) : text;
  spec.check?.(value, label);
  return value;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

function helpLines(spec: OptionSpec): string[] {
  const head = `  --${spec.flag}${spec.metavar ? ` ${spec.metavar}` : ''}`;
  const shown = spec.cliDefault ?? spec.default;
  const fallback = spec.derived
    ? `${spec.derived} = ${describeDefault(spec)}`
    : shown !== undefined
      ? `${describeDefault(spec, shown)}${spec.zero && shown !== 0 ? `; 0 = ${spec.zero}` : ''}`
      : undefined;
  const text = `${spec.help}${fallback !== undefined ? ` (default ${fallback})` : ''}`;
  const body = wrap(text, 56);
  const pad = ' '.repeat(25);
  if (head.length < 24) return [`${head.padEnd(25)}${body[0]}`, ...body.slice(1).map((l) => pad + l)];
  return [head, ...body.map((l) => pad + l)];
}

/** `--help`, written from OPTIONS. */
export function usage(): string {
  const group = (g: OptionSpec['group']) =>
    Object.values(OPTIONS as Record<OptionName, OptionSpec>)
      .filter((spec) => spec.flag && spec.group === g)
      .flatMap(helpLines);
  return [
    'Usage: npm run server -- [options]',
    '',
    ...group('server'),
    '',
    'Security and limits (docs/reliability.md):',
    ...group('limits'),
    '  --help                 show this help',
    '',
    'Secrets may also come from the environment, which keeps them out of the process',
    'list: LMW_AUTH_SECRET, LMW_ADMIN_TOKEN, LMW_PUBLISH_TOKEN (a flag wins).',
    '',
    'Prints "listening on ws://HOST:PORT/stream" when ready.',
  ].join('\n');
}
