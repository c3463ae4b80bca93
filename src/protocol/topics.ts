import { INTERVALS, type Interval } from './messages.js';

/** Symbols: letters, digits and `._/-`, 1 to 32 characters (no `:`, it separates topic parts). */
export const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$/;
/** Accounts: letters, digits and `._-`, 1 to 64 characters. */
export const ACCOUNT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Event channels (`events:<CHANNEL>`): letters, digits and `._-`, starting with a letter or digit, 1 to 64 characters. */
export const CHANNEL_PATTERN = ACCOUNT_PATTERN;
/** Document keys (`state:<KEY>`): the same set as channels, 1 to 64 characters. */
export const KEY_PATTERN = ACCOUNT_PATTERN;
/** Longest topic name accepted anywhere. */
export const MAX_TOPIC_LENGTH = 128;

export type ParsedTopic =
  | { kind: 'candles'; symbol: string; interval: Interval }
  | { kind: 'portfolio'; account: string }
  | { kind: 'events'; channel: string }
  | { kind: 'state'; key: string };

/** Every topic kind, in the order docs/protocol.md describes them. */
export const TOPIC_KINDS = ['candles', 'portfolio', 'events', 'state'] as const;

export type TopicParseResult = { ok: true; topic: ParsedTopic } | { ok: false; reason: string };

export function isInterval(value: unknown): value is Interval {
  return typeof value === 'string' && (INTERVALS as readonly string[]).includes(value);
}

export function candlesTopic(symbol: string, interval: Interval): string {
  return `candles:${symbol}:${interval}`;
}

export function portfolioTopic(account: string): string {
  return `portfolio:${account}`;
}

export function eventsTopic(channel: string): string {
  return `events:${channel}`;
}

export function stateTopic(key: string): string {
  return `state:${key}`;
}

/** Parses a topic name; the reason is short and readable, fit for an error message. */
export function parseTopic(name: unknown): TopicParseResult {
  if (typeof name !== 'string' || name.length === 0) return { ok: false, reason: 'topic must be a non-empty string' };
  if (name.length > MAX_TOPIC_LENGTH) return { ok: false, reason: `topic longer than ${MAX_TOPIC_LENGTH} characters` };
  const parts = name.split(':');
  if (parts[0] === 'candles') {
    if (parts.length !== 3) return { ok: false, reason: 'expected candles:<SYMBOL>:<INTERVAL>' };
    const [, symbol, interval] = parts as [string, string, string];
    if (!SYMBOL_PATTERN.test(symbol)) return { ok: false, reason: 'invalid symbol' };
    if (!isInterval(interval)) return { ok: false, reason: `unknown interval (use ${INTERVALS.join(' ')})` };
    return { ok: true, topic: { kind: 'candles', symbol, interval } };
  }
  if (parts[0] === 'portfolio') {
    if (parts.length !== 2) return { ok: false, reason: 'expected portfolio:<ACCOUNT>' };
    const account = parts[1]!;
    if (!ACCOUNT_PATTERN.test(account)) return { ok: false, reason: 'invalid account' };
    return { ok: true, topic: { kind: 'portfolio', account } };
  }
  if (parts[0] === 'events') {
    if (parts.length !== 2) return { ok: false, reason: 'expected events:<CHANNEL>' };
    const channel = parts[1]!;
    if (!CHANNEL_PATTERN.test(channel)) return { ok: false, reason: 'invalid channel (letters, digits and ._-, at most 64)' };
    return { ok: true, topic: { kind: 'events', channel } };
  }
  if (parts[0] === 'state') {
    if (parts.length !== 2) return { ok: false, reason: 'expected state:<KEY>' };
    const key = parts[1]!;
    if (!KEY_PATTERN.test(key)) return { ok: false, reason: 'invalid key (letters, digits and ._-, at most 64)' };
    return { ok: true, topic: { kind: 'state', key } };
  }
  return { ok: false, reason: 'unknown topic kind (use candles:…, portfolio:…, events:… or state:…)' };
}

/** parseTopic results by name (bounded: cleared when full). Shared objects: do not mutate. */
const parsedTopics = new Map<string, TopicParseResult>();

/**
 * parseTopic, memoised: frame validation and apply see the same few names on every
 * update. Bounded, so a server naming endless topics cannot grow it.
 */
export function parseTopicCached(name: string): TopicParseResult {
  let result = parsedTopics.get(name);
  if (!result) {
    if (parsedTopics.size >= 1024) parsedTopics.clear();
    parsedTopics.set(name, (result = parseTopic(name)));
  }
  return result;
}
