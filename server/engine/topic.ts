/**
 * The memory engine's topics: each has its state (built with the shared appliers, so
 * what a client rebuilds is what the server holds), a seq that grows by one per
 * update, a history ring for resume, and its followers.
 */
import {
  applyCandleUpdate,
  applyEventsUpdate,
  applyPortfolioUpdate,
  applyStateUpdate,
  type EventEnvelope,
  type EventsSnapshotData,
  type JsonObject,
  type Bar,
  type CandleSnapshotData,
  type Interval,
  type PricePrecision,
  type PortfolioSnapshotData,
  type PortfolioUpdateData,
} from '../../src/protocol/index.js';
import { OutMessage } from '../frame-writer.js';
import { foldEvent, foldStateChange, type StateChange } from './changes.js';
import type { Subscriber } from './engine.js';
import { UpdateHistory } from './history.js';
import { candleUpdatePrefix, candleUpdateText } from './update-text.js';

abstract class BaseTopic<S, U> {
  seq = 0;
  readonly subscribers = new Set<Subscriber>();
  readonly history: UpdateHistory;
  /** When set, the next update is recorded but not sent (dev control `injectGap`). */
  withholdNext = false;

  constructor(
    readonly name: string,
    /** Replaced, not mutated, only by state topics (a merge patch gives a new document). */
    public state: S,
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
   * the state and the history keep it. Returns the update's seq.
   */
  publish(data: U, time = Date.now()): number {
    const seq = this.seq + 1;
    this.apply(data);
    this.seq = seq;
    const withheld = this.withholdNext;
    this.withholdNext = false;
    if (withheld || this.subscribers.size === 0) {
      // Not sent now: the text is written only if a resume asks for this update.
      this.history.push(seq, { time, data });
      return seq;
    }
    const json = this.updateJson(seq, time, data);
    this.history.push(seq, json);
    const message = new OutMessage(json);
    for (const subscriber of this.subscribers) subscriber.enqueue(message);
    return seq;
  }
}

export class CandleTopic extends BaseTopic<CandleSnapshotData, Bar> {
  readonly kind = 'candles';
  private readonly updatePrefix: string;
  constructor(
    name: string,
    readonly symbol: string,
    readonly interval: Interval,
    historySize: number,
    readonly maxBars: number,
  ) {
    super(name, { symbol, interval, bars: [] }, historySize);
    this.updatePrefix = candleUpdatePrefix(name);
  }
  protected apply(bar: Bar): void {
    applyCandleUpdate(this.state, bar, this.maxBars);
  }
  protected override updateJson(seq: number, time: number, bar: Bar): string {
    return candleUpdateText(this.updatePrefix, seq, time, bar);
  }
  /**
   * Sets the precision the snapshot carries. Not an update: precision is snapshot metadata,
   * so a client holding an older snapshot keeps the value it had until its next snapshot.
   */
  describe({ precision, tickSize }: PricePrecision): void {
    this.state.precision = precision;
    if (tickSize === undefined) delete this.state.tickSize;
    else this.state.tickSize = tickSize;
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

/**
 * `events:<CHANNEL>`: the last `max` events as its state; an update is one event. Ids of
 * the events still in the resume history (or in the list, when that is longer) are
 * remembered, so a retried POST with the same id is stored once.
 */
export class EventsTopic extends BaseTopic<EventsSnapshotData, EventEnvelope> {
  readonly kind = 'events';
  private readonly ids = new Map<string, number>();
  /** (seq, id) of remembered ids, oldest first, for forgetting them in order. */
  private readonly idOrder: Array<[number, string]> = [];
  private readonly idWindow: number;

  constructor(name: string, channel: string, max: number, historySize: number) {
    super(name, { channel, max, events: [] }, historySize);
    this.idWindow = Math.max(historySize, max);
  }

  /** Folds one event in; returns the topic's seq after it (unchanged for a duplicate id). */
  change(event: EventEnvelope, time?: number): number {
    const update = foldEvent(this.ids, event);
    return update ? this.publish(update, time) : this.seq;
  }

  protected apply(event: EventEnvelope): void {
    applyEventsUpdate(this.state, event);
    const seq = this.seq + 1;
    if (event.id !== undefined) {
      this.ids.set(event.id, seq);
      this.idOrder.push([seq, event.id]);
    }
    while (this.idOrder.length > 0 && this.idOrder[0]![0] <= seq - this.idWindow) {
      const [old, id] = this.idOrder.shift()!;
      if (this.ids.get(id) === old) this.ids.delete(id);
    }
  }
}

/** `state:<KEY>`: a JSON document as its state; an update is a merge patch (RFC 7396). */
export class StateTopic extends BaseTopic<JsonObject, JsonObject> {
  readonly kind = 'state';

  constructor(name: string, historySize: number) {
    super(name, {}, historySize);
  }

  /** Folds a put or patch in; returns the topic's seq after it (unchanged when the document stays the same). */
  change(change: StateChange, time?: number): number {
    const patch = foldStateChange(this.state, change);
    return patch ? this.publish(patch, time) : this.seq;
  }

  protected apply(patch: JsonObject): void {
    this.state = applyStateUpdate(this.state, patch);
  }
}

export type Topic = CandleTopic | PortfolioTopic | EventsTopic | StateTopic;
