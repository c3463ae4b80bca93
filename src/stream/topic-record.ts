/**
 * Per-topic state kept by the stream: the current state (snapshot plus every update
 * applied since), where its wire subscription stands, and the listeners. The apply
 * rules live here: an update is applied only when its seq is exactly last+1 in the
 * current epoch; older ones are duplicates, newer ones are gaps.
 */
import { applyUpdateOfKind, cloneData, type TopicKind, type UpdateMessage } from '../protocol/index.js';
import type { StreamError, TopicEventKind, TopicListener, TopicState } from './types.js';

/** More updates than this waiting for one listener (e.g. a long hidden tab) become one full state. */
export const MAX_PENDING_UPDATES = 5_000;

export type WireStatus = 'none' | 'subscribing' | 'subscribed';

export interface Subscriber {
  readonly listener: TopicListener<any, any>;
  readonly coalesce: 'frame' | 'none';
  readonly onError?: (error: StreamError) => void;
  active: boolean;
  /** Has this listener been given a state yet? */
  seen: boolean;
  /** What it is owed: a full state (`snapshot`/`reset`) or updates, or nothing. */
  pendingKind: TopicEventKind | null;
  pendingUpdates: UpdateMessage[];
  /** Some of `pendingUpdates` came from a compacted replay. */
  pendingCompacted: boolean;
}

export type UpdateOutcome = 'applied' | 'duplicate' | 'gap' | 'ignored';

export class TopicRecord {
  state: TopicState | undefined;
  readonly subscribers = new Set<Subscriber>();
  wire: WireStatus = 'none';
  /** Id of the `sub` in flight or in force. */
  subId: number | undefined;
  /** The server answered `recovered: false`: the next snapshot replaces the state. */
  awaitingSnapshot = false;
  /** A resync (after a gap) is in flight. */
  resyncing = false;
  /** The seq a compacted replay ends at, while it is under way (its seqs may jump). */
  compactUntil: number | undefined;
  lingerTimer: unknown;
  /** The server rejected the topic (unknown_topic, forbidden, ...). */
  error: StreamError | undefined;
  /** Messages received for this topic (snapshots, updates, polled snapshots). */
  messages = 0;

  /** `kind` comes from the name subscribe() already parsed, so no update parses it again. */
  constructor(
    readonly topic: string,
    private readonly kind: TopicKind,
  ) {}

  /** True when updates from the wire may be applied. */
  get live(): boolean {
    return this.wire === 'subscribed' && !this.awaitingSnapshot && this.state !== undefined;
  }

  /** Replaces the state; returns the event kind listeners get (`reset` when there was a state). */
  replace(epoch: string, seq: number, data: unknown): 'snapshot' | 'reset' {
    const kind = this.state === undefined ? 'snapshot' : 'reset';
    this.state = { topic: this.topic, epoch, seq, data };
    this.awaitingSnapshot = false;
    this.resyncing = false;
    this.compactUntil = undefined;
    this.error = undefined;
    return kind;
  }

  /** Classifies and, when in order, applies a wire update. */
  applyUpdate(update: UpdateMessage, maxBars: number): UpdateOutcome {
    const state = this.state;
    if (!this.live || !state) return 'ignored';
    if (update.seq <= state.seq) return 'duplicate';
    const until = this.compactUntil;
    if (until !== undefined) {
      // A compacted replay: seqs may jump, but never past where the server said it ends.
      if (update.seq > until) return 'gap';
      if (update.seq === until) this.compactUntil = undefined;
    } else if (update.seq !== state.seq + 1) return 'gap';
    state.data = applyUpdateOfKind(this.kind, state.data, update.data, maxBars);
    state.seq = update.seq;
    return 'applied';
  }

  /**
   * Gives the live side its own copy of the data, so the objects listeners already hold
   * stop changing (pause freezes what listeners see).
   */
  fork(): void {
    if (this.state) this.state = { ...this.state, data: cloneData(this.state.data) };
  }

  /** A fresh wrapper of the current state (so a host sees a new object); data is shared. */
  view(): TopicState | undefined {
    const s = this.state;
    return s && { topic: s.topic, epoch: s.epoch, seq: s.seq, data: s.data };
  }
}

/** Records what a listener is owed; returns true when it now owes something. */
export function owe(subscriber: Subscriber, kind: TopicEventKind, update?: UpdateMessage, compacted = false): boolean {
  if (kind === 'update') {
    if (subscriber.pendingKind === 'snapshot' || subscriber.pendingKind === 'reset') return true; // the full state covers it
    subscriber.pendingKind = 'update';
    subscriber.pendingUpdates.push(update!);
    if (compacted) subscriber.pendingCompacted = true;
    if (subscriber.pendingUpdates.length > MAX_PENDING_UPDATES) {
      subscriber.pendingKind = 'snapshot';
      subscriber.pendingUpdates = [];
      subscriber.pendingCompacted = false;
    }
    return true;
  }
  subscriber.pendingKind = subscriber.pendingKind === 'reset' || kind === 'reset' ? 'reset' : 'snapshot';
  subscriber.pendingUpdates = [];
  subscriber.pendingCompacted = false;
  return true;
}

