/**
 * The exact resume history of a candle topic: its last N updates (bar and server time) in
 * one typed array, seqs contiguous. It serves clients that do not take compacted replays
 * (no `compact` in `hello.caps`); its text is written on demand with the same bytes as
 * when sent (server/engine/update-text.ts), so nothing is kept as strings.
 */
import type { Bar } from '../../src/protocol/index.js';

const STRIDE = 8; // time, open, high, low, close, volume, trades, updated

export class BarRing {
  private readonly rows: Float64Array;
  private size = 0;
  /** Row of the oldest kept update. */
  private head = 0;
  /** Seq of the oldest kept update (meaningful when size > 0). */
  private oldest = 0;

  constructor(readonly capacity: number) {
    this.rows = new Float64Array(Math.max(0, capacity) * STRIDE);
  }

  get bytes(): number {
    return this.rows.byteLength;
  }

  /** Appends the update with `seq`, which must be the last seq + 1. */
  push(seq: number, bar: Bar, updated: number): void {
    if (this.capacity <= 0) return;
    let row: number;
    if (this.size === 0) this.oldest = seq;
    if (this.size < this.capacity) row = (this.head + this.size++) % this.capacity;
    else {
      row = this.head;
      this.head = (this.head + 1) % this.capacity;
      this.oldest += 1;
    }
    const r = this.rows;
    const o = row * STRIDE;
    r[o] = bar.time;
    r[o + 1] = bar.open;
    r[o + 2] = bar.high;
    r[o + 3] = bar.low;
    r[o + 4] = bar.close;
    r[o + 5] = bar.volume;
    r[o + 6] = bar.trades;
    r[o + 7] = updated;
  }

  /**
   * Each update after `afterSeq` up to `currentSeq` written by `text`, in order, or
   * undefined when some are no longer kept.
   */
  after(afterSeq: number, currentSeq: number, text: (seq: number, updated: number, bar: Bar) => string): string[] | undefined {
    if (afterSeq > currentSeq || afterSeq < 0) return undefined;
    if (afterSeq === currentSeq) return [];
    if (this.size === 0 || afterSeq < this.oldest - 1) return undefined;
    const out: string[] = [];
    const r = this.rows;
    for (let seq = afterSeq + 1; seq <= currentSeq; seq++) {
      const o = ((this.head + (seq - this.oldest)) % this.capacity) * STRIDE;
      const bar: Bar = { time: r[o]!, open: r[o + 1]!, high: r[o + 2]!, low: r[o + 3]!, close: r[o + 4]!, volume: r[o + 5]!, trades: r[o + 6]! };
      out.push(text(seq, r[o + 7]!, bar));
    }
    return out;
  }
}
