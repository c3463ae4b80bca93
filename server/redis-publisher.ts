/**
 * Publishing with `--redis`: the same checks as server/publisher.ts (a batch lands whole or
 * is refused with a PublishError naming the field), answered once Redis has the change.
 * Events are folded in Redis (an id retried on any node is stored once); state changes
 * and portfolio changes are folded here from the document read at a seq and stored only if
 * the topic is still at it (else read again). A posted row is marked from its symbol's newest
 * trade in Redis, and later trades re-mark it, as in memory (server/engine/redis-portfolios.ts).
 */
import {
  ACCOUNT_PATTERN,
  applyMergePatch,
  sumPositions,
  portfolioTopic,
  type PortfolioSnapshotData,
  CHANNEL_PATTERN,
  eventsTopic,
  jsonDocumentError,
  KEY_PATTERN,
  parseTopic,
  stateTopic,
  type JsonObject,
} from '../src/protocol/index.js';
import type { RedisEngine } from './engine/redis-engine.js';
import { checkDocumentSize, checkEvents, checkName, checkPortfolioChange, PublishError, type PublishChange, type PublishResult } from './publisher.js';
import { foldPortfolioChange } from './portfolio-folds.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class RedisPublisher {
  constructor(
    private readonly engine: RedisEngine,
    private readonly now: () => number = Date.now,
  ) {}

  async publish(topic: string, change: PublishChange): Promise<PublishResult> {
    const parsed = parseTopic(topic);
    if (!parsed.ok) throw new PublishError(`bad topic: ${parsed.reason}`);
    switch (parsed.topic.kind) {
      case 'events':
        return this.publishEvent(parsed.topic.channel, change);
      case 'state': {
        if (!isObject(change) || (change.op !== 'put' && change.op !== 'patch'))
          throw new PublishError('a state change is {op: "put", doc} or {op: "patch", patch}');
        return change.op === 'put' ? this.putState(parsed.topic.key, change.doc) : this.patchState(parsed.topic.key, change.patch);
      }
      case 'portfolio':
        return this.portfolio(parsed.topic.account, change);
      case 'candles':
        throw new PublishError('candle topics are built from trades: use publishTrades or POST /api/trades');
    }
  }

  async publishEvent(channel: string, events: unknown): Promise<PublishResult> {
    const topic = eventsTopic(checkName(CHANNEL_PATTERN, channel, 'channel'));
    const checked = checkEvents(events, this.now());
    const { seq, stored } = await this.engine.publishEvents(topic, checked);
    return { topic, seq, stored };
  }

  async putState(key: string, doc: unknown): Promise<PublishResult> {
    const topic = stateTopic(checkName(KEY_PATTERN, key, 'key'));
    const error = jsonDocumentError(doc, 'document');
    if (error) throw new PublishError(error);
    checkDocumentSize(doc as JsonObject);
    return { topic, seq: await this.engine.publish(topic, { op: 'put', doc: doc as JsonObject }) };
  }

  async patchState(key: string, patch: unknown): Promise<PublishResult> {
    const topic = stateTopic(checkName(KEY_PATTERN, key, 'key'));
    const error = jsonDocumentError(patch, 'patch');
    if (error) throw new PublishError(error);
    const current = (await this.engine.has(topic)) ? ((await this.engine.snapshot(topic)).data as JsonObject) : {};
    checkDocumentSize(applyMergePatch(current, patch as JsonObject));
    return { topic, seq: await this.engine.publish(topic, { op: 'patch', patch: patch as JsonObject }) };
  }

  /** A whole position publish (`POST /api/portfolio/<account>`), on any node. */
  async portfolio(account: string, body: unknown): Promise<PublishResult> {
    const name = checkName(ACCOUNT_PATTERN, account, 'account');
    const topic = portfolioTopic(name);
    // The marks of the posted symbols first: a row without lastPrice needs one (checked as in memory).
    const rows = isObject(body) && Array.isArray(body.positions) ? body.positions : [];
    const symbols = [...new Set(rows.map((row: unknown) => (isObject(row) && typeof row.symbol === 'string' ? row.symbol : '')).filter((s: string) => s !== ''))];
    const marks = await this.engine.marks(symbols.slice(0, 1000));
    const change = checkPortfolioChange(body, (symbol) => marks.get(symbol));
    const initial: PortfolioSnapshotData = { account: name, currency: change.currency ?? 'USD', positions: [], totals: sumPositions([]) };
    const posted = change.positions.map((row) => row.symbol);
    const seq = await this.engine.portfolios.post(name, posted, initial, marks, (doc, markTimes, marksNow) => {
      if (change.currency !== undefined && change.currency !== doc.currency)
        throw new PublishError(`currency ${change.currency} differs from the account's ${doc.currency} (set by its first publish)`);
      return foldPortfolioChange(doc, change, marksNow, markTimes);
    });
    return { topic, seq };
  }

  async upsertPositions(account: string, positions: unknown[], options: { currency?: string; replace?: boolean } = {}): Promise<PublishResult> {
    return this.portfolio(account, { ...options, positions });
  }

  async removePositions(account: string, symbols: string[]): Promise<PublishResult> {
    return this.portfolio(account, { positions: [], removed: symbols });
  }
}
