/**
 * The in-memory engine: every topic in this process (server/engine/topic.ts), with
 * what answers a resume (exact rings, and per-key marks for compacted replays), one
 * epoch per start. Every answer is synchronous, so a publish fans out in the same turn.
 */
import { randomBytes } from 'node:crypto';
import {
  candlesTopic,
  DEFAULT_EVENTS_KEPT,
  DEFAULT_EXACT_HISTORY,
  DEFAULT_MAX_BARS,
  parseTopic,
  INTERVALS,
  portfolioTopic,
  type Bar,
  type EventEnvelope,
  type PortfolioSnapshotData,
  type PortfolioUpdateData,
  type PricePrecision,
} from '../../src/protocol/index.js';
import { SnapshotMessages } from '../snapshot-messages.js';
import type { StateChange } from './changes.js';
import type { FollowStart, LocalEngine, ResumeOptions, Since, Snapshot, Subscriber, TopicChange, UpdatesSince } from './engine.js';
import { CandleTopic, EventsTopic, PortfolioTopic, StateTopic, type Topic } from './topic.js';

export function newEpoch(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

export interface MemoryEngineOptions {
  /** Updates a log topic (events, state) keeps for exact resume. */
  history: number;
  /** Age (ms) past which a log topic's updates no longer answer a resume (default: no limit). */
  historyMs?: number;
  /** Updates a keyed topic (candles, portfolio) keeps for clients without compaction (default DEFAULT_EXACT_HISTORY). */
  exactHistory?: number;
  maxBars?: number;
  /** Events an `events:` topic's snapshot holds (default 100). */
  eventsKept?: number;
  /** Where snapshot texts are encoded, once per topic and seq (default: a cache of its own). */
  snapshots?: SnapshotMessages;
}

export interface EngineFootprint {
  /** Bytes of every candle topic's bar window (a row per bar: OHLCV and the seq of its last change). */
  barBytes: number;
  /** Bytes of the candle topics' exact rings (for clients without compaction). */
  ringBytes: number;
  /** Updates kept for exact resume by portfolio, events and state topics. */
  logUpdates: number;
}

export class MemoryEngine implements LocalEngine {
  private currentEpoch = newEpoch();
  readonly maxBars: number;
  private readonly topics = new Map<string, Topic>();
  private readonly series = new Map<string, CandleTopic[]>();
  private readonly snapshots: SnapshotMessages;

  private readonly exactHistory: number;

  constructor(private readonly options: MemoryEngineOptions) {
    this.maxBars = options.maxBars ?? DEFAULT_MAX_BARS;
    this.snapshots = options.snapshots ?? new SnapshotMessages();
    this.exactHistory = options.exactHistory ?? DEFAULT_EXACT_HISTORY;
  }

  get epoch(): string {
    return this.currentEpoch;
  }

  newEpoch(): string {
    this.currentEpoch = newEpoch();
    return this.currentEpoch;
  }

  get topicCount(): number {
    return this.topics.size;
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  publish(name: string, change: TopicChange, time?: number): number {
    const topic = this.topics.get(name) ?? this.createOnPublish(name);
    // The kind is the topic's: each kind is only ever given its own changes (validated by the publisher).
    switch (topic.kind) {
      case 'candles':
        return topic.publish(change as Bar, time);
      case 'portfolio':
        return topic.publish(change as PortfolioUpdateData, time);
      case 'events':
        return topic.change(change as EventEnvelope, time);
      case 'state':
        return topic.change(change as StateChange, time);
    }
  }

  /** An `events:` or `state:` topic comes into being with its first change. */
  private createOnPublish(name: string): Topic {
    const parsed = parseTopic(name);
    let topic: Topic;
    if (parsed.ok && parsed.topic.kind === 'events')
      topic = new EventsTopic(name, parsed.topic.channel, this.options.eventsKept ?? DEFAULT_EVENTS_KEPT, this.options.history, this.options.historyMs);
    else if (parsed.ok && parsed.topic.kind === 'state') topic = new StateTopic(name, this.options.history, this.options.historyMs);
    else throw new Error(`no such topic: ${name}`);
    this.topics.set(name, topic);
    return topic;
  }

  updatesSince(name: string, since: Since, options?: ResumeOptions): UpdatesSince {
    const topic = this.topic(name);
    if (since.epoch !== this.epoch) return { ok: false, gone: 'other-epoch' };
    if (since.seq > topic.seq) return { ok: false, gone: 'ahead' };
    const replay = topic.replay(since.seq, options?.compact === true);
    return replay ? { ok: true, updates: replay.updates, compacted: replay.compacted } : { ok: false, gone: 'too-old' };
  }

  snapshot(name: string): Snapshot {
    const topic = this.topic(name);
    return { epoch: this.epoch, seq: topic.seq, data: topic.snapshotData() };
  }

  follow(name: string, subscriber: Subscriber, since?: Since, options?: ResumeOptions): FollowStart {
    const topic = this.topic(name);
    const { epoch } = this;
    const read = since ? this.updatesSince(name, since, options) : undefined;
    // A Set: a second follow of the same topic leaves one delivery.
    topic.subscribers.add(subscriber);
    if (read?.ok) return { recovered: true, epoch, seq: topic.seq, missed: read.updates, compacted: read.compacted };
    return { recovered: false, epoch, seq: topic.seq, snapshot: this.snapshots.message(name, epoch, topic.seq, () => topic.snapshotData()).json };
  }

  unfollow(name: string, subscriber: Subscriber): void {
    this.topics.get(name)?.subscribers.delete(subscriber);
  }

  withholdNext(name: string): boolean {
    const topic = this.topics.get(name);
    if (!topic) return false;
    topic.withholdNext = true;
    return true;
  }

  candleSeries(symbol: string): readonly CandleTopic[] {
    let topics = this.series.get(symbol);
    if (!topics) {
      topics = INTERVALS.map(
        (interval) => new CandleTopic(candlesTopic(symbol, interval), symbol, interval, this.exactHistory, this.maxBars),
      );
      for (const topic of topics) this.topics.set(topic.name, topic);
      this.series.set(symbol, topics);
    }
    return topics;
  }

  describeSymbol(symbol: string, precision: PricePrecision): void {
    for (const topic of this.candleSeries(symbol) as CandleTopic[]) {
      topic.describe(precision);
      this.snapshots.forget(topic.name); // the snapshot text changes at the same seq
    }
  }

  seed(name: string, bar: Bar): void {
    const topic = this.topic(name);
    if (topic.kind !== 'candles') throw new Error(`seed: ${name} is not a candle topic`);
    topic.seed(bar);
    this.snapshots.forget(name);
  }

  addPortfolio(account: string, state: PortfolioSnapshotData): string {
    const topic = new PortfolioTopic(portfolioTopic(account), state, this.exactHistory);
    this.topics.set(topic.name, topic);
    return topic.name;
  }

  /** Bytes of the typed bar windows (their seq columns included) and exact rings, and the updates log topics keep. */
  footprint(): EngineFootprint {
    let barBytes = 0;
    let ringBytes = 0;
    for (const topics of this.series.values())
      for (const topic of topics) {
        barBytes += topic.store.bytes;
        ringBytes += topic.ringBytes;
      }
    let logUpdates = 0;
    for (const topic of this.topics.values()) if (topic.kind !== 'candles') logUpdates += topic.keptUpdates;
    return { barBytes, ringBytes, logUpdates };
  }

  private topic(name: string): Topic {
    const topic = this.topics.get(name);
    if (!topic) throw new Error(`no such topic: ${name}`);
    return topic;
  }
}
