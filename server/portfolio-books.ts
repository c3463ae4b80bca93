/**
 * Every account the server publishes (`portfolio:<ACCOUNT>`): the simulator's `demo` and
 * each one a backend posted, with the last trade of every symbol, so a posted row is
 * marked from its symbol's own trades and re-marked as they come.
 */
import { portfolioTopic, type Trade } from '../src/protocol/index.js';
import type { LocalEngine } from './engine/engine.js';
import { PortfolioBook, type PositionInput } from './portfolio.js';

export interface PortfolioChange {
  /** ISO 4217 code; set by the account's first publish (default USD), never changed after. */
  currency?: string;
  positions: PositionInput[];
  removed?: string[];
  /** Rows not in `positions` are removed. */
  replace?: boolean;
}

export class PortfolioBooks {
  private readonly books = new Map<string, PortfolioBook>();
  /** Newest trade per symbol (by trade time): what rows are marked from. */
  private readonly marks = new Map<string, { price: number; time: number }>();

  constructor(
    private readonly engine: LocalEngine,
    private readonly precisionOf: (symbol: string) => number | undefined,
  ) {}

  /** Adds a book the server runs itself (the simulator's account). */
  add(account: string, book: PortfolioBook): void {
    this.books.set(account, book);
  }

  /** The last trade of a symbol, when the server has had one. */
  markOf(symbol: string): { price: number; time: number } | undefined {
    return this.marks.get(symbol);
  }

  /** The currency of an account that exists, else undefined. */
  currencyOf(account: string): string | undefined {
    if (!this.books.has(account)) return undefined;
    return (this.engine.snapshot(portfolioTopic(account)).data as { currency: string }).currency;
  }

  /** Applies one posted change as one update (validated by the publisher); creates the account on first use. Returns its seq. */
  apply(account: string, change: PortfolioChange, time?: number): number {
    let book = this.books.get(account);
    if (!book) {
      book = new PortfolioBook(this.engine, account, change.currency ?? 'USD', [], this.precisionOf);
      this.books.set(account, book);
    }
    if (change.removed) book.remove(change.removed);
    book.upsert(change.positions, (symbol) => this.markOf(symbol), change.replace ?? false);
    return book.flush(time);
  }

  /** Every trade marks every book that holds its symbol; each changed book publishes one update. */
  mark(trades: readonly Trade[]): void {
    for (const trade of trades) {
      const mark = this.marks.get(trade.symbol);
      if (!mark || trade.time >= mark.time) this.marks.set(trade.symbol, { price: trade.price, time: trade.time });
    }
    for (const book of this.books.values()) {
      book.mark(trades);
      book.flush();
    }
  }
}
