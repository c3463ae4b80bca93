/**
 * Topic channels: each topic has its state (built with the shared appliers, so
 * what a client rebuilds is what the server holds), a seq that grows by one per
 * update, a history ring for resume, and its subscribers.
 */
import { randomBytes } from 'node:crypto';
import {
  applyCandleUpdate,
  applyPortfolioUpdate,
  candlesTopic,
  DEFAULT_MAX_BARS,
  INTERVALS,
  parseTopic,
  type Bar,
  type CandleSnapshotData,
  type Interval,
  type ParsedTopic,
  type PortfolioSnapshotData,
  type PortfolioUpdateData,
  portfolioTopic,
} from '../src/protocol/index.js';
import { UpdateHistory } from './history.js';
import { OutMessage } from './outbox.js';

/** Anything that takes pre-serialised messages for one client (a session). */
export interface Subscriber {
  enqueue(message: OutMessage): void;
}

export function newEpoch(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

abstract class BaseTopic<S, U> {
  seq = 0;
  readonly subscribers = new Set<Subscriber>();
  readonly history: UpdateHistory;
  /** When set, the next update is recorded but not sent (dev control `injectGap`). */
  withholdNext = false;
  private snapshotCache: { seq: number; epoch: string; json: string } | undefined;

  constructor(
    readonly name: string,
    readonly state: S,
    historySize: number,
  ) {
    this.history = new UpdateHistory(historySize, (seq, time, data) => this.updateJson(seq, time, data as U));
  }

  protected abstract apply(data: U): void;

  /** The text of one update message (what `JSON.stringify` of it gives). */
  protected updateJson(seq: number, time: number, data: U): string {
    return JSON.stringify({ op: 'update', topic: this.name, seq, time, data });
  }

  /**
   * Records one update: new seq, applied to the state, kept in history, and when the
   * topic has subscribers serialised once and queued for all of them (the same
   * message object, so it is also encoded once). `data` must not change afterwards:
   * the state and the history keep it.
   */
  publish(data: U, time = Date.now()): void {
    const seq = this.seq + 1;
    this.apply(data);
    this.seq = seq;
    const withheld = this.withholdNext;
    this.withholdNext = false;
    if (withheld || this.subscribers.size === 0) {
      // Not sent now: the text is written only if a resume asks for this update.
      this.history.push(seq, { time, data });
      return;
    }
    const json = this.updateJson(seq, time, data);
    this.history.push(seq, json);
    const message = new OutMessage(json);
    for (const subscriber of this.subscribers) subscriber.enqueue(message);
  }

  /** The snapshot message at the current seq, serialised at most once per seq. */
  snapshotJson(epoch: string): string {
    const cached = this.snapshotCache;
    if (cached && cached.seq === this.seq && cached.epoch === epoch) return cached.json;
    const json = JSON.stringify({ op: 'snapshot', topic: this.name, epoch, seq: this.seq, data: this.state });
    this.snapshotCache = { seq: this.seq, epoch, json };
    return json;
  }
}

export class CandleTopic extends BaseTopic<CandleSnapshotData, Bar> {
  readonly kind = 'candles';
  constructor(
    name: string,
    readonly symbol: string,
    readonly interval: Interval,
    historySize: number,
    readonly maxBars: number,
  ) {
    super(name, { symbol, interval, bars: [] }, historySize);
  }
  protected apply(bar: Bar): void {
    applyCandleUpdate(this.state, bar, this.maxBars);
  }
  private readonly updatePrefix = `{"op":"update","topic":${JSON.stringify(this.name)},"seq":`;
  /** Written out by hand (a candle update is the hot path): the same text as `JSON.stringify`. */
  protected override updateJson(seq: number, time: number, bar: Bar): string {
    const { open, high, low, close, volume, trades } = bar;
    // JSON writes a non-finite number as null; the template would not, so leave those to it.
    if (!Number.isFinite(open + high + low + close + volume + trades + time + bar.time)) return super.updateJson(seq, time, bar);
    return `${this.updatePrefix}${seq},"time":${time},"data":{"time":${bar.time},"open":${open},"high":${high},"low":${low},"close":${close},"volume":${volume},"trades":${trades}}}`;
  }
  /** Puts a bar into the state without an update: only for the initial history (seq 0). */
  seed(bar: Bar): void {
    if (this.seq !== 0) throw new Error('seed() is only for the initial state');
    applyCandleUpdate(this.state, bar, this.maxBars);
  }
}

export class PortfolioTopic extends BaseTopic<PortfolioSnapshotData, PortfolioUpdateData> {
  readonly kind = 'portfolio';
  protected apply(update: PortfolioUpdateData): void {
    applyPortfolioUpdate(this.state, update);
  }
}

export type Topic = CandleTopic | PortfolioTopic;

export interface TopicRegistryOptions {
  history: number;
  maxBars?: number;
}

export class TopicRegistry {
  epoch = newEpoch();
  readonly topics = new Map<string, Topic>();
  readonly maxBars: number;
  private readonly series = new Map<string, CandleTopic[]>();

  constructor(private readonly options: TopicRegistryOptions) {
    this.maxBars = options.maxBars ?? DEFAULT_MAX_BARS;
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  /** Looks up a topic name: not well-formed, well-formed but unknown, or the topic. */
  resolve(name: string): { ok: true; topic: Topic } | { ok: false; code: 'bad_request' | 'unknown_topic'; message: string } {
    const parsed = parseTopic(name);
    if (!parsed.ok) return { ok: false, code: 'bad_request', message: `bad topic: ${parsed.reason}` };
    const topic = this.topics.get(name);
    if (!topic) return { ok: false, code: 'unknown_topic', message: `no such topic: ${describe(parsed.topic)}` };
    return { ok: true, topic };
  }

  symbols(): string[] {
    return [...this.series.keys()];
  }

  /** The candle topics of `symbol` for every interval, created (empty, seq 0) on first use. */
  candleSeries(symbol: string): CandleTopic[] {
    let topics = this.series.get(symbol);
    if (!topics) {
      topics = INTERVALS.map(
        (interval) => new CandleTopic(candlesTopic(symbol, interval), symbol, interval, this.options.history, this.maxBars),
      );
      for (const topic of topics) this.topics.set(topic.name, topic);
      this.series.set(symbol, topics);
    }
    return topics;
  }

  addPortfolio(account: string, state: PortfolioSnapshotData): PortfolioTopic {
    const topic = new PortfolioTopic(portfolioTopic(account), state, this.options.history);
    this.topics.set(topic.name, topic);
    return topic;
  }
}

function describe(topic: ParsedTopic): string {
  return topic.kind === 'candles' ? `unknown symbol ${topic.symbol}` : `unknown account ${topic.account}`;
}
