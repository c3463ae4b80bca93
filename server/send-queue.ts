/**
 * One session's outgoing queue, written at the reader's pace.
 *
 * The queue holds, in order, messages (live updates, pongs, errors: shared, already
 * serialised) and deferred replies (what a client asked for: `subscribed` and a snapshot,
 * or the updates it missed). A reply produces its messages only when it reaches the head
 * of the queue and the socket can take data, one message at a time, so nothing builds a
 * whole turn's (or a whole burst of subs') frames before it can send them.
 *
 * `flush` writes frame by frame while the socket's send buffer (`writableLength`, what
 * `ws.bufferedAmount` reports) is under the high-water mark; past it, it stops and resumes
 * on the socket's `drain` (or the next flush turn). A run of queued messages is framed
 * through the turn's `FlushTurn`, so clients with the same run share its frames; a reply's
 * messages are batched into frames of at most MAX_BATCHED_CHARS, a larger message alone.
 *
 * A client is a slow consumer only when it stops taking data: the buffer stays at or past
 * the mark for `slowConsumerMs` without draining, or the queued messages pass
 * `maxBacklogChars` (or `maxMessages`) because nothing drains. Then `slow(why)` is called
 * and the session closes it (4408).
 */
import {
  addToFingerprint,
  EMPTY_FINGERPRINT,
  FlushTurn,
  framesOf,
  MAX_BATCHED_CHARS,
  OutMessage,
  type FrameWriter,
} from './frame-writer.js';

/**
 * A reply produced lazily, one message at a time, when the queue reaches it.
 * `next()` gives the next message, `undefined` once the reply is complete, or a promise
 * while its data is being read (an engine that answers later): the queue waits for it,
 * then asks again. A reply is asked for nothing more once it returned `undefined`.
 */
export interface DeferredReply {
  next(): OutMessage | undefined | Promise<unknown>;
}

type Item = OutMessage | DeferredReply;

export interface SendQueueLimits {
  /** Send-buffer high-water mark in bytes (the writer's); 0 = no flow control and no slow-consumer cut. */
  highWater: number;
  /** How long the buffer may stay at or past the mark without draining before the client is cut. */
  slowConsumerMs: number;
  /** Most text (characters) of queued messages (replies not yet produced do not count); past it the client is cut. */
  maxBacklogChars: number;
  /** Most queued items (messages and replies); past it the client is cut. */
  maxMessages: number;
}

export interface SendQueueEvents {
  /** Asks for a flush turn (FlushLoop); called once until `flush` runs. */
  schedule(): void;
  /** The client stopped taking data: close it. The queue writes nothing more. */
  slow(why: string): void;
  /** A reply's promise failed. */
  failed?(error: unknown): void;
}

const isMessage = (item: Item): item is OutMessage => item instanceof OutMessage;

export class SendQueue {
  private items: Item[] = [];
  /** Index of the first item not yet written. */
  private head = 0;
  /** A message a reply produced that did not fit before the buffer filled. */
  private held: OutMessage | undefined;
  /** Text and count of the queued messages, and count of the queued replies. */
  private chars = 0;
  private messages = 0;
  private replies = 0;
  private scheduled = false;
  /** Waiting for the socket's `drain` (or the retry timer). */
  private blocked = false;
  /** The head reply is waiting for its data. */
  private waitingReply = false;
  private blockedSince: number | undefined;
  private slowTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly writer: FrameWriter,
    private readonly limits: SendQueueLimits,
    private readonly events: SendQueueEvents,
  ) {}

  /** Items (messages and replies) not yet written. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Text (characters) of the queued messages. */
  get backlogChars(): number {
    return this.chars;
  }

  /** Whether the queue waits for the socket to drain. */
  get waitingForDrain(): boolean {
    return this.blocked;
  }

  /**
   * Queues a message. Returns false, queuing nothing, when the backlog would pass its
   * bounds: the caller closes the client as a slow consumer.
   */
  push(message: OutMessage): boolean {
    if (this.stopped) return true;
    const chars = this.chars + message.json.length;
    if (this.messages + this.replies + 1 > this.limits.maxMessages || (this.limits.highWater > 0 && chars > this.limits.maxBacklogChars)) return false;
    this.items.push(message);
    this.chars = chars;
    this.messages += 1;
    this.wake();
    return true;
  }

  /** Queues a reply, produced when the queue reaches it. Returns false, queuing nothing, past `maxMessages` items. */
  pushReply(reply: DeferredReply): boolean {
    if (this.stopped) return true;
    if (this.messages + this.replies + 1 > this.limits.maxMessages) return false;
    this.items.push(reply);
    this.replies += 1;
    this.wake();
    return true;
  }

  /**
   * Writes from the head while the socket takes data. `untilReply` (a closing session):
   * writes only the messages before the first reply, and never produces a reply.
   */
  flush(turn: FlushTurn, untilReply = false): void {
    this.scheduled = false;
    while (!this.stopped) {
      if (this.writer.full) {
        this.block();
        return;
      }
      if (this.head >= this.items.length) {
        this.reset();
        return;
      }
      const item = this.items[this.head]!;
      if (isMessage(item)) this.writeRun(turn);
      else if (untilReply || this.waitingReply || !this.writeReply(item, turn)) return;
    }
  }

  /** Drops everything queued and stops: nothing more is queued or written. */
  stop(): void {
    this.stopped = true;
    this.items = [];
    this.head = 0;
    this.held = undefined;
    this.chars = this.messages = this.replies = 0;
    this.unblock();
  }

  /** Drops everything queued (the queue stays usable). */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.held = undefined;
    this.chars = this.messages = this.replies = 0;
  }

  private wake(): void {
    if (this.scheduled || this.blocked || this.waitingReply || this.stopped) return;
    this.scheduled = true;
    this.events.schedule();
  }

  /** Writes the run of messages at the head, frame by frame while the buffer is under the mark. */
  private writeRun(turn: FlushTurn): void {
    const items = this.items;
    let end = this.head;
    let fingerprint = EMPTY_FINGERPRINT;
    while (end < items.length && isMessage(items[end]!)) fingerprint = addToFingerprint(fingerprint, items[end++] as OutMessage);
    const run = (this.head === 0 && end === items.length ? items : items.slice(this.head, end)) as OutMessage[];
    const frames = run.length === 1 ? [run[0]!.frame] : turn.framesFor(run, fingerprint);
    let written = 0;
    for (const frame of frames) {
      if (written > 0 && this.writer.full) break;
      this.writer.write(frame, turn);
      written += frame.messages;
    }
    for (let i = 0; i < written; i++) this.chars -= run[i]!.json.length;
    this.messages -= written;
    this.head += written;
    if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Produces and writes the head reply's messages, batched, while the buffer is under the
   * mark. Returns false when the queue must stop (waiting for data or for the buffer).
   */
  private writeReply(reply: DeferredReply, turn: FlushTurn): boolean {
    const batch: OutMessage[] = [];
    let chars = 0;
    for (;;) {
      let next: OutMessage | undefined | Promise<unknown>;
      if (this.held) {
        next = this.held;
        this.held = undefined;
      } else next = reply.next();
      if (this.stopped) return false;
      if (next instanceof Promise) {
        this.writeBatch(batch, turn);
        this.waitingReply = true;
        next.then(
          () => this.resume(),
          (error: unknown) => {
            this.resume();
            this.events.failed?.(error);
          },
        );
        return false;
      }
      if (next === undefined) {
        this.writeBatch(batch, turn);
        this.head += 1;
        this.replies -= 1;
        return true;
      }
      if (batch.length > 0 && chars + 1 + next.json.length > MAX_BATCHED_CHARS) {
        this.writeBatch(batch, turn);
        batch.length = 0;
        chars = 0;
        if (this.writer.full) {
          this.held = next;
          this.block();
          return false;
        }
      }
      chars += (batch.length > 0 ? 1 : 0) + next.json.length;
      batch.push(next);
    }
  }

  private writeBatch(batch: readonly OutMessage[], turn: FlushTurn): void {
    if (batch.length === 0 || this.stopped) return;
    for (const frame of framesOf(batch)) this.writer.write(frame, turn);
  }

  private resume(): void {
    this.waitingReply = false;
    this.wake();
  }

  private reset(): void {
    if (this.items.length > 0) this.items = [];
    this.head = 0;
    this.unblock();
  }

  /** The buffer is full: wait for `drain`, and start the slow-consumer clock. */
  private block(): void {
    if (!this.blocked) {
      this.blocked = true;
      const socket = this.writer.socket;
      // A buffer past the mark but under the socket's own high-water mark (a tiny mark)
      // emits no drain: look again shortly instead.
      if (socket.writableNeedDrain) socket.once('drain', this.onDrain);
      else this.retryTimer = setTimeout(this.onDrain, 5);
    }
    if (this.blockedSince !== undefined) return;
    this.blockedSince = Date.now();
    if (this.limits.slowConsumerMs <= 0) {
      this.cut(`send buffer over ${this.limits.highWater} bytes`);
      return;
    }
    this.slowTimer = setTimeout(this.onSlowTimer, this.limits.slowConsumerMs);
    this.slowTimer.unref?.();
  }

  private unblock(): void {
    if (this.blocked) {
      this.writer.socket.off('drain', this.onDrain);
      clearTimeout(this.retryTimer);
      this.blocked = false;
    }
    clearTimeout(this.slowTimer);
    this.slowTimer = undefined;
    this.blockedSince = undefined;
  }

  private readonly onDrain = (): void => {
    if (this.stopped) return;
    if (this.writer.full) {
      // Still full (the retry timer of a tiny mark): keep waiting, the clock keeps running.
      this.blocked = false;
      this.block();
      return;
    }
    this.unblock();
    this.wake();
  };

  private readonly onSlowTimer = (): void => {
    if (this.stopped) return;
    if (this.writer.full) this.cut(`send buffer over ${this.limits.highWater} bytes for ${this.limits.slowConsumerMs} ms`);
    else this.onDrain();
  };

  private cut(why: string): void {
    this.stop();
    this.events.slow(why);
  }
}
