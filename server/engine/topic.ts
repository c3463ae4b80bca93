/**
 * The memory engine's topics: each has its state (built with the shared appliers, so
 * what a client rebuilds is what the server holds), a seq that grows by one per
 * update, what answers a resume, and its followers.
 *
 * Resume: events and state topics keep their last updates exactly (count and age); a
 * state topic's compacted replay composes them into one merge patch. Candle and portfolio
 * topics also know when each key last changed, so a client that takes compacted replays
 * (`hello.caps` `compact`) resumes from any seq of the epoch with only the latest change
 * of each key; others get the last `exactHistory` updates exactly, or a snapshot.
 */
import {
  applyCandleUpdate,
  composeMergePatches,
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
import { BarRing } from './bar-ring.js';
import { BarStore } from './bar-store.js';
import { UpdateHistory } from './history.js';
import { RowSeqs } from './row-seqs.js';
import { candleUpdatePrefix, candleUpdateText } from './update-text.js';

/** What answers a resume after a seq: the updates' text, and whether they are compacted. */
export interface Replay {
  updates: readonly string[];
  compacted: boolean;
}

/** How long a topic's resume history reaches: exact updates (count and age) for log topics and old clients. */
export interface HistoryLimits {
  /** Updates a log topic keeps for exact resume. */
  history: number;
  /** Age past which a log topic's updates no longer answer a resume. */
  historyMs: number;
  /** Updates a keyed topic keeps for exact resume (clients without compaction). */
  exactHistory: number;
}

abstract class BaseTopic<U> {
  seq = 0;
  readonly subscribers = new Set<Subscriber>();
  /** When set, the next update is recorded but not sent (dev control `injectGap`). */
  withholdNext = false;

  constructor(readonly name: string) {}

  /** Folds the update into the state. */
  protected abstract apply(data: U, seq: number, time: number): void;
  /** Keeps the update for exact resume: its text when it was sent, else its parts. */
  protected abstract record(seq: number, time: number, data: U, json: string | undefined): void;
  /** The exact updates after `afterSeq` (0 <= afterSeq < seq), or undefined when not all are kept. */
  protected abstract exact(afterSeq: number): string[] | undefined;
  /** The state as a snapshot carries it (the live state: read it at once, never change it). */
  abstract snapshotData(): unknown;

  /**
   * The answer to a compacting client after `afterSeq` (0 <= afterSeq < seq): a compacted
   * replay, or the exact one when compacting gains nothing; undefined sends it to the exact
   * history (a log topic, or too old to compact).
   */
  protected compacted(_afterSeq: number): Replay | undefined {
    return undefined;
  }

  /** The text of one update message (what `JSON.stringify` of it gives). */
  protected updateJson(seq: number, time: number, data: U): string {
    return JSON.stringify({ op: 'update', topic: this.name, seq, time, data });
  }

  /**
   * Records one update: new seq, applied to the state, kept for resume, and when the
   * topic has subscribers serialised once and queued for all of them (the same
   * message object, so it is also encoded once). `data` must not change afterwards:
   * the state and the history may keep it. Returns the update's seq.
   */
  publish(data: U, time = Date.now()): number {
    const seq = this.seq + 1;
    this.apply(data, seq, time);
    this.seq = seq;
    const withheld = this.withholdNext;
    this.withholdNext = false;
    if (withheld || this.subscribers.size === 0) {
      // Not sent now: the text is written only if a resume asks for this update.
      this.record(seq, time, data, undefined);
      return seq;
    }
    const json = this.updateJson(seq, time, data);
    this.record(seq, time, data, json);
    const message = new OutMessage(json);
    for (const subscriber of this.subscribers) subscriber.enqueue(message);
    return seq;
  }

  /**
   * The updates after `afterSeq` up to the current seq, or undefined when they cannot be
   * served (the client gets a snapshot). `compact`: the client takes compacted replays.
   */
  replay(afterSeq: number, compact: boolean): Replay | undefined {
    if (afterSeq < 0 || afterSeq > this.seq) return undefined;
    if (afterSeq === this.seq) return { updates: [], compacted: false };
    const compacted = compact ? this.compacted(afterSeq) : undefined;
    if (compacted) return compacted;
    const exact = this.exact(afterSeq);
    return exact && { updates: exact, compacted: false };
  }
}

/** A topic whose exact updates are kept as text (or parts) in an `UpdateHistory`. */
abstract class LoggedTopic<S, U> extends BaseTopic<U> {
  protected readonly history: UpdateHistory;

  constructor(
    name: string,
    /** Replaced, not mutated, only by state topics (a merge patch gives a new document). */
    public state: S,
    historySize: number,
    historyMs = Number.POSITIVE_INFINITY,
  ) {
    super(name);
    this.history = new UpdateHistory(historySize, (seq, time, data) => this.updateJson(seq, time, data as U), historyMs);
  }

  protected record(seq: number, time: number, data: U, json: string | undefined): void {
    this.history.push(seq, time, json ?? { time, data });
  }

  /** Updates kept for exact resume. */
  get keptUpdates(): number {
    return this.history.size;
  }

  protected exact(afterSeq: number): string[] | undefined {
    return this.history.after(afterSeq, this.seq);
  }

  snapshotData(): unknown {
    return this.state;
  }
}

/**
 * `candles:<SYMBOL>:<INTERVAL>`: its bars in a `BarStore` (each with the seq of its last
 * change, which answers a compacted resume from any seq of the epoch: the bars changed
 * after it, in the order of those changes) and its last updates in a `BarRing`.
 */
export class CandleTopic extends BaseTopic<Bar> {
  readonly kind = 'candles';
  readonly store: BarStore;
  private readonly ring: BarRing;
  private readonly updatePrefix: string;
  private precision: PricePrecision | undefined;
  private readonly text = (seq: number, updated: number, bar: Bar): string =>
    candleUpdateText(this.updatePrefix, seq, updated, bar);

  constructor(
    name: string,
    readonly symbol: string,
    readonly interval: Interval,
    exactHistory: number,
    readonly maxBars: number,
  ) {
    super(name);
    this.store = new BarStore(maxBars);
    this.ring = new BarRing(exactHistory);
    this.updatePrefix = candleUpdatePrefix(name);
  }

  /** Bytes of the exact ring (for the memory bench and /metrics). */
  get ringBytes(): number {
    return this.ring.bytes;
  }

  protected apply(bar: Bar, seq: number): void {
    this.store.upsert(bar, seq);
  }

  protected record(seq: number, time: number, bar: Bar): void {
    this.ring.push(seq, bar, time);
  }

  protected exact(afterSeq: number): string[] | undefined {
    return this.ring.after(afterSeq, this.seq, this.text);
  }

  /** Every bar changed after `afterSeq` at its latest, in seq order: applied, they give the state at `seq`. */
  protected override compacted(afterSeq: number): Replay {
    const { store } = this;
    // The time of a compacted update is the replay's: each bar's change time is not kept (memory).
    const now = Date.now();
    return { updates: store.changedAfter(afterSeq).map((i) => this.text(store.seq(i), now, store.bar(i))), compacted: true };
  }

  protected override updateJson(seq: number, time: number, bar: Bar): string {
    return candleUpdateText(this.updatePrefix, seq, time, bar);
  }

  snapshotData(): CandleSnapshotData {
    const data: CandleSnapshotData = { symbol: this.symbol, interval: this.interval, bars: this.store.toBars() };
    if (this.precision) {
      data.precision = this.precision.precision;
      if (this.precision.tickSize !== undefined) data.tickSize = this.precision.tickSize;
    }
    return data;
  }

  /**
   * Sets the precision the snapshot carries. Not an update: precision is snapshot metadata,
   * so a client holding an older snapshot keeps the value it had until its next snapshot.
   */
  describe(precision: PricePrecision): void {
    this.precision = precision;
  }

  /** Puts a bar into the state without an update: only for the initial history (seq 0). */
  seed(bar: Bar): void {
    if (this.seq !== 0) throw new Error('seed() is only for the initial state');
    this.store.upsert(bar, 0);
  }
}

/**
 * `portfolio:<ACCOUNT>`: rows by symbol and totals. A compacted resume is one update at the
 * current seq (server/engine/row-seqs.ts): the rows changed since, in state order, and as
 * removed every row removed or (re-)added since.
 */
export class PortfolioTopic extends LoggedTopic<PortfolioSnapshotData, PortfolioUpdateData> {
  readonly kind = 'portfolio';
  private readonly rows = new RowSeqs();
  private lastTime = 0;

  protected apply(update: PortfolioUpdateData, seq: number, time: number): void {
    this.rows.apply(this.state.positions, update, seq);
    applyPortfolioUpdate(this.state, update);
    this.lastTime = time;
  }

  protected override compacted(afterSeq: number): Replay | undefined {
    const data = this.rows.compacted(this.state, afterSeq);
    return data && { updates: [this.updateJson(this.seq, this.lastTime, data)], compacted: true };
  }
}

/**
 * `events:<CHANNEL>`: the last `max` events as its state; an update is one event. Ids of
 * the events still in the resume history (or in the list, when that is longer) are
 * remembered, so a retried POST with the same id is stored once.
 */
export class EventsTopic extends LoggedTopic<EventsSnapshotData, EventEnvelope> {
  readonly kind = 'events';
  private readonly ids = new Map<string, number>();
  /** (seq, id) of remembered ids, oldest first, for forgetting them in order. */
  private readonly idOrder: Array<[number, string]> = [];
  private readonly idWindow: number;

  constructor(name: string, channel: string, max: number, historySize: number, historyMs?: number) {
    super(name, { channel, max, events: [] }, historySize, historyMs);
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
export class StateTopic extends LoggedTopic<JsonObject, JsonObject> {
  readonly kind = 'state';

  constructor(name: string, historySize: number, historyMs?: number) {
    super(name, {}, historySize, historyMs);
  }

  /** Folds a put or patch in; returns the topic's seq after it (unchanged when the document stays the same). */
  change(change: StateChange, time?: number): number {
    const patch = foldStateChange(this.state, change);
    return patch ? this.publish(patch, time) : this.seq;
  }

  protected apply(patch: JsonObject): void {
    this.state = applyStateUpdate(this.state, patch);
  }

  /**
   * The kept patches after `afterSeq` composed into one update at the current seq (keyed by
   * member, a document compacts like a portfolio); the exact ones when there is only one or
   * no single merge patch can say them; undefined when they are no longer all kept.
   */
  protected override compacted(afterSeq: number): Replay | undefined {
    const texts = this.exact(afterSeq);
    if (!texts) return undefined;
    const exact = { updates: texts, compacted: false };
    if (texts.length <= 1) return exact;
    let patch: JsonObject | undefined = {};
    let time = 0;
    for (const text of texts) {
      const update = JSON.parse(text) as { time: number; data: JsonObject };
      patch = composeMergePatches(patch, update.data);
      if (!patch) return exact;
      time = update.time;
    }
    return { updates: [this.updateJson(this.seq, time, patch)], compacted: true };
  }
}

export type Topic = CandleTopic | PortfolioTopic | EventsTopic | StateTopic;
