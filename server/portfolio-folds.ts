/**
 * A portfolio change folded from the account's document, as PortfolioBook (server/portfolio.ts)
 * applies it in memory: for the Redis engine, whose node reads the document, folds and stores
 * the result by compare-and-set (server/engine/redis-portfolios.ts). Beside the document the
 * fold keeps each held row's mark time (the trade time its last price is from), which in
 * memory lives in the book's holdings: a trade older than it does not re-mark the row.
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
import type { PortfolioChange } from './portfolio-books.js';
import { cents, lots, micro } from './portfolio.js';

/** A symbol's newest trade and price precision, as the Redis engine reads them (`RedisEngine.marks`). */
export interface SymbolMark {
  price: number;
  time: number;
  precision?: number;
}

/** Mark time per held symbol (absent: 0, never marked by a trade). */
export type MarkTimes = Map<string, number>;

/**
 * A fold's result: the update (null when only mark times moved: no seq is spent), the
 * document after it and the mark times after it.
 */
export interface PortfolioFolded {
  update: PortfolioUpdateData | null;
  next: PortfolioSnapshotData;
  markTimes: MarkTimes;
}

/** The update of changed rows (removed ones given), its totals the sums of the rows the client will hold. */
function updateOf(doc: PortfolioSnapshotData, positions: Position[], removed: string[]): { update: PortfolioUpdateData; next: PortfolioSnapshotData } {
  const after = applyPortfolioUpdate(cloneData(doc), { positions, removed, totals: doc.totals });
  const update: PortfolioUpdateData = { positions, removed, totals: sumPositions(after.positions) };
  return { update, next: applyPortfolioUpdate(cloneData(doc), update) };
}

/**
 * One posted change as PortfolioBook applies it: removed rows first, then `replace`, then the
 * rows (quantity, average price and realized P&L as posted, the last price and its mark time
 * from the symbol's mark when there is one). Null when nothing changes.
 */
export function foldPortfolioChange(
  doc: PortfolioSnapshotData,
  change: PortfolioChange,
  marks: ReadonlyMap<string, SymbolMark>,
  markTimes: ReadonlyMap<string, number> = new Map(),
): PortfolioFolded | null {
  const held = new Map(doc.positions.map((row) => [row.symbol, row]));
  const times = new Map(markTimes);
  const removed = new Set<string>();
  const remove = (symbol: string) => {
    if (held.delete(symbol)) removed.add(symbol);
    times.delete(symbol);
  };
  for (const symbol of change.removed ?? []) remove(symbol);
  if (change.replace) {
    const kept = new Set(change.positions.map((row) => row.symbol));
    for (const symbol of [...held.keys()]) if (!kept.has(symbol)) remove(symbol);
  }
  const positions: Position[] = [];
  for (const row of change.positions) {
    const mark = marks.get(row.symbol);
    const lastPrice = mark?.price ?? row.lastPrice!;
    const qty = lots(row.qty);
    const avgPrice = micro(row.avgPrice);
    const realized = row.realizedPnl ?? held.get(row.symbol)?.realizedPnl ?? 0;
    const position: Position = {
      symbol: row.symbol,
      qty,
      avgPrice,
      lastPrice,
      marketValue: cents(qty * lastPrice),
      unrealizedPnl: cents(qty * (lastPrice - avgPrice)),
      realizedPnl: cents(realized),
      ...(mark?.precision === undefined ? {} : { precision: mark.precision }),
    };
    held.set(row.symbol, position);
    removed.delete(row.symbol);
    // As PortfolioBook.upsert: the mark's time, else the row's own (a re-posted row keeps it).
    const time = mark?.time ?? times.get(row.symbol) ?? 0;
    if (time > 0) times.set(row.symbol, time);
    else times.delete(row.symbol);
    positions.push(position);
  }
  if (positions.length === 0 && removed.size === 0) return null;
  return { ...updateOf(doc, positions, [...removed]), markTimes: times };
}

/**
 * Trades re-mark the rows holding their symbols, as PortfolioBook.mark and flush do: per
 * trade in arrival order, a row takes it unless it is older than the row's mark time, and a
 * row whose last price changed on the way goes out (recomputed, with `precisionOf`'s
 * precision), all in one update. Null when nothing changes, not even a mark time.
 */
export function foldTradesIntoPortfolio(
  doc: PortfolioSnapshotData,
  markTimes: ReadonlyMap<string, number>,
  trades: readonly Pick<Trade, 'symbol' | 'price' | 'time'>[],
  precisionOf: (symbol: string) => number | undefined,
): PortfolioFolded | null {
  const rows = new Map(doc.positions.map((row) => [row.symbol, row]));
  const times = new Map(markTimes);
  const prices = new Map<string, number>();
  const dirty = new Set<string>();
  let timesMoved = false;
  for (const trade of trades) {
    const row = rows.get(trade.symbol);
    if (!row) continue;
    const time = times.get(trade.symbol) ?? 0;
    if (trade.time < time) continue;
    if (trade.time !== time) {
      times.set(trade.symbol, trade.time);
      timesMoved = true;
    }
    if ((prices.get(trade.symbol) ?? row.lastPrice) !== trade.price) {
      prices.set(trade.symbol, trade.price);
      dirty.add(trade.symbol);
    }
  }
  if (dirty.size === 0) return timesMoved ? { update: null, next: doc, markTimes: times } : null;
  const positions = [...dirty].map((symbol) => {
    const row = rows.get(symbol)!;
    const lastPrice = prices.get(symbol)!;
    const precision = precisionOf(symbol);
    const position: Position = {
      symbol,
      qty: row.qty,
      avgPrice: row.avgPrice,
      lastPrice,
      marketValue: cents(row.qty * lastPrice),
      unrealizedPnl: cents(row.qty * (lastPrice - row.avgPrice)),
      realizedPnl: cents(row.realizedPnl),
      ...(precision === undefined ? {} : { precision }),
    };
    return position;
  });
  return { ...updateOf(doc, positions, []), markTimes: times };
}
