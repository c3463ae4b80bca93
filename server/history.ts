/**
 * The last N updates of one topic, kept as the exact JSON text that was sent, so a
 * resuming client gets byte-for-byte what it missed. Seqs in the buffer are
 * contiguous, so the slot of a seq is found by arithmetic.
 */
export class UpdateHistory {
  private readonly slots: string[] = [];
  /** Index in `slots` of the oldest kept update. */
  private head = 0;
  /** Seq of the oldest kept update (meaningful when `size > 0`). */
  private oldest = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.slots.length;
  }

  /** Appends the update with `seq`, which must be the last seq + 1. */
  push(seq: number, json: string): void {
    if (this.capacity <= 0) return;
    if (this.slots.length === 0) this.oldest = seq;
    if (this.slots.length < this.capacity) {
      this.slots.push(json);
      return;
    }
    this.slots[this.head] = json;
    this.head = (this.head + 1) % this.capacity;
    this.oldest += 1;
  }

  /**
   * The updates after `afterSeq` up to `currentSeq`, in order, or undefined when
   * some of them are no longer kept.
   */
  after(afterSeq: number, currentSeq: number): string[] | undefined {
    if (afterSeq > currentSeq || afterSeq < 0) return undefined;
    if (afterSeq === currentSeq) return [];
    if (this.slots.length === 0 || afterSeq < this.oldest - 1) return undefined;
    const out: string[] = [];
    for (let seq = afterSeq + 1; seq <= currentSeq; seq++) {
      out.push(this.slots[(this.head + (seq - this.oldest)) % this.slots.length]!);
    }
    return out;
  }

  clear(): void {
    this.slots.length = 0;
    this.head = 0;
  }
}
