/** The positions table's columns, the `sort-by` values that name them, and money rounding. */
import type { PositionColumn } from './pnl-summary.js';

/** A `sort-by` value: kebab-case, like every other attribute. */
export type SortKey = 'symbol' | 'qty' | 'avg-price' | 'last-price' | 'market-value' | 'unrealized-pnl' | 'realized-pnl';

export const COLUMNS: ReadonlyArray<{ key: PositionColumn; sort: SortKey; label: string }> = [
  { key: 'symbol', sort: 'symbol', label: 'Symbol' },
  { key: 'qty', sort: 'qty', label: 'Qty' },
  { key: 'avgPrice', sort: 'avg-price', label: 'Avg price' },
  { key: 'lastPrice', sort: 'last-price', label: 'Last' },
  { key: 'marketValue', sort: 'market-value', label: 'Market value' },
  { key: 'unrealizedPnl', sort: 'unrealized-pnl', label: 'Unrealized' },
  { key: 'realizedPnl', sort: 'realized-pnl', label: 'Realized' },
];
/** The `sort-by` values; the old camelCase names (`unrealizedPnl`) stay accepted as aliases. */
export const SORT_KEYS: readonly SortKey[] = COLUMNS.map((c) => c.sort);
export const SORT_COLUMNS = new Map<string, PositionColumn>(COLUMNS.flatMap((c) => [[c.sort, c.key], [c.key, c.key]] as const));

const moneyDigitsCache = new Map<string, number>();

/** Fraction digits the display uses for `currency` (2 for USD, 0 for JPY; 2 for a code Intl does not know). */
export function moneyDigits(currency: string): number {
  let digits = moneyDigitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    moneyDigitsCache.set(currency, digits);
  }
  return digits;
}
