/**
 * The seam between sessions and where topics live. An engine holds every topic's
 * state, seq and update history under one epoch, and delivers live updates to the
 * sessions that follow a topic. Sessions, REST and dev controls use only `Engine`,
 * so another engine (Redis, issue 14) can be added without touching them.
 *
 * Answers may come later (`Awaitable`): a shared engine has to ask its store. The
 * memory engine answers at once, and sessions keep its answers synchronous (they
 * branch on `instanceof Promise`, never await a plain value), so a sub is answered
 * in one step and a publish fans out in the same turn with no promise on the hot
 * path (the fan-out bench stays as it was). Live delivery is a plain call of
 * `Subscriber.enqueue` with one shared message per update, for the same reason.
 *
 * `follow` takes the resume point itself, rather than sessions reading history and
 * then following: over pub/sub an engine must subscribe first, buffer, read and merge
 * by seq (../shared/design/scale-out-redis.md), and that belongs in the engine.
 */
import type { Bar, Interval, PortfolioSnapshotData, PricePrecision } from '../../src/protocol/index.js';
import type { OutMessage } from '../frame-writer.js';

export type Awaitable<T> = T | Promise<T>;

/** Anything that takes pre-serialised messages for one client (a session). */
export interface Subscriber {
  enqueue(message: OutMessage): void;
}

export type { StateChange, TopicChange } from './changes.js';
import type { TopicChange } from './changes.js';

/** Where a client asks to resume: the epoch and seq of the last update it applied. */
export interface Since {
  epoch: string;
  seq: number;
}

/** Why the updates after a seq cannot be read: another epoch, no longer kept, or a seq the topic never had. */
export type GoneReason = 'other-epoch' | 'too-old' | 'ahead';

/**
 * The updates after a seq (each the exact text that was or would have been sent), or why
 * there are none. `compacted`: only the latest change of each key, seqs jumping
 * (strictly increasing, the last one the topic's seq); given only when asked for.
 */
export type UpdatesSince = { ok: true; updates: readonly string[]; compacted: boolean } | { ok: false; gone: GoneReason };

/** How a client takes a resume: `compact` when it announced the capability. */
export interface ResumeOptions {
  compact?: boolean;
}

export interface Snapshot {
  epoch: string;
  seq: number;
  /** The state at `seq`. The memory engine gives its live state: read it at once, never change it. */
  data: unknown;
}

/**
 * Where a follower's stream starts: the updates it missed after its `since`
 * (recovered), or the snapshot message at `seq`. Live updates after `seq` follow.
 */
export type FollowStart =
  | { recovered: true; epoch: string; seq: number; missed: readonly string[]; compacted: boolean }
  | { recovered: false; epoch: string; seq: number; snapshot: string };

export interface Engine {
  /** Changes on each start of the engine: seqs of another epoch mean nothing here. */
  readonly epoch: string;
  /** Topics that exist (for metrics and health). */
  readonly topicCount: number;
  /** Whether a well-formed topic name is a topic. */
  has(topic: string): Awaitable<boolean>;
  /**
   * Folds a change into a topic (server/engine/changes.ts) and records the update in its
   * history; resolves with the topic's seq after it (unchanged when the change changed
   * nothing: a duplicate event id, a patch that leaves the document as it was). An
   * `events:` or `state:` topic is created by its first change; other kinds must exist.
   */
  publish(topic: string, change: TopicChange, time?: number): Awaitable<number>;
  /** The updates of an existing topic after `since.seq` (compacted when allowed and possible), or why they are gone. */
  updatesSince(topic: string, since: Since, options?: ResumeOptions): Awaitable<UpdatesSince>;
  /** The state of an existing topic and the seq it is at. */
  snapshot(topic: string): Awaitable<Snapshot>;
  /**
   * Starts delivering an existing topic's live updates to `subscriber` (once, however
   * often it is called) and says where its stream starts: after `since` when that can
   * be served from history, else at a snapshot. No live update reaches the subscriber
   * before the caller has the start: a synchronous engine returns it before it can
   * publish again; an engine that answers later holds live updates back and delivers
   * them no sooner than the turn after it resolves.
   */
  follow(topic: string, subscriber: Subscriber, since?: Since, options?: ResumeOptions): Awaitable<FollowStart>;
  /** Stops delivering `topic` to `subscriber`; nothing happens when it did not follow it. */
  unfollow(topic: string, subscriber: Subscriber): void;
  /** Dev control `injectGap`: the topic's next update is recorded but not delivered. False for an unknown topic. */
  withholdNext(topic: string): boolean;
  /**
   * Dev control `restart`: a new epoch, as a restarted server would have. State and seqs go
   * on, but no `since` of the old epoch resumes any more (clients get snapshots). Returns it.
   */
  newEpoch(): string;
}

/** A topic of one symbol's candle series, as the trade fold reads it. */
export interface CandleSeriesTopic {
  readonly name: string;
  readonly interval: Interval;
  /** Bars the topic keeps. */
  readonly maxBars: number;
  /** Its bars, oldest first. */
  readonly store: {
    readonly length: number;
    find(time: number): number;
    bar(index: number): Bar;
    time(index: number): number;
  };
}

/**
 * An engine that holds its topics in this process and answers at once. The feeds'
 * folds (trades into bars, fills into a portfolio) read the current state per trade,
 * so they need one; with a shared engine the fold runs in the engine (issue 14).
 */
export interface LocalEngine extends Engine {
  has(topic: string): boolean;
  publish(topic: string, change: TopicChange, time?: number): number;
  updatesSince(topic: string, since: Since, options?: ResumeOptions): UpdatesSince;
  snapshot(topic: string): Snapshot;
  follow(topic: string, subscriber: Subscriber, since?: Since, options?: ResumeOptions): FollowStart;
  /** The candle topics of `symbol` for every interval, created (empty, seq 0) on first use. */
  candleSeries(symbol: string): readonly CandleSeriesTopic[];
  /** Sets the price precision every candle snapshot of `symbol` carries (creates its series if needed). */
  describeSymbol(symbol: string, precision: PricePrecision): void;
  /** Puts a bar into a candle topic's state without an update: only for the initial history (seq 0). */
  seed(topic: string, bar: Bar): void;
  /** Creates the topic `portfolio:<account>` with its initial state; returns its name. */
  addPortfolio(account: string, state: PortfolioSnapshotData): string;
}
