/**
 * The last N updates of one log topic (events, state; portfolio for clients without
 * compaction), kept as the exact JSON text that was sent, so a resuming client gets
 * byte-for-byte what it missed. Seqs in the buffer are contiguous, so the slot of a seq
 * is found by arithmetic. Bounded by count and by age: an update older than `maxAgeMs`
 * no longer answers a resume (the client gets a snapshot).
 *
 * An update published while nobody followed the topic was never sent, so it is kept
 * as its parts (`UnsentUpdate`) and written out only if a resume asks for it: most
 * of a server's topics (every interval of every symbol) have no subscriber most of
 * the time, and serialising and retaining their text was most of the cost of a trade.
 */
export interface UnsentUpdate {
  time: number;
  /** Never changed after publishing, so writing it later gives the text it had then. */
  data: unknown;
}

export class UpdateHistory {
  private readonly slots: (string | UnsentUpdate)[] = [];
  /** Server time of each slot's update. */
  private readonly times: number[] = [];
  /** Index in `slots` of the oldest kept update. */
  private head = 0;
  /** Seq of the oldest kept update (meaningful when `size > 0`). */
  private oldest = 0;

  constructor(
    readonly capacity: number,
    /** The text of an update, the same as it would have been sent. */
    private readonly write: (seq: number, time: number, data: unknown) => string,
    readonly maxAgeMs = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.slots.length;
  }

  /** Appends the update with `seq`, which must be the last seq + 1. */
  push(seq: number, time: number, update: string | UnsentUpdate): void {
    if (this.capacity <= 0) return;
    if (this.slots.length === 0) this.oldest = seq;
    if (this.slots.length < this.capacity) {
      this.slots.push(update);
      this.times.push(time);
      return;
    }
    this.slots[this.head] = update;
    this.times[this.head] = time;
    this.head = (this.head + 1) % this.capacity;
    this.oldest += 1;
  }

  /**
   * The updates after `afterSeq` up to `currentSeq`, in order, or undefined when
   * some of them are no longer kept (or older than `maxAgeMs` at `now`).
   */
  after(afterSeq: number, currentSeq: number, now = Date.now()): string[] | undefined {
    if (afterSeq > currentSeq || afterSeq < 0) return undefined;
    if (afterSeq === currentSeq) return [];
    if (this.slots.length === 0 || afterSeq < this.oldest - 1) return undefined;
    const first = (this.head + (afterSeq + 1 - this.oldest)) % this.slots.length;
    if (now - this.times[first]! > this.maxAgeMs) return undefined;
    const out: string[] = [];
    for (let seq = afterSeq + 1; seq <= currentSeq; seq++) {
      const index = (this.head + (seq - this.oldest)) % this.slots.length;
      let update = this.slots[index]!;
      if (typeof update !== 'string') this.slots[index] = update = this.write(seq, update.time, update.data);
      out.push(update);
    }
    return out;
  }
}
