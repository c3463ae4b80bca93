/**
 * Trades to OHLCV bars for every interval. A trade lands in the bar of its own
 * time (UTC), never its arrival time: a late trade updates its older bar and the
 * update carries that bar's time. Open and close follow trade time too, so a late
 * trade that is older than a bar's first trade becomes its open (ties keep arrival
 * order: the first to arrive opens, the last to arrive closes). Those times are kept for
 * the bars of the last 30 minutes (SPAN_SECONDS, and at least 64 bars) of each series; a trade into an older
 * bar changes its high, low, volume and trade count only.
 */
import { INTERVAL_SECONDS, type Bar, type Trade } from '../src/protocol/index.js';
import type { CandleSeriesTopic, LocalEngine } from './engine/engine.js';
import { PrecisionBook } from './precision.js';
import { SpanRing } from './span-ring.js';

export { SPAN_SECONDS } from './span-ring.js';

export function bucketStart(timeMs: number, intervalSec: number): number {
  return Math.floor(timeMs / (intervalSec * 1000)) * intervalSec;
}

export class CandleAggregator {
  private readonly spans = new Map<CandleSeriesTopic, SpanRing>();

  constructor(
    private readonly engine: LocalEngine,
    /** Each symbol's price precision, which its candle snapshots carry. */
    readonly precision = new PrecisionBook(),
  ) {}

  /** A venue's tick size for `symbol` (simulated symbols): its snapshots' precision, whatever trades say. */
  declareTickSize(symbol: string, tickSize: number): void {
    this.engine.describeSymbol(symbol, this.precision.declare(symbol, tickSize));
  }

  /**
   * Folds `trades` into the bars. With `publish`, each changed bar goes out as one
   * update per topic (the bar's final state for this batch, bars in time order);
   * without, the bars are written into the initial state (start-up history only).
   */
  ingest(trades: readonly Trade[], publish = true): void {
    const changed = new Map<CandleSeriesTopic, Map<number, Bar>>();
    for (const trade of trades) {
      // Before the bars go out, so the snapshot at their seq already says the new precision.
      if (this.precision.observe(trade.symbol, trade.price))
        this.engine.describeSymbol(trade.symbol, this.precision.of(trade.symbol)!);
      for (const topic of this.engine.candleSeries(trade.symbol)) {
        let pending = changed.get(topic);
        if (!pending) changed.set(topic, (pending = new Map()));
        const bar = this.fold(topic, pending, trade);
        if (bar) pending.set(bar.time, bar);
      }
    }
    for (const [topic, bars] of changed) {
      const ordered = [...bars.values()].sort((a, b) => a.time - b.time);
      for (const bar of ordered) {
        if (publish) this.engine.publish(topic.name, bar);
        else this.engine.seed(topic.name, bar);
      }
    }
  }

  /** The new state of the trade's bar, or undefined when the bar is older than the series keeps. */
  private fold(topic: CandleSeriesTopic, pending: Map<number, Bar>, trade: Trade): Bar | undefined {
    const time = bucketStart(trade.time, INTERVAL_SECONDS[topic.interval]);
    let current = pending.get(time);
    if (!current) {
      const bars = topic.store;
      const index = bars.find(time);
      if (index >= 0) current = bars.bar(index);
      else if (bars.length >= topic.maxBars && index === -1) return undefined; // before a full window
    }
    let spans = this.spans.get(topic);
    if (!spans) this.spans.set(topic, (spans = new SpanRing(INTERVAL_SECONDS[topic.interval])));
    if (!current) {
      spans.set(time, trade.time, trade.time);
      const p = trade.price;
      return { time, open: p, high: p, low: p, close: p, volume: trade.size, trades: 1 };
    }
    const next: Bar = {
      time,
      open: current.open,
      high: Math.max(current.high, trade.price),
      low: Math.min(current.low, trade.price),
      close: current.close,
      volume: current.volume + trade.size,
      trades: current.trades + 1,
    };
    const slot = spans.find(time);
    if (slot >= 0) {
      let first = spans.first(slot);
      let last = spans.last(slot);
      if (trade.time < first) {
        first = trade.time;
        next.open = trade.price;
      }
      if (trade.time >= last) {
        last = trade.time;
        next.close = trade.price;
      }
      spans.set(time, first, last);
    }
    // Without a span (a bar older than SPAN_SECONDS) the trade times of its open and
    // close are unknown: a late trade moves only high, low, volume and trades.
    return next;
  }
}
