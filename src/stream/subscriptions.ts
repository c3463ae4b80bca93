/**
 * Topics and their wire subscriptions: one `sub` per topic whatever the number of
 * listeners, the `sub`/`unsub` frames awaiting an answer, their re-sends after
 * `rate_limited`, the linger before a released topic's `unsub`, the idle close once no
 * topic is held, resubscription (with `since`) when a socket opens, the resync of a topic
 * with a gap, and the one way a topic's subscription ends with an error (end()).
 */
import type { SnapshotMessage, SubscribedMessage, TopicKind, UpdateMessage } from '../protocol/index.js';
import type { Clock } from './clock.js';
import type { Connection } from './connection.js';
import type { Delivery } from './delivery.js';
import type { MetricsTracker } from './metrics.js';
import { TopicRecord, type Subscriber } from './topic-record.js';
import type { StreamError } from './types.js';

/**
 * After `error rate_limited`, `sub`/`unsub` frames still unanswered are sent again after
 * a jittered wait of this base (plus up to as much again): the server drops frames over
 * its limit unread, and its flood window needs about a second to clear.
 */
export const RATE_LIMITED_RETRY_MS = 1_000;
/** Re-sends per topic before it is given up with a `rate_limited` topic error. */
export const RATE_LIMITED_MAX_RETRIES = 5;

export interface SubscriptionsOptions {
  clock: Clock;
  connection: Connection;
  delivery: Delivery;
  metrics: MetricsTracker;
  lingerMs: number;
  idleCloseMs: number;
  maxBars: number;
  /** While polling: fetch a topic just taken at once. */
  pollNow(topic: string): void;
  badFrame(reason: string): void;
  guard(fn: () => void): void;
}

export class Subscriptions {
  readonly topics = new Map<string, TopicRecord>();
  /** `sub` ids awaiting `subscribed`, to their topic. */
  private readonly pendingSubs = new Map<number, TopicRecord>();
  /** `unsub` ids of dropped topics awaiting `unsubscribed`, to their topic. */
  private readonly pendingUnsubs = new Map<number, string>();
  /** Re-sends after `rate_limited` so far, per topic (cleared by its answer). */
  private readonly rateRetries = new Map<string, number>();
  private rateRetryTimer: unknown;
  private idleTimer: unknown;

  private readonly delivery: Delivery;
  private readonly metrics: MetricsTracker;

  constructor(private readonly o: SubscriptionsOptions) {
    this.delivery = o.delivery;
    this.metrics = o.metrics;
  }

  /** Some topic has listeners (a connection is wanted). */
  wanted(): boolean {
    for (const record of this.topics.values()) if (record.subscribers.size > 0) return true;
    return false;
  }

  /** Topics with listeners (what polling fetches). */
  held(): string[] {
    return [...this.topics.values()].filter((r) => r.subscribers.size > 0).map((r) => r.topic);
  }

  /** The record of a `sub` awaiting its answer. */
  pending(id: number): TopicRecord | undefined {
    return this.pendingSubs.get(id);
  }

  /** Adds a listener to a topic (created if new, its linger cancelled) and asks for it on the wire. */
  add(topic: string, kind: TopicKind, subscriber: Subscriber, refusal: StreamError | undefined): TopicRecord {
    let record = this.topics.get(topic);
    if (!record) {
      record = new TopicRecord(topic, kind);
      // The server keeps refusing our token: a new topic is refused too, until a `welcome`.
      if (refusal) record.error = { ...refusal, topic };
      this.topics.set(topic, record);
    }
    // A topic the server did not have may be published by now: a listener coming back to it asks again.
    if (record.subscribers.size === 0 && record.error?.code === 'unknown_topic') record.error = undefined;
    if (record.lingerTimer !== undefined) this.o.clock.clearTimer(record.lingerTimer);
    record.lingerTimer = undefined;
    this.cancelIdleClose();
    record.subscribers.add(subscriber);
    return record;
  }

  /** A topic gained a listener: subscribe on the open socket, poll it, or connect. */
  demand(record: TopicRecord): void {
    if (record.wire !== 'none' || record.error) return;
    const connection = this.o.connection;
    if (connection.isOpen) this.sendSub(record);
    else this.o.pollNow(record.topic);
    if (connection.waiting) connection.connect();
  }

  release(record: TopicRecord, subscriber: Subscriber): void {
    if (!subscriber.active) return;
    subscriber.active = false;
    record.subscribers.delete(subscriber);
    this.delivery.forget(subscriber);
    if (record.subscribers.size > 0 || this.topics.get(record.topic) !== record) return;
    // Linger, so a re-render that drops and takes the topic again does not churn the wire.
    record.lingerTimer = this.o.clock.setTimer(() => this.o.guard(() => this.drop(record)), this.o.lingerMs);
  }

  /** The server refused or ended a topic's subscription: its listeners get the error; no re-sub until asked. */
  end(record: TopicRecord, error: StreamError): void {
    if (record.subId !== undefined) this.pendingSubs.delete(record.subId);
    record.wire = 'none';
    record.subId = undefined;
    record.resyncing = false;
    this.delivery.topicError(record, error);
  }

  /** The server keeps refusing our token: every topic with listeners is refused until a `welcome`. */
  refuseAll(error: StreamError): void {
    for (const record of this.topics.values()) {
      if (record.subscribers.size === 0) continue;
      const refusal = (record.error = { ...error, topic: record.topic });
      for (const subscriber of record.subscribers) if (subscriber.active) this.delivery.callErrorHandler(subscriber, refusal);
    }
  }

  /** `welcome`: resume every topic with listeners (with `since`); lingering ones are dropped. */
  resume(): void {
    for (const record of [...this.topics.values()]) {
      if (record.subscribers.size === 0) {
        if (record.lingerTimer !== undefined) this.o.clock.clearTimer(record.lingerTimer);
        record.lingerTimer = undefined;
        record.wire = 'none';
        this.drop(record);
      } else {
        this.sendSub(record);
      }
    }
  }

  /** The socket ended: no wire subscription survives it. */
  linkEnded(): void {
    for (const record of this.topics.values()) {
      record.wire = 'none';
      record.subId = undefined;
      record.awaitingSnapshot = false;
      record.resyncing = false;
    }
    this.pendingSubs.clear();
    this.pendingUnsubs.clear();
    this.rateRetries.clear();
    if (this.rateRetryTimer !== undefined) this.o.clock.clearTimer(this.rateRetryTimer);
    this.rateRetryTimer = undefined;
  }

  cancelIdleClose(): void {
    if (this.idleTimer !== undefined) this.o.clock.clearTimer(this.idleTimer);
    this.idleTimer = undefined;
  }

  dispose(): void {
    this.cancelIdleClose();
    for (const record of this.topics.values()) {
      if (record.lingerTimer !== undefined) this.o.clock.clearTimer(record.lingerTimer);
      for (const subscriber of record.subscribers) subscriber.active = false;
    }
    this.topics.clear();
    this.pendingSubs.clear();
  }

  // ---- server answers ----------------------------------------------------------------

  onSubscribed(message: SubscribedMessage): void {
    const record = this.pendingSubs.get(message.id);
    if (!record || record.subId !== message.id) return; // an answer to a sub we no longer care about
    this.pendingSubs.delete(message.id);
    if (record.topic !== message.topic) {
      this.o.badFrame(`subscribed ${message.id} names ${message.topic.slice(0, 64)}, expected ${record.topic}`);
      return;
    }
    record.wire = 'subscribed';
    record.error = undefined;
    this.rateRetries.delete(record.topic);
    const state = record.state;
    if (message.recovered) {
      if (!state || state.epoch !== message.epoch) {
        // Cannot continue from something we do not have: ask for a snapshot instead.
        this.o.badFrame(`subscribed ${message.topic} claims recovery from a state this client does not hold`);
        this.o.connection.send({ op: 'unsub', id: this.o.connection.id(), topic: record.topic });
        this.sendSub(record, false);
        return;
      }
      // The missed updates follow (and are applied in order by onUpdate); a compacted
      // replay may jump seqs up to message.seq.
      if (record.resyncing || message.seq > state.seq) this.metrics.gapsRecovered++;
      record.compactUntil = message.compacted && message.seq > state.seq ? message.seq : undefined;
      record.resyncing = false;
      this.metrics.changed();
    } else {
      record.awaitingSnapshot = true;
      record.compactUntil = undefined;
    }
  }

  onSnapshot(message: SnapshotMessage): void {
    const record = this.topics.get(message.topic);
    if (!record || record.wire !== 'subscribed' || !record.awaitingSnapshot) return;
    const kind = record.replace(message.epoch, message.seq, message.data);
    this.count(record);
    if (kind === 'reset') this.metrics.resyncs++;
    this.delivery.notify(record, kind);
  }

  /** The hot path: apply in order, drop duplicates, resync on a gap. */
  onUpdate(message: UpdateMessage): void {
    const record = this.topics.get(message.topic);
    if (!record) return;
    const compacted = record.compactUntil !== undefined;
    const outcome = record.applyUpdate(message, this.o.maxBars);
    if (outcome === 'ignored') return;
    this.count(record);
    if (outcome === 'duplicate') {
      this.metrics.duplicatesDropped++;
    } else if (outcome === 'gap') {
      if (!record.resyncing) this.metrics.gapsDetected++;
      this.resync(record);
    } else {
      this.delivery.notify(record, 'update', message, compacted);
    }
  }

  onUnsubscribed(id: number, topic: string): void {
    if (this.pendingUnsubs.delete(id) && !this.topics.has(topic)) this.rateRetries.delete(topic);
  }

  /** Counts a message (snapshot, update, polled snapshot) for its topic. */
  count(record: TopicRecord): void {
    record.messages++;
    this.metrics.topicMessages.set(record.topic, record.messages);
  }

  /**
   * `error rate_limited`: the server dropped some of our frames unread. After a jittered
   * wait, every `sub` and `unsub` still unanswered is sent again, and checked again after
   * another wait (the server sends at most one `rate_limited` a second, so a re-sent frame
   * can be dropped without a word). At most RATE_LIMITED_MAX_RETRIES times per topic; then
   * the topic gets a `rate_limited` error instead of staying pending forever. Pings need
   * nothing: liveness is judged by frames.
   */
  onRateLimited(): void {
    if (this.rateRetryTimer !== undefined) return;
    const connection = this.o.connection;
    const generation = connection.generation;
    const clock = this.o.clock;
    this.rateRetryTimer = clock.setTimer(() => {
      this.rateRetryTimer = undefined;
      this.o.guard(() => {
        if (generation !== connection.generation || !connection.isOpen) return;
        if (this.resendPending() > 0) this.onRateLimited();
      });
    }, RATE_LIMITED_RETRY_MS * (1 + clock.random()));
  }

  // ---- the wire ------------------------------------------------------------------------

  private resendPending(): number {
    let resent = 0;
    for (const [id, record] of [...this.pendingSubs]) {
      if (record.subId !== id || this.topics.get(record.topic) !== record) continue;
      const tries = (this.rateRetries.get(record.topic) ?? 0) + 1;
      if (tries > RATE_LIMITED_MAX_RETRIES) {
        this.rateRetries.delete(record.topic);
        this.end(record, { code: 'rate_limited', message: 'the server kept dropping this subscription (rate limited)', topic: record.topic });
        continue;
      }
      this.rateRetries.set(record.topic, tries);
      this.sendSub(record, true);
      resent++;
    }
    for (const [id, topic] of [...this.pendingUnsubs]) {
      this.pendingUnsubs.delete(id);
      // Taken again meanwhile: its new `sub` stands, an `unsub` now would cancel it.
      if (this.topics.has(topic)) continue;
      const tries = (this.rateRetries.get(topic) ?? 0) + 1;
      if (tries > RATE_LIMITED_MAX_RETRIES) {
        this.rateRetries.delete(topic);
        continue; // at worst the server keeps sending a topic we ignore, until this socket ends
      }
      this.rateRetries.set(topic, tries);
      this.sendUnsub(topic);
      resent++;
    }
    return resent;
  }

  /** A gap: re-subscribe the topic with `since`, so the server sends what we missed (or a snapshot). */
  private resync(record: TopicRecord): void {
    if (record.resyncing) return;
    record.resyncing = true;
    const connection = this.o.connection;
    if (!connection.isOpen) return; // the resume on reconnect covers it
    connection.send({ op: 'unsub', id: connection.id(), topic: record.topic });
    this.sendSub(record);
  }

  private sendSub(record: TopicRecord, withSince = true): void {
    const id = this.o.connection.id();
    if (record.subId !== undefined) this.pendingSubs.delete(record.subId);
    record.subId = id;
    record.wire = 'subscribing';
    record.awaitingSnapshot = false;
    this.pendingSubs.set(id, record);
    const state = record.state;
    this.o.connection.send(
      state && withSince
        ? { op: 'sub', id, topic: record.topic, since: { epoch: state.epoch, seq: state.seq } }
        : { op: 'sub', id, topic: record.topic },
    );
  }

  /** The `unsub` of a dropped topic, kept until answered so a rate-limited one is sent again. */
  private sendUnsub(topic: string): void {
    const id = this.o.connection.id();
    this.pendingUnsubs.set(id, topic);
    this.o.connection.send({ op: 'unsub', id, topic });
  }

  private drop(record: TopicRecord): void {
    record.lingerTimer = undefined;
    if (record.subscribers.size > 0 || this.topics.get(record.topic) !== record) return;
    if (record.wire !== 'none' && this.o.connection.isOpen) this.sendUnsub(record.topic);
    if (record.subId !== undefined) this.pendingSubs.delete(record.subId);
    this.rateRetries.delete(record.topic);
    this.topics.delete(record.topic);
    this.metrics.topicMessages.delete(record.topic);
    this.metrics.changed();
    if (this.topics.size === 0) this.scheduleIdleClose();
  }

  private scheduleIdleClose(): void {
    this.cancelIdleClose();
    this.idleTimer = this.o.clock.setTimer(() => {
      this.idleTimer = undefined;
      this.o.guard(() => {
        if (this.topics.size === 0 && this.o.connection.phaseName !== 'disposed') this.o.connection.goIdle();
      });
    }, this.o.idleCloseMs);
  }
}
