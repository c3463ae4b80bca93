/**
 * What the server says about each symbol's price precision (docs/protocol.md, candle
 * snapshots). Simulated symbols declare their tick size; any other symbol (published,
 * replayed) gets the most decimals seen in its trade prices, at least 2, capped.
 */
import { decimalsOf, OBSERVED_MIN_DECIMALS, OBSERVED_PRECISION_CAP, precisionOfTick, type PricePrecision } from '../src/protocol/index.js';

/** Each symbol's precision: declared (the tick size wins) or observed. */
export class PrecisionBook {
  private readonly declared = new Map<string, PricePrecision>();
  private readonly observed = new Map<string, number>();

  /** A venue's tick size for `symbol`: its precision from now on, whatever trades say. */
  declare(symbol: string, tickSize: number): PricePrecision {
    const stated = { precision: precisionOfTick(tickSize), tickSize };
    this.declared.set(symbol, stated);
    return stated;
  }

  /** Takes a trade price into account; true when the symbol's precision changed. */
  observe(symbol: string, price: number): boolean {
    if (this.declared.has(symbol)) return false;
    const current = this.observed.get(symbol);
    // Fast path (every trade passes here): the price has no more decimals than already seen.
    if (current !== undefined) {
      if (current >= OBSERVED_PRECISION_CAP) return false;
      const scale = 10 ** current;
      if (Math.round(price * scale) / scale === price) return false;
    }
    const decimals = Math.max(current ?? OBSERVED_MIN_DECIMALS, decimalsOf(price, OBSERVED_PRECISION_CAP));
    if (decimals === current) return false;
    this.observed.set(symbol, decimals);
    return true;
  }

  /** What the server says about `symbol`, or undefined when it knows nothing yet. */
  of(symbol: string): PricePrecision | undefined {
    const declared = this.declared.get(symbol);
    if (declared) return declared;
    const observed = this.observed.get(symbol);
    return observed === undefined ? undefined : { precision: observed };
  }
}
