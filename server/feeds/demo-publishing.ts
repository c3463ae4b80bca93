/**
 * What the demo publishes besides candles and the `demo` account, so every topic kind has
 * live data: each simulated fill as a `trade_executed` event on `events:fills`, and a market
 * summary per symbol in the document `state:market`, merged at most once a second with
 * only the symbols that traded.
 */
import type { JsonObject, Trade } from '../../src/protocol/index.js';
import type { Publisher } from '../publisher.js';

/** The demo's event channel and document key. */
export const DEMO_FILLS_CHANNEL = 'fills';
export const DEMO_MARKET_KEY = 'market';
/** How often the market summary is merged (ms). */
export const MARKET_SUMMARY_MS = 1000;

interface SymbolSummary {
  last: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  trades: number;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

export class DemoPublishing {
  private readonly summary = new Map<string, SymbolSummary>();
  private readonly changed = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private fills = 0;

  constructor(
    private readonly publisher: Publisher,
    private readonly account: string,
  ) {}

  /** A simulated fill: `qty` > 0 bought, < 0 sold; `closed` when it left no position. */
  fill(symbol: string, qty: number, price: number, closed: boolean, time = Date.now()): void {
    if (qty === 0) return;
    const side = qty > 0 ? 'buy' : 'sell';
    this.fills += 1;
    this.publisher.publishEvent(DEMO_FILLS_CHANNEL, {
      type: 'trade_executed',
      time,
      id: `${this.account}-${time.toString(36)}-${this.fills}`,
      data: { account: this.account, symbol, side, qty: round(Math.abs(qty), 8), price, closed },
    });
  }

  /** Trades of the feed: folded into the summary, published by the next tick. */
  trades(trades: readonly Trade[]): void {
    for (const { symbol, price, size } of trades) {
      let s = this.summary.get(symbol);
      if (!s) this.summary.set(symbol, (s = { last: price, open: price, high: price, low: price, volume: 0, trades: 0 }));
      s.last = price;
      s.high = Math.max(s.high, price);
      s.low = Math.min(s.low, price);
      s.volume += size;
      s.trades += 1;
      this.changed.add(symbol);
    }
  }

  /** Merges the symbols that traded since the last tick into `state:market`. */
  tick(): void {
    if (this.changed.size === 0) return;
    const patch: JsonObject = {};
    for (const symbol of this.changed) {
      const s = this.summary.get(symbol)!;
      patch[symbol] = {
        last: s.last,
        changePct: round(((s.last - s.open) / s.open) * 100, 2),
        high: s.high,
        low: s.low,
        volume: round(s.volume, 4),
        trades: s.trades,
      };
    }
    this.changed.clear();
    this.publisher.patchState(DEMO_MARKET_KEY, patch);
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), MARKET_SUMMARY_MS);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
