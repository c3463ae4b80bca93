/**
 * A candle topic's bar window in typed arrays: one row per bar (its OHLCV and the seq of
 * its last change), oldest first. It keeps the same bars as the shared
 * applier `upsertBar` (src/protocol/apply.ts) would, which the test
 * test/server/bar-store.test.ts checks against it, so a client that applies the updates
 * holds what this store holds.
 *
 * Why not `Bar[]`: a server keeps six windows of 2,000 bars per symbol, and a bar object
 * with its boxed numbers costs about twice a row here; the seq column is also what a
 * compacted resume reads (the bars that changed after a seq, docs/protocol.md).
 */
import type { Bar } from '../../src/protocol/index.js';

/** Float64 columns of a row, in order; `trades` is a count, in its own Uint32 column. */
const TIME = 0;
const OPEN = 1;
const HIGH = 2;
const LOW = 3;
const CLOSE = 4;
const VOLUME = 5;
const SEQ = 6;
const STRIDE = 7;

export class BarStore {
  private readonly rows: Float64Array;
  private readonly trades: Uint32Array;
  private count = 0;

  constructor(readonly maxBars: number) {
    this.rows = new Float64Array(maxBars * STRIDE);
    this.trades = new Uint32Array(maxBars);
  }

  get length(): number {
    return this.count;
  }

  /** Bytes the columns take (for the memory bench). */
  get bytes(): number {
    return this.rows.byteLength + this.trades.byteLength;
  }

  time(index: number): number {
    return this.rows[index * STRIDE + TIME]!;
  }

  /** Seq of the bar's last change (0 for a bar of the initial history). */
  seq(index: number): number {
    return this.rows[index * STRIDE + SEQ]!;
  }

  bar(index: number): Bar {
    const r = this.rows;
    const o = index * STRIDE;
    return {
      time: r[o + TIME]!,
      open: r[o + OPEN]!,
      high: r[o + HIGH]!,
      low: r[o + LOW]!,
      close: r[o + CLOSE]!,
      volume: r[o + VOLUME]!,
      trades: this.trades[index]!,
    };
  }

  last(): Bar | undefined {
    return this.count === 0 ? undefined : this.bar(this.count - 1);
  }

  /** Index of the bar with `time`, or `-(insertionPoint + 1)` when absent (as `findBar`). */
  find(time: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.rows[mid * STRIDE + TIME]!;
      if (t === time) return mid;
      if (t < time) lo = mid + 1;
      else hi = mid - 1;
    }
    return -(lo + 1);
  }

  /**
   * Puts `bar` in as `upsertBar` does: replaces the bar with its time, appends a later one,
   * inserts an older one where it belongs, drops the oldest past `maxBars`, and ignores a
   * bar older than a full window. Returns false when ignored.
   */
  upsert(bar: Bar, seq: number): boolean {
    const n = this.count;
    let index: number;
    if (n === 0 || bar.time > this.time(n - 1)) {
      index = this.append();
    } else if (bar.time === this.time(n - 1)) {
      index = n - 1;
    } else {
      const found = this.find(bar.time);
      if (found >= 0) index = found;
      else {
        const at = -(found + 1);
        if (n >= this.maxBars && at === 0) return false; // a full window has no room before its oldest bar
        index = this.insert(at);
      }
    }
    this.write(index, bar, seq);
    return true;
  }

  /** Every bar, oldest first, as objects (a snapshot's `bars`). */
  toBars(): Bar[] {
    const out = new Array<Bar>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.bar(i);
    return out;
  }

  /** Indices of the bars whose last change is after `seq`, in the order of those changes. */
  changedAfter(seq: number): number[] {
    const out: number[] = [];
    let sorted = true;
    for (let i = 0; i < this.count; i++) {
      const s = this.rows[i * STRIDE + SEQ]!;
      if (s <= seq) continue;
      if (out.length > 0 && s < this.seq(out[out.length - 1]!)) sorted = false;
      out.push(i);
    }
    // Bars change in time order but for late trades into older bars.
    if (!sorted) out.sort((a, b) => this.seq(a) - this.seq(b));
    return out;
  }

  /** A new last row; when full, the oldest row goes. */
  private append(): number {
    if (this.count < this.maxBars) return this.count++;
    this.rows.copyWithin(0, STRIDE);
    this.trades.copyWithin(0, 1);
    return this.count - 1;
  }

  /** A new row at `at` (0 < at, or a window with room), later rows moved up; the oldest goes when full. */
  private insert(at: number): number {
    if (this.count < this.maxBars) {
      this.rows.copyWithin((at + 1) * STRIDE, at * STRIDE, this.count * STRIDE);
      this.trades.copyWithin(at + 1, at, this.count);
      this.count++;
      return at;
    }
    // Full: the rows before `at` move down one, dropping the oldest, and the new row goes at at - 1.
    this.rows.copyWithin(0, STRIDE, at * STRIDE);
    this.trades.copyWithin(0, 1, at);
    return at - 1;
  }

  private write(index: number, bar: Bar, seq: number): void {
    const r = this.rows;
    const o = index * STRIDE;
    r[o + TIME] = bar.time;
    r[o + OPEN] = bar.open;
    r[o + HIGH] = bar.high;
    r[o + LOW] = bar.low;
    r[o + CLOSE] = bar.close;
    r[o + VOLUME] = bar.volume;
    r[o + SEQ] = seq;
    // A count from the aggregator (1 and up): whole and far below 2^32.
    this.trades[index] = bar.trades;
  }
}
