/**
 * Price precision: how many decimals a symbol's prices have. The server says it in the
 * candle snapshot (`precision`, `tickSize`) and per portfolio row (`precision`); where it
 * does not (an older server), the client derives it from the price itself. Shared by the
 * browser kit and the reference server.
 */

/** Most decimals a precision may have (attribute, wire). */
export const MAX_PRECISION = 10;
/** Most decimals the server derives from published prices: deeper ones are float noise, not ticks. */
export const OBSERVED_PRECISION_CAP = 8;
/**
 * Fewest decimals the server derives from published prices: a symbol first printed at 190
 * gets 2, so that a later 190.5 is not shown as 191 until the client's next snapshot.
 */
export const OBSERVED_MIN_DECIMALS = 2;
/** Significant digits the client-side fallback aims to show. */
export const FALLBACK_SIGNIFICANT_DIGITS = 5;
/** Fewest decimals the client-side fallback shows. */
export const FALLBACK_MIN_DECIMALS = 2;

/** A symbol's precision as the server states it. */
export interface PricePrecision {
  /** Decimals prices are shown with. */
  precision: number;
  /** Smallest price step, when the venue has one (simulated symbols). */
  tickSize?: number;
}

/** An integer number of decimals from 0 to MAX_PRECISION. */
export function isPrecision(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_PRECISION;
}

/** A finite price step above 0. */
export function isTickSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * Decimals in the shortest decimal form of `value`, at most `cap` (1.0826 → 4,
 * 0.00001234 → 8, 65000 → 0). A value with more than `cap` decimals gives `cap`.
 */
export function decimalsOf(value: number, cap = MAX_PRECISION): number {
  if (!Number.isFinite(value)) return 0;
  for (let d = 0; d < cap; d++) if (Number(value.toFixed(d)) === value) return d;
  return cap;
}

/** Decimals of a tick size (0.00001 → 5, 0.25 → 2, 1 → 0), at most MAX_PRECISION. */
export function precisionOfTick(tickSize: number): number {
  return decimalsOf(tickSize, MAX_PRECISION);
}

/**
 * The client's fallback when the server says nothing: enough decimals for about
 * FALLBACK_SIGNIFICANT_DIGITS significant digits, at least FALLBACK_MIN_DECIMALS
 * (65000 → 2, 1.0826 → 4, 0.5 → 5, 0.00001234 → 9).
 */
export function derivePrecision(price: number): number {
  const magnitude = Math.abs(price);
  if (!Number.isFinite(magnitude) || magnitude === 0) return FALLBACK_MIN_DECIMALS;
  const wanted = FALLBACK_SIGNIFICANT_DIGITS - 1 - Math.floor(Math.log10(magnitude));
  return Math.min(MAX_PRECISION, Math.max(FALLBACK_MIN_DECIMALS, wanted));
}

/** What a snapshot says about precision: `precision`, else the decimals of `tickSize`, else nothing. */
export function statedPrecision(data: { precision?: number; tickSize?: number } | undefined): number | undefined {
  if (!data) return undefined;
  if (isPrecision(data.precision)) return data.precision;
  if (isTickSize(data.tickSize)) return precisionOfTick(data.tickSize);
  return undefined;
}

/** The chart's smallest price move: the tick when it fits the precision, else one unit of the last decimal. */
export function minMoveFor(precision: number, tickSize?: number): number {
  if (tickSize !== undefined && isTickSize(tickSize) && precisionOfTick(tickSize) <= precision) return tickSize;
  return Number(`1e-${precision}`);
}
