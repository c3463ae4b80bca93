/**
 * The trade-time spans (first and last trade) of one candle series' recent bars, which the
 * aggregator needs to place a late trade as a bar's open or close. Kept for the bars within
 * SPAN_SECONDS of the newest, and at least its SPAN_MIN_BARS newest, in one typed array with a slot per bar time (bar times are
 * multiples of the interval), so a span costs no object and old ones are overwritten.
 */

/** How far back (bar time, seconds) the open and close trade times of bars are remembered, for late trades. */
export const SPAN_SECONDS = 30 * 60;
/** Bars whose spans are kept however long the interval. */
export const SPAN_MIN_BARS = 64;

const STRIDE = 3; // bar time, first trade time, last trade time

export class SpanRing {
  private readonly slots: Float64Array;
  private readonly capacity: number;
  /** Bar-time reach of the spans: SPAN_SECONDS, or SPAN_MIN_BARS bars when longer. */
  private readonly reach: number;
  /** Newest bar time given a span. */
  private newest = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalSec: number) {
    this.reach = Math.max(SPAN_SECONDS, SPAN_MIN_BARS * intervalSec);
    this.capacity = Math.ceil(this.reach / intervalSec) + 1;
    this.slots = new Float64Array(this.capacity * STRIDE).fill(Number.NaN);
  }

  get bytes(): number {
    return this.slots.byteLength;
  }

  /** The slot of `time` when its span is known, else -1. */
  find(time: number): number {
    if (time < this.newest - this.reach) return -1;
    const slot = this.slot(time);
    return this.slots[slot * STRIDE] === time ? slot : -1;
  }

  first(slot: number): number {
    return this.slots[slot * STRIDE + 1]!;
  }

  last(slot: number): number {
    return this.slots[slot * STRIDE + 2]!;
  }

  /** Sets the span of the bar at `time`; ignored for a bar older than the reach before the newest. */
  set(time: number, first: number, last: number): void {
    if (time < this.newest - this.reach) return;
    if (time > this.newest) this.newest = time;
    const o = this.slot(time) * STRIDE;
    this.slots[o] = time;
    this.slots[o + 1] = first;
    this.slots[o + 2] = last;
  }

  private slot(time: number): number {
    const n = Math.floor(time / this.intervalSec) % this.capacity;
    return n < 0 ? n + this.capacity : n;
  }
}
