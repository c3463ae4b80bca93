/**
 * Validators for every frame that crosses the wire, in both directions. They never
 * throw: each returns either the typed message or a short reason fit for an
 * `error` frame or a log line.
 */
import {
  PROTOCOL_VERSION,
  type Bar,
  type ClientMessage,
  type HelloMessage,
  type ErrorCode,
  type ServerMessage,
  ERROR_CODES,
} from './messages.js';
import { isPrecision, isTickSize, MAX_PRECISION } from './precision.js';
import { parseTopicCached, SYMBOL_PATTERN } from './topics.js';

export const MAX_TOKEN_LENGTH = 8192;
/** Most capability names a `hello` may list. */
export const MAX_CAPS = 16;
export const MAX_EPOCH_LENGTH = 64;

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isId = isSeq;
const isEpoch = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_EPOCH_LENGTH;

export type ClientFrameResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: Extract<ErrorCode, 'bad_request' | 'unknown_op'>; message: string; id?: number };

const bad = (message: string, id?: unknown): ClientFrameResult => ({
  ok: false,
  code: 'bad_request',
  message,
  ...(isId(id) ? { id } : {}),
});

/** Parses one client text frame (already size-checked by the transport). */
export function parseClientFrame(text: string): ClientFrameResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('frame is not valid JSON');
  }
  return validateClientMessage(value);
}

export function validateClientMessage(value: unknown): ClientFrameResult {
  if (!isObject(value)) return bad('frame must be a JSON object');
  const { op, id } = value;
  if (typeof op !== 'string') return bad('missing "op"', id);
  switch (op) {
    case 'hello': {
      if (value.v !== PROTOCOL_VERSION) return bad(`unsupported protocol version (this server speaks v${PROTOCOL_VERSION})`);
      if (value.token !== undefined && (typeof value.token !== 'string' || value.token.length > MAX_TOKEN_LENGTH))
        return bad('"token" must be a string');
      const { caps } = value;
      if (caps !== undefined && (!Array.isArray(caps) || caps.length > MAX_CAPS || !caps.every((c) => typeof c === 'string' && c.length <= 32)))
        return bad(`"caps" must be an array of at most ${MAX_CAPS} short strings`);
      const message: HelloMessage = { op, v: 1 };
      if (value.token !== undefined) message.token = value.token as string;
      if (caps !== undefined) message.caps = caps as string[];
      return { ok: true, message };
    }
    case 'sub': {
      if (!isId(id)) return bad('"id" must be a non-negative integer');
      if (typeof value.topic !== 'string') return bad('"topic" must be a string', id);
      const { since } = value;
      if (since === undefined) return { ok: true, message: { op, id, topic: value.topic } };
      if (!isObject(since) || !isEpoch(since.epoch) || !isSeq(since.seq))
        return bad('"since" must be {epoch: string, seq: non-negative integer}', id);
      return { ok: true, message: { op, id, topic: value.topic, since: { epoch: since.epoch, seq: since.seq } } };
    }
    case 'unsub': {
      if (!isId(id)) return bad('"id" must be a non-negative integer');
      if (typeof value.topic !== 'string') return bad('"topic" must be a string', id);
      return { ok: true, message: { op, id, topic: value.topic } };
    }
    case 'ping': {
      if (!isId(id)) return bad('"id" must be a non-negative integer');
      if (!isFiniteNumber(value.t)) return bad('"t" must be a number', id);
      return { ok: true, message: { op, id, t: value.t } };
    }
    case 'refresh': {
      if (typeof value.token !== 'string' || value.token.length === 0 || value.token.length > MAX_TOKEN_LENGTH)
        return bad('"token" must be a non-empty string', id);
      return { ok: true, message: { op, token: value.token } };
    }
    default:
      return { ok: false, code: 'unknown_op', message: `unknown op "${op.slice(0, 32)}"`, ...(isId(id) ? { id } : {}) };
  }
}

// ---- payloads ---------------------------------------------------------------

export function validateBar(v: unknown): string | null {
  if (!isObject(v)) return 'bar must be an object';
  // Spelled out (every candle update passes here; a loop over the keys is about 3x slower).
  const { time, open, high, low, close, volume, trades } = v;
  if (
    isFiniteNumber(time) && isFiniteNumber(open) && isFiniteNumber(high) && isFiniteNumber(low) &&
    isFiniteNumber(close) && isFiniteNumber(volume) && isFiniteNumber(trades)
  )
    return null;
  const key = (['time', 'open', 'high', 'low', 'close', 'volume', 'trades'] as const).find((k) => !isFiniteNumber(v[k]));
  return `bar.${key} must be a finite number`;
}

function validatePosition(v: unknown): string | null {
  if (!isObject(v)) return 'position must be an object';
  if (typeof v.symbol !== 'string') return 'position.symbol must be a string';
  for (const key of ['qty', 'avgPrice', 'lastPrice', 'marketValue', 'unrealizedPnl', 'realizedPnl'] as const) {
    if (!isFiniteNumber(v[key])) return `position.${key} must be a finite number`;
  }
  if (v.precision !== undefined && !isPrecision(v.precision)) return `position.precision must be an integer from 0 to ${MAX_PRECISION}`;
  return null;
}

function validateTotals(v: unknown): string | null {
  if (!isObject(v)) return 'totals must be an object';
  for (const key of ['marketValue', 'unrealizedPnl', 'realizedPnl', 'totalPnl'] as const) {
    if (!isFiniteNumber(v[key])) return `totals.${key} must be a finite number`;
  }
  return null;
}

function firstError<T>(items: readonly T[], check: (item: T) => string | null): string | null {
  for (const item of items) {
    const error = check(item);
    if (error) return error;
  }
  return null;
}

/** Longest event `type`. */
export const MAX_EVENT_TYPE_LENGTH = 64;
/** Longest event `id`. */
export const MAX_EVENT_ID_LENGTH = 128;

/** Checks one event as it travels on the wire (`time` present); returns a reason or null. */
export function validateEventEnvelope(v: unknown, path = 'event'): string | null {
  if (!isObject(v)) return `${path} must be an object`;
  if (typeof v.type !== 'string' || v.type.length === 0 || v.type.length > MAX_EVENT_TYPE_LENGTH)
    return `${path}.type must be a string of 1 to ${MAX_EVENT_TYPE_LENGTH} characters`;
  if (!isFiniteNumber(v.time) || v.time < 0 || v.time > 8.64e15) return `${path}.time must be epoch milliseconds`;
  if (v.id !== undefined && (typeof v.id !== 'string' || v.id.length === 0 || v.id.length > MAX_EVENT_ID_LENGTH))
    return `${path}.id must be a string of 1 to ${MAX_EVENT_ID_LENGTH} characters`;
  if (!('data' in v)) return `${path}.data is missing`;
  return null;
}

/** Checks a topic's snapshot `data`; returns a reason or null. */
export function validateSnapshotData(topic: string, data: unknown): string | null {
  const parsed = parseTopicCached(topic);
  if (!parsed.ok) return parsed.reason;
  if (!isObject(data)) return 'snapshot data must be an object';
  if (parsed.topic.kind === 'state') return null; // any JSON object is a document
  if (parsed.topic.kind === 'events') {
    if (typeof data.channel !== 'string') return 'events snapshot needs channel';
    if (!Number.isSafeInteger(data.max) || (data.max as number) < 0) return 'events snapshot max must be a non-negative integer';
    if (!Array.isArray(data.events)) return 'events snapshot events must be an array';
    return firstError(data.events, (event) => validateEventEnvelope(event));
  }
  if (parsed.topic.kind === 'candles') {
    if (!Array.isArray(data.bars)) return 'snapshot bars must be an array';
    if (data.precision !== undefined && !isPrecision(data.precision)) return `snapshot precision must be an integer from 0 to ${MAX_PRECISION}`;
    if (data.tickSize !== undefined && !isTickSize(data.tickSize)) return 'snapshot tickSize must be a positive number';
    const error = firstError(data.bars, validateBar);
    if (error) return error;
    for (let i = 1; i < data.bars.length; i++) {
      if ((data.bars[i] as Bar).time <= (data.bars[i - 1] as Bar).time) return 'snapshot bars must ascend by time';
    }
    return null;
  }
  if (typeof data.account !== 'string' || typeof data.currency !== 'string') return 'portfolio needs account and currency';
  if (!Array.isArray(data.positions)) return 'portfolio positions must be an array';
  return firstError(data.positions, validatePosition) ?? validateTotals(data.totals);
}

/** Checks a topic's update `data`; returns a reason or null. */
export function validateUpdateData(topic: string, data: unknown): string | null {
  const parsed = parseTopicCached(topic);
  if (!parsed.ok) return parsed.reason;
  if (parsed.topic.kind === 'candles') return validateBar(data);
  if (parsed.topic.kind === 'events') return validateEventEnvelope(data);
  if (parsed.topic.kind === 'state') return isObject(data) ? null : 'state update must be a merge patch object';
  if (!isObject(data)) return 'portfolio update must be an object';
  if (!Array.isArray(data.positions)) return 'portfolio update positions must be an array';
  if (!Array.isArray(data.removed) || !data.removed.every((s) => typeof s === 'string'))
    return 'portfolio update removed must be an array of strings';
  return firstError(data.positions as unknown[], validatePosition) ?? validateTotals(data.totals);
}

// ---- server → client --------------------------------------------------------

/** Validates one server message's envelope (and, for snapshots and updates, its payload). */
export function validateServerMessage(v: unknown): { ok: true; message: ServerMessage } | { ok: false; reason: string } {
  if (!isObject(v)) return { ok: false, reason: 'message must be an object' };
  const reason = serverMessageError(v);
  return reason === null ? { ok: true, message: v as unknown as ServerMessage } : { ok: false, reason };
}

const fail = (v: Obj, reason: string) => `${String(v.op).slice(0, 32)}: ${reason}`;

/** Why a server message is invalid, or null (no allocation on the hot path: every update passes here). */
function serverMessageError(v: Obj): string | null {
  switch (v.op) {
    case 'update': { // first: nearly every message is one
      if (typeof v.topic !== 'string' || !isSeq(v.seq) || !isFiniteNumber(v.time)) return fail(v, 'malformed');
      const error = validateUpdateData(v.topic, v.data);
      if (error) return fail(v, error);
      break;
    }
    case 'welcome':
      if (v.v !== PROTOCOL_VERSION) return fail(v, 'unsupported protocol version');
      if (typeof v.session !== 'string' || !isFiniteNumber(v.heartbeatMs) || v.heartbeatMs <= 0 || !isFiniteNumber(v.serverTime))
        return fail(v, 'malformed');
      if (v.caps !== undefined && (!Array.isArray(v.caps) || !v.caps.every((c) => typeof c === 'string'))) return fail(v, 'malformed');
      break;
    case 'subscribed':
      if (!isId(v.id) || typeof v.topic !== 'string' || !isEpoch(v.epoch) || !isSeq(v.seq) || typeof v.recovered !== 'boolean')
        return fail(v, 'malformed');
      if (v.compacted !== undefined && (v.compacted !== true || v.recovered !== true)) return fail(v, 'malformed');
      break;
    case 'unsubscribed':
      if (!isId(v.id) || typeof v.topic !== 'string') return fail(v, 'malformed');
      break;
    case 'snapshot': {
      if (typeof v.topic !== 'string' || !isEpoch(v.epoch) || !isSeq(v.seq)) return fail(v, 'malformed');
      const error = validateSnapshotData(v.topic, v.data);
      if (error) return fail(v, error);
      break;
    }
    case 'pong':
      if (!isId(v.id) || !isFiniteNumber(v.t) || !isFiniteNumber(v.serverTime)) return fail(v, 'malformed');
      break;
    case 'error':
      if (typeof v.code !== 'string' || typeof v.message !== 'string' || (v.id !== undefined && !isId(v.id))) return fail(v, 'malformed');
      if (!(ERROR_CODES as readonly string[]).includes(v.code)) return fail(v, 'unknown error code');
      break;
    default:
      return `unknown op "${String(v.op).slice(0, 32)}"`;
  }
  return null;
}

export interface ServerFrameResult {
  /** The valid messages of the frame, in order. */
  messages: ServerMessage[];
  /** One reason per invalid message (or one for the whole frame). */
  errors: string[];
}

/** Parses a server frame: one message object or an array of them (a batch, in order). */
export function parseServerFrame(text: string): ServerFrameResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { messages: [], errors: ['frame is not valid JSON'] };
  }
  const items = Array.isArray(value) ? value : [value];
  const messages: ServerMessage[] = [];
  const errors: string[] = [];
  for (const item of items) {
    const reason = isObject(item) ? serverMessageError(item) : 'message must be an object';
    if (reason === null) messages.push(item as unknown as ServerMessage);
    else errors.push(reason);
  }
  return { messages, errors };
}

// ---- trades -----------------------------------------------------------------

/** Longest trade `id`: the same as an event id's. */
export const MAX_TRADE_ID_LENGTH = MAX_EVENT_ID_LENGTH;
/**
 * A trade id: visible ASCII only (unlike an event id, which may be any string), so one
 * character is one byte and ids compare the same in memory and in Redis (a lone surrogate
 * would reach Redis as U+FFFD, and two different ids would collide there only).
 */
export const TRADE_ID_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_TRADE_ID_LENGTH}}$`);

/** Checks a trade (as published through `POST /api/trades`); returns a reason or null. */
export function validateTrade(v: unknown): string | null {
  if (!isObject(v)) return 'trade must be an object';
  if (typeof v.symbol !== 'string' || !SYMBOL_PATTERN.test(v.symbol)) return 'trade.symbol is not a valid symbol';
  if (!isFiniteNumber(v.price) || v.price <= 0) return 'trade.price must be a positive number';
  if (!isFiniteNumber(v.size) || v.size < 0) return 'trade.size must be a non-negative number';
  if (!isFiniteNumber(v.time) || v.time < 0 || v.time > 8.64e15) return 'trade.time must be epoch milliseconds';
  if (v.id !== undefined) {
    if (typeof v.id !== 'string') return 'trade.id must be a string';
    if (!TRADE_ID_PATTERN.test(v.id))
      return `trade.id must be 1 to ${MAX_TRADE_ID_LENGTH} visible ASCII characters (! to ~, no spaces)`;
  }
  return null;
}

