/**
 * A simulated account: holdings marked to the last trade of each symbol, with
 * fills that change quantity, average price and realized P&L. Updates carry only
 * the rows that changed, the removed symbols and the totals, and the totals are
 * always the sums of the rows the client will hold after applying the update.
 */
import {
  applyPortfolioUpdate,
  cloneData,
  sumPositions,
  type PortfolioSnapshotData,
  type PortfolioUpdateData,
  type Position,
  type Trade,
} from '../src/protocol/index.js';
import type { LocalEngine } from './engine/engine.js';

interface Holding {
  qty: number;
  avgPrice: number;
  realizedPnl: number;
  lastPrice: number;
  /** Trade time of the mark, so a late trade does not move it back. */
  markTime: number;
}

export interface InitialHolding {
  symbol: string;
  qty: number;
  avgPrice: number;
  lastPrice: number;
}

/** A row as a backend publishes it (`POST /api/portfolio/<ACCOUNT>`, `upsertPositions`); validated before it gets here. */
export interface PositionInput {
  symbol: string;
  qty: number;
  avgPrice: number;
  /** Used only while the server has no trades of the symbol. */
  lastPrice?: number;
  realizedPnl?: number;
}

export const cents = (value: number) => Math.round(value * 100) / 100;
export const micro = (value: number) => Math.round(value * 1e6) / 1e6;
/** Quantities to 1e-8 so repeated fills do not accumulate float noise. */
export const lots = (value: number) => Math.round(value * 1e8) / 1e8;

export class PortfolioBook {
  /** The book's topic, `portfolio:<account>`. */
  readonly topic: string;
  private readonly holdings = new Map<string, Holding>();
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();

  constructor(
    private readonly engine: LocalEngine,
    account: string,
    currency: string,
    initial: readonly InitialHolding[],
    /** The decimals of a symbol's prices, carried by its rows for the P&L's price cells. */
    private readonly precisionOf: (symbol: string) => number | undefined = () => undefined,
  ) {
    for (const h of initial) {
      this.holdings.set(h.symbol, { qty: h.qty, avgPrice: micro(h.avgPrice), realizedPnl: 0, lastPrice: h.lastPrice, markTime: 0 });
    }
    const positions = [...this.holdings.keys()].map((symbol) => this.row(symbol));
    const state: PortfolioSnapshotData = { account, currency, positions, totals: sumPositions(positions) };
    this.topic = engine.addPortfolio(account, state);
  }

  has(symbol: string): boolean {
    return this.holdings.has(symbol);
  }

  /** Quantity held of `symbol` (0 when none). */
  qtyOf(symbol: string): number {
    return this.holdings.get(symbol)?.qty ?? 0;
  }

  /** Marks held symbols to the newest trade (by trade time). */
  mark(trades: readonly Trade[]): void {
    for (const trade of trades) {
      const h = this.holdings.get(trade.symbol);
      if (!h || trade.time < h.markTime) continue;
      h.markTime = trade.time;
      if (h.lastPrice !== trade.price) {
        h.lastPrice = trade.price;
        this.dirty.add(trade.symbol);
      }
    }
  }

  /**
   * Applies a fill: positive `qty` buys, negative sells (never below zero). A sale
   * that leaves nothing removes the row; a buy of a symbol not held opens one.
   */
  fill(symbol: string, qty: number, price: number): void {
    let h = this.holdings.get(symbol);
    if (qty > 0) {
      if (!h) {
        h = { qty: 0, avgPrice: price, realizedPnl: 0, lastPrice: price, markTime: 0 };
        this.holdings.set(symbol, h);
        this.removed.delete(symbol);
      }
      h.avgPrice = micro((h.qty * h.avgPrice + qty * price) / (h.qty + qty));
      h.qty = lots(h.qty + qty);
    } else if (h && qty < 0) {
      const sold = Math.min(-qty, h.qty);
      h.realizedPnl += sold * (price - h.avgPrice);
      h.qty = lots(h.qty - sold);
      if (h.qty <= 0) {
        this.holdings.delete(symbol);
        this.dirty.delete(symbol);
        this.removed.add(symbol);
        return;
      }
    } else {
      return;
    }
    h.lastPrice = price;
    this.dirty.add(symbol);
  }

  /**
   * Sets rows as a backend posted them: quantity, average price and realized P&L as given,
   * the last price from `markOf` (the symbol's own trades) when the server has one, else the
   * posted `lastPrice`. With `replace`, every other row goes. Published with the next flush.
   */
  upsert(rows: readonly PositionInput[], markOf: (symbol: string) => { price: number; time: number } | undefined, replace = false): void {
    if (replace) {
      const kept = new Set(rows.map((row) => row.symbol));
      this.remove([...this.holdings.keys()].filter((symbol) => !kept.has(symbol)));
    }
    for (const row of rows) {
      const mark = markOf(row.symbol);
      const lastPrice = mark?.price ?? row.lastPrice!;
      const before = this.holdings.get(row.symbol);
      this.holdings.set(row.symbol, {
        qty: lots(row.qty),
        avgPrice: micro(row.avgPrice),
        realizedPnl: row.realizedPnl ?? before?.realizedPnl ?? 0,
        lastPrice,
        markTime: mark?.time ?? before?.markTime ?? 0,
      });
      this.removed.delete(row.symbol);
      this.dirty.add(row.symbol);
    }
  }

  /** Removes rows (symbols not held are ignored). Published with the next flush. */
  remove(symbols: readonly string[]): void {
    for (const symbol of symbols) {
      if (!this.holdings.delete(symbol)) continue;
      this.dirty.delete(symbol);
      this.removed.add(symbol);
    }
  }

  /** Publishes one update with what changed since the last flush (nothing when nothing did); returns the topic's seq. */
  flush(time = Date.now()): number {
    if (this.dirty.size === 0 && this.removed.size === 0) return this.engine.snapshot(this.topic).seq;
    const positions = [...this.dirty].map((symbol) => this.row(symbol));
    const removed = [...this.removed];
    this.dirty.clear();
    this.removed.clear();
    // Totals are the sums of the rows the client will hold, in the order it holds them.
    const state = this.engine.snapshot(this.topic).data as PortfolioSnapshotData;
    const after = applyPortfolioUpdate(cloneData(state), { positions, removed, totals: state.totals });
    const update: PortfolioUpdateData = { positions, removed, totals: sumPositions(after.positions) };
    return this.engine.publish(this.topic, update, time);
  }

  private row(symbol: string): Position {
    const h = this.holdings.get(symbol)!;
    const precision = this.precisionOf(symbol);
    return {
      symbol,
      qty: h.qty,
      avgPrice: h.avgPrice,
      lastPrice: h.lastPrice,
      marketValue: cents(h.qty * h.lastPrice),
      unrealizedPnl: cents(h.qty * (h.lastPrice - h.avgPrice)),
      realizedPnl: cents(h.realizedPnl),
      ...(precision === undefined ? {} : { precision }),
    };
  }
}
