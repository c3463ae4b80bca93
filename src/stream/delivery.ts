/**
 * Delivery: what each listener is owed and when it gets it. `coalesce: 'none'` listeners
 * and a listener's first state go out at once; the rest wait for the next animation frame
 * (FrameScheduler), one call with every update since. While paused nothing goes out and
 * resume() hands every listener one full state. Listener errors never reach the stream.
 */
import { cloneData, type UpdateMessage } from '../protocol/index.js';
import { describe, type StreamEmitter } from './emitter.js';
import { FrameScheduler } from './frame-scheduler.js';
import { owe, type Subscriber, type TopicRecord } from './topic-record.js';
import type { StreamError, TopicEvent } from './types.js';

export class Delivery {
  /** Frozen: listeners keep what they were given until resume(). */
  paused = false;
  /** Frame-coalesced listeners owed a delivery, with their topic. */
  private readonly dirty = new Map<Subscriber, TopicRecord>();
  private readonly frames: FrameScheduler;

  constructor(private readonly events: StreamEmitter) {
    this.frames = new FrameScheduler(() => events.guard(() => this.flushFrame()));
  }

  /** Tells a topic's listeners about a change, now or at the next frame. */
  notify(record: TopicRecord, kind: 'snapshot' | 'reset' | 'update', update?: UpdateMessage, compacted = false): void {
    for (const subscriber of record.subscribers) {
      if (!subscriber.active) continue;
      if (this.paused && subscriber.seen) {
        // Frozen: resume() delivers one full state.
        owe(subscriber, kind === 'reset' ? 'reset' : 'snapshot');
        continue;
      }
      owe(subscriber, kind, update, compacted);
      // A listener's first state goes out at once; so does everything for `none`.
      if (subscriber.coalesce === 'none' || !subscriber.seen) {
        this.dirty.delete(subscriber);
        this.deliver(record, subscriber);
      } else {
        this.dirty.set(subscriber, record);
        this.frames.request();
      }
    }
  }

  /** A listener joining a topic that has a state gets it in a microtask, without a round trip. */
  greet(record: TopicRecord, subscriber: Subscriber): void {
    owe(subscriber, 'snapshot');
    queueMicrotask(() => this.events.guard(() => this.deliver(record, subscriber)));
  }

  /** Calls a listener's onError in a microtask (a refused or inert subscription). */
  refuseLater(subscriber: Subscriber, error: StreamError): void {
    queueMicrotask(() => {
      if (subscriber.active) this.callErrorHandler(subscriber, error);
    });
  }

  forget(subscriber: Subscriber): void {
    this.dirty.delete(subscriber);
  }

  /** Listeners keep the objects they hold; the live state continues in a copy. */
  pause(records: Iterable<TopicRecord>): void {
    this.paused = true;
    for (const record of records) record.fork();
  }

  /** Every listener at once gets the current state, as `reset` when its topic lost continuity while paused. */
  resume(records: Iterable<TopicRecord>): void {
    this.paused = false;
    for (const record of records) {
      if (!record.state) continue;
      for (const subscriber of record.subscribers) {
        owe(subscriber, subscriber.pendingKind === 'reset' ? 'reset' : 'snapshot');
        this.dirty.delete(subscriber);
        this.deliver(record, subscriber);
      }
    }
  }

  /** The topic was refused or ended: its listeners get what came before, then the error; so do `error` listeners. */
  topicError(record: TopicRecord, error: StreamError): void {
    record.error = error;
    for (const subscriber of record.subscribers) {
      if (!subscriber.active) continue;
      // What happened before the error reaches the listener before it (never after, where it
      // would read as a recovery); while paused the owed state is simply dropped.
      if (subscriber.pendingKind) {
        this.dirty.delete(subscriber);
        if (this.paused && subscriber.seen) {
          subscriber.pendingKind = null;
          subscriber.pendingUpdates = [];
          subscriber.pendingCompacted = false;
        } else this.deliver(record, subscriber);
      }
      if (subscriber.active) this.callErrorHandler(subscriber, error);
    }
    this.events.error(error);
  }

  callErrorHandler(subscriber: Subscriber, error: StreamError): void {
    if (!subscriber.onError) return;
    try {
      subscriber.onError(error);
    } catch (thrown) {
      this.events.error({ code: 'listener_error', message: `an onError handler threw: ${describe(thrown)}` });
    }
  }

  dispose(): void {
    this.frames.dispose();
    this.dirty.clear();
  }

  private flushFrame(): void {
    if (this.paused) return; // owed events wait for resume()
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const [subscriber, record] of batch) this.deliver(record, subscriber);
  }

  private deliver(record: TopicRecord, subscriber: Subscriber): void {
    const kind = subscriber.pendingKind;
    if (!subscriber.active || !kind || !record.state) return;
    const updates = subscriber.pendingUpdates;
    const compacted = subscriber.pendingCompacted;
    subscriber.pendingKind = null;
    subscriber.pendingUpdates = [];
    subscriber.pendingCompacted = false;
    let state = record.view()!;
    // While paused a first delivery gets its own copy, so it stays frozen.
    if (this.paused) state = { ...state, data: cloneData(state.data) };
    const event: TopicEvent =
      kind === 'update'
        ? { kind, state, update: updates[updates.length - 1]!, updates, ...(compacted ? { compacted } : {}) }
        : { kind, state };
    subscriber.seen = true;
    try {
      subscriber.listener(event);
    } catch (error) {
      this.events.error({ code: 'listener_error', message: `a ${record.topic} listener threw: ${describe(error)}`, topic: record.topic });
    }
  }
}
