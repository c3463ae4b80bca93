/**
 * Publishing from a backend: events, documents and positions, with every input checked
 * before anything is applied, so a batch lands whole or not at all. `POST/PUT/PATCH /api/*`
 * (server/publish-http.ts) and the Node API (`startMarketServer(...).publishEvent`, ...)
 * both come through here; the engine folds each change (server/engine/changes.ts).
 */
import {
  ACCOUNT_PATTERN,
  applyMergePatch,
  CHANNEL_PATTERN,
  eventsTopic,
  jsonDocumentError,
  KEY_PATTERN,
  parseTopic,
  portfolioTopic,
  stateTopic,
  SYMBOL_PATTERN,
  validateEventEnvelope,
  type EventEnvelope,
  type JsonObject,
  type JsonValue,
} from '../src/protocol/index.js';
import type { LocalEngine, StateChange } from './engine/engine.js';
import type { PortfolioBooks, PortfolioChange } from './portfolio-books.js';
import type { PositionInput } from './portfolio.js';

/** Most events one publish may carry. */
export const MAX_EVENTS_PER_PUBLISH = 1000;
/** Most rows (and removed symbols) one portfolio publish may carry. */
export const MAX_POSITIONS_PER_PUBLISH = 1000;
/**
 * Longest JSON text of one event's `data`, and of a whole document (characters). Each topic
 * keeps `--history` updates, so these bound what a publisher can make the server hold.
 */
export const MAX_EVENT_DATA_CHARS = 64 * 1024;
export const MAX_DOCUMENT_CHARS = 256 * 1024;
/** Most topics publishing may create (channels, documents and accounts together). */
export const MAX_PUBLISHED_TOPICS = 10_000;

/** A refused publish: `message` names the field (`events[2].type must be …`). Nothing was applied. */
export class PublishError extends TypeError {
  readonly code = 'bad_request';
}

/** An event as a backend sends it: `time` may be left out (the server fills in now). */
export interface EventInput<T = JsonValue> {
  type: string;
  time?: number;
  id?: string;
  data: T;
}

/** What a publish answers: the topic, its seq after it, and (events) how many were stored (duplicates are not). */
export interface PublishResult {
  topic: string;
  seq: number;
  stored?: number;
}

/** A change as `publish(topic, change)` takes it, by the topic's kind. */
export type PublishChange = EventInput | EventInput[] | StateChange | PortfolioChange;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function refuse(message: string): never {
  throw new PublishError(message);
}

function onlyFields(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) refuse(`${path}.${key.slice(0, 64)} is not a field (use ${allowed.join(', ')})`);
}

export function checkName(pattern: RegExp, name: unknown, what: string): string {
  if (typeof name !== 'string' || !pattern.test(name))
    refuse(`invalid ${what} "${String(name).slice(0, 80)}" (letters, digits and ._-, starting with a letter or digit, at most 64)`);
  return name;
}

/** The events of a publish, checked, with times filled in. */
export function checkEvents(body: unknown, now: number): EventEnvelope[] {
  const many = Array.isArray(body);
  const items = many ? body : [body];
  if (items.length === 0) refuse('events must not be empty');
  if (items.length > MAX_EVENTS_PER_PUBLISH) refuse(`at most ${MAX_EVENTS_PER_PUBLISH} events per publish`);
  return items.map((item, i) => {
    const path = many ? `events[${i}]` : 'event';
    if (!isObject(item)) refuse(`${path} must be an object {type, time?, id?, data}`);
    onlyFields(item, ['type', 'time', 'id', 'data'], path);
    const event: EventEnvelope = { type: item.type as string, time: item.time === undefined ? now : (item.time as number), data: item.data as JsonValue };
    if (item.id !== undefined) event.id = item.id as string;
    const error = validateEventEnvelope(event, path) ?? (item.data === undefined ? `${path}.data is missing` : null);
    if (error) refuse(error);
    const jsonError = jsonDocumentError({ data: item.data }, 'patch', path);
    if (jsonError) refuse(jsonError);
    if (JSON.stringify(item.data).length > MAX_EVENT_DATA_CHARS) refuse(`${path}.data is longer than ${MAX_EVENT_DATA_CHARS} characters of JSON`);
    return event;
  });
}

export function checkDocumentSize(doc: JsonObject): void {
  if (JSON.stringify(doc).length > MAX_DOCUMENT_CHARS) refuse(`the document would be longer than ${MAX_DOCUMENT_CHARS} characters of JSON`);
}

/** A position publish, checked. */
export function checkPortfolioChange(body: unknown, markOf: (symbol: string) => unknown): PortfolioChange {
  if (!isObject(body)) refuse('body must be an object {currency?, positions, removed?, replace?}');
  onlyFields(body, ['currency', 'positions', 'removed', 'replace'], 'body');
  const change: PortfolioChange = { positions: [] };
  if (body.currency !== undefined) {
    if (typeof body.currency !== 'string' || !/^[A-Z]{3}$/.test(body.currency)) refuse('currency must be an ISO 4217 code such as "USD"');
    change.currency = body.currency;
  }
  if (body.replace !== undefined) {
    if (typeof body.replace !== 'boolean') refuse('replace must be true or false');
    change.replace = body.replace;
  }
  if (!Array.isArray(body.positions)) refuse('positions must be an array of {symbol, qty, avgPrice, lastPrice?, realizedPnl?}');
  if (body.positions.length > MAX_POSITIONS_PER_PUBLISH) refuse(`at most ${MAX_POSITIONS_PER_PUBLISH} positions per publish`);
  const seen = new Set<string>();
  body.positions.forEach((row: unknown, i: number) => {
    const path = `positions[${i}]`;
    if (!isObject(row)) refuse(`${path} must be an object`);
    onlyFields(row, ['symbol', 'qty', 'avgPrice', 'lastPrice', 'realizedPnl'], path);
    if (typeof row.symbol !== 'string' || !SYMBOL_PATTERN.test(row.symbol)) refuse(`${path}.symbol is not a valid symbol (letters, digits and ._/-, at most 32)`);
    if (seen.has(row.symbol)) refuse(`${path}.symbol ${row.symbol} appears twice`);
    seen.add(row.symbol);
    if (!isFiniteNumber(row.qty)) refuse(`${path}.qty must be a finite number`);
    if (!isFiniteNumber(row.avgPrice) || row.avgPrice < 0) refuse(`${path}.avgPrice must be a non-negative number`);
    if (row.lastPrice !== undefined && (!isFiniteNumber(row.lastPrice) || row.lastPrice <= 0)) refuse(`${path}.lastPrice must be a positive number`);
    if (row.realizedPnl !== undefined && !isFiniteNumber(row.realizedPnl)) refuse(`${path}.realizedPnl must be a finite number`);
    if (row.lastPrice === undefined && markOf(row.symbol) === undefined)
      refuse(`${path}.lastPrice is required: the server has no trades of ${row.symbol} to mark it from`);
    const input: PositionInput = { symbol: row.symbol, qty: row.qty, avgPrice: row.avgPrice };
    if (row.lastPrice !== undefined) input.lastPrice = row.lastPrice as number;
    if (row.realizedPnl !== undefined) input.realizedPnl = row.realizedPnl as number;
    change.positions.push(input);
  });
  if (body.removed !== undefined) {
    if (!Array.isArray(body.removed)) refuse('removed must be an array of symbols');
    if (body.removed.length > MAX_POSITIONS_PER_PUBLISH) refuse(`at most ${MAX_POSITIONS_PER_PUBLISH} removed symbols per publish`);
    body.removed.forEach((symbol: unknown, i: number) => {
      if (typeof symbol !== 'string' || !SYMBOL_PATTERN.test(symbol)) refuse(`removed[${i}] is not a valid symbol`);
      if (seen.has(symbol)) refuse(`removed[${i}] ${symbol} is also in positions`);
    });
    change.removed = body.removed as string[];
  }
  return change;
}

/** The one publishing path of a server; every method validates first and throws PublishError on bad input. */
export class Publisher {
  /** Topics publishing created, for MAX_PUBLISHED_TOPICS. */
  private readonly created = new Set<string>();

  constructor(
    private readonly engine: LocalEngine,
    private readonly books: PortfolioBooks,
    private readonly now: () => number = Date.now,
  ) {}

  /** Publishes a change to any topic a backend may publish: `events:`, `state:` or `portfolio:` (trades build candles). */
  publish(topic: string, change: PublishChange): PublishResult {
    const parsed = parseTopic(topic);
    if (!parsed.ok) refuse(`bad topic: ${parsed.reason}`);
    switch (parsed.topic.kind) {
      case 'events':
        return this.publishEvent(parsed.topic.channel, change);
      case 'state': {
        if (!isObject(change) || (change.op !== 'put' && change.op !== 'patch'))
          refuse('a state change is {op: "put", doc} or {op: "patch", patch}');
        return change.op === 'put' ? this.putState(parsed.topic.key, change.doc) : this.patchState(parsed.topic.key, change.patch);
      }
      case 'portfolio':
        return this.portfolio(parsed.topic.account, change);
      case 'candles':
        return refuse('candle topics are built from trades: use publishTrades or POST /api/trades');
    }
  }

  /** Refuses a new topic past MAX_PUBLISHED_TOPICS; call after every other check, before applying. */
  private admit(topic: string): void {
    if (this.engine.has(topic)) return;
    if (this.created.size >= MAX_PUBLISHED_TOPICS) refuse(`at most ${MAX_PUBLISHED_TOPICS} published topics; ${topic.slice(0, 80)} would be a new one`);
    this.created.add(topic);
  }

  /** One event or an array of them on `events:<channel>`; an id already in the history is not stored again. */
  publishEvent(channel: string, events: unknown): PublishResult {
    const topic = eventsTopic(checkName(CHANNEL_PATTERN, channel, 'channel'));
    const checked = checkEvents(events, this.now());
    this.admit(topic);
    const before = this.engine.has(topic) ? this.engine.snapshot(topic).seq : 0;
    let seq = before;
    for (const event of checked) seq = this.engine.publish(topic, event);
    return { topic, seq, stored: seq - before };
  }

  /** Replaces the document `state:<key>` (the update is the merge patch between the two). */
  putState(key: string, doc: unknown): PublishResult {
    const topic = stateTopic(checkName(KEY_PATTERN, key, 'key'));
    const error = jsonDocumentError(doc, 'document');
    if (error) refuse(error);
    checkDocumentSize(doc as JsonObject);
    this.admit(topic);
    return { topic, seq: this.engine.publish(topic, { op: 'put', doc: doc as JsonObject }) };
  }

  /** Merges a JSON Merge Patch (RFC 7396) into `state:<key>` (an empty document when it is new). */
  patchState(key: string, patch: unknown): PublishResult {
    const topic = stateTopic(checkName(KEY_PATTERN, key, 'key'));
    const error = jsonDocumentError(patch, 'patch');
    if (error) refuse(error);
    const current = this.engine.has(topic) ? (this.engine.snapshot(topic).data as JsonObject) : {};
    checkDocumentSize(applyMergePatch(current, patch as JsonObject));
    this.admit(topic);
    return { topic, seq: this.engine.publish(topic, { op: 'patch', patch: patch as JsonObject }) };
  }

  /** A whole position publish (`POST /api/portfolio/<account>`): rows, removed symbols, replace. */
  portfolio(account: string, body: unknown): PublishResult {
    const name = checkName(ACCOUNT_PATTERN, account, 'account');
    const change = checkPortfolioChange(body, (symbol) => this.books.markOf(symbol));
    const currency = this.books.currencyOf(name);
    if (currency !== undefined && change.currency !== undefined && change.currency !== currency)
      refuse(`currency ${change.currency} differs from the account's ${currency} (set by its first publish)`);
    this.admit(portfolioTopic(name));
    return { topic: portfolioTopic(name), seq: this.books.apply(name, change) };
  }

  /** Upserts rows of an account (created on first use). */
  upsertPositions(account: string, positions: PositionInput[], options: { currency?: string; replace?: boolean } = {}): PublishResult {
    return this.portfolio(account, { ...options, positions });
  }

  /** Removes rows of an account that exists. */
  removePositions(account: string, symbols: string[]): PublishResult {
    return this.portfolio(account, { positions: [], removed: symbols });
  }
}
