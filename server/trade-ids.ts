/**
 * Trade ids seen lately, per symbol: a trade whose id is in its symbol's window is a
 * duplicate (a publisher that timed out and posted again) and is dropped before it is
 * folded, marked or counted. Trades without an id always pass. The Redis engine keeps the
 * same window in Redis (TRADES_SCRIPT), so a retry on another node is dropped too.
 */
import type { Trade } from '../src/protocol/index.js';

/**
 * The window of each symbol: its last `count` ids, none older than `ms` (by arrival).
 * A retry comes within seconds of the first try (a publisher's timeout, then the load
 * balancer's next node), so 5 minutes covers it with room to spare; 4,096 ids bound the
 * memory per symbol whatever its rate (under 1 MB at 128-character ids, about what its
 * bars take; far less for usual ids), and still cover the 5 minutes at 13 trades/s.
 */
export const TRADE_ID_WINDOW = { count: 4096, ms: 5 * 60_000 } as const;

export interface TradeIdWindowOptions {
  count: number;
  ms: number;
}

/** What a trade publish answers: trades applied, and trades dropped as duplicates of a known id. */
export interface TradesResult {
  accepted: number;
  duplicates: number;
}

/** A valid trade's own fields, nothing else it carried. */
export function copyTrade({ symbol, price, size, time, id }: Trade): Trade {
  return id === undefined ? { symbol, price, size, time } : { symbol, price, size, time, id };
}

export class TradeIds {
  /** Per symbol, id -> arrival time, oldest first (a Map keeps insertion order). */
  private readonly seen = new Map<string, Map<string, number>>();
  private lastSweep: number;
  private latest = -Infinity;

  constructor(
    private readonly window: TradeIdWindowOptions = TRADE_ID_WINDOW,
    private readonly now: () => number = Date.now,
  ) {
    this.lastSweep = now();
  }

  /** The trades whose id is new for their symbol (recorded now), and how many were duplicates (within the batch too). */
  filter(trades: readonly Trade[]): { fresh: Trade[]; duplicates: number } {
    // Arrival times only go forward, so each window's oldest entry is its first.
    const now = (this.latest = Math.max(this.latest, this.now()));
    this.sweep(now);
    const fresh: Trade[] = [];
    let duplicates = 0;
    let touched: Set<Map<string, number>> | undefined;
    for (const trade of trades) {
      if (trade.id === undefined) {
        fresh.push(trade);
        continue;
      }
      let ids = this.seen.get(trade.symbol);
      if (!ids) this.seen.set(trade.symbol, (ids = new Map()));
      if (!touched?.has(ids)) {
        this.expire(ids, now);
        (touched ??= new Set()).add(ids);
      }
      if (ids.has(trade.id)) {
        duplicates++;
        continue;
      }
      ids.set(trade.id, now);
      fresh.push(trade);
    }
    // Trimmed by count after the batch (as the Redis script does): a batch's own repeats are caught however long it is.
    if (touched)
      for (const ids of touched) {
        let over = ids.size - this.window.count;
        for (const id of ids.keys()) {
          if (over-- <= 0) break;
          ids.delete(id);
        }
      }
    return { fresh, duplicates };
  }

  /** Ids held, all symbols (for tests and footprints). */
  get size(): number {
    let n = 0;
    for (const ids of this.seen.values()) n += ids.size;
    return n;
  }

  private expire(ids: Map<string, number>, now: number): void {
    for (const [id, time] of ids) {
      if (now - time < this.window.ms) return;
      ids.delete(id);
    }
  }

  /** Once per window length, every symbol: a symbol that stopped trading lets go of its ids. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.window.ms) return;
    this.lastSweep = now;
    for (const [symbol, ids] of this.seen) {
      this.expire(ids, now);
      if (ids.size === 0) this.seen.delete(symbol);
    }
  }
}
