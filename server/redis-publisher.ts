/**
 * Publishing with `--redis`: the same checks as server/publisher.ts (a batch lands whole or
 * is refused with a PublishError naming the field), answered once Redis has the change.
 * Events are folded in Redis (an id retried on any node is stored once); state changes
 * are folded here from the document read at a seq and stored only if the topic is still
 * at it (else read again). Portfolio topics are not available with Redis yet.
 */
import {
  applyMergePatch,
  CHANNEL_PATTERN,
  eventsTopic,
  jsonDocumentError,
  KEY_PATTERN,
  parseTopic,
  stateTopic,
  type JsonObject,
} from '../src/protocol/index.js';
import type { RedisEngine } from './engine/redis-engine.js';
import { checkDocumentSize, checkEvents, checkName, PublishError, type PublishChange, type PublishResult } from './publisher.js';

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

  async portfolio(_account: string, _body: unknown): Promise<PublishResult> {
    throw new PublishError('portfolio topics are not available with --redis yet (docs/scaling.md)');
  }
}
