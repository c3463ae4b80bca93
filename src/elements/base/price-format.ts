/**
 * Prices at a symbol's precision: which precision wins (the `precision` attribute, then
 * what the server says, then a guess from the price), and Intl formatters for it, created
 * once per locale and precision and shared by every element.
 */
import type { ComplexAttributeConverter } from 'lit';
import { derivePrecision, isPrecision, MAX_PRECISION, minMoveFor } from '../../protocol/index.js';
import { withLocaleFallback } from './format.js';

export interface PriceFormat {
  /** Decimals every price shows. */
  readonly precision: number;
  /** Smallest price move for the chart's scale (the tick when it fits the precision). */
  readonly minMove: number;
  /** A price at `precision` decimals. */
  price(value: number): string;
  /** A signed change at `precision` decimals (`+0.00012`, `−1.50`). */
  change(value: number): string;
  /** `price`, memoised: the chart formats the same few axis prices on every draw. */
  axis(value: number): string;
}

/**
 * The `precision` attribute as a number: absent → undefined, anything that is not a
 * number (an empty value too) → NaN, so validation can tell "not set" from "bad".
 */
export const precisionConverter: ComplexAttributeConverter<number | undefined> = {
  fromAttribute: (value) => (value === null ? undefined : value.trim() === '' ? NaN : Number(value)),
};

/** Why a `precision` attribute is unusable, or undefined when it is absent or fine. */
export function precisionProblem(value: number | undefined): string | undefined {
  if (value === undefined || value === null || isPrecision(value)) return undefined;
  return `precision must be an integer from 0 to ${MAX_PRECISION} (decimals), not "${String(value).slice(0, 16)}".`;
}

/** The attribute when valid, else the server's precision, else one derived from `price`. */
export function choosePrecision(attribute: number | undefined, stated: number | undefined, price: number): number {
  if (isPrecision(attribute)) return attribute;
  if (isPrecision(stated)) return stated;
  return derivePrecision(price);
}

const cache = new Map<string, PriceFormat>();

function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return withLocaleFallback((l) => new Intl.NumberFormat(l, options), locale);
}

/** The shared price format for `locale` at `precision` decimals (`tickSize` sets the chart's move). */
export function getPriceFormat(locale: string | undefined, precision: number, tickSize?: number): PriceFormat {
  // Keyed by the inputs: the P&L asks for every price cell it renders, so a hit does no work.
  const key = `${locale ?? ''}|${precision}|${tickSize ?? ''}`;
  let format = cache.get(key);
  if (format) return format;
  const minMove = minMoveFor(precision, tickSize);
  const digits = { minimumFractionDigits: precision, maximumFractionDigits: precision };
  const price = numberFormat(locale, digits);
  const change = numberFormat(locale, { ...digits, signDisplay: 'exceptZero' });
  const labels = new Map<number, string>();
  format = {
    precision,
    minMove,
    price: (value) => price.format(value),
    change: (value) => change.format(value),
    axis(value) {
      let text = labels.get(value);
      if (text === undefined) {
        if (labels.size >= 512) labels.clear();
        labels.set(value, (text = price.format(value)));
      }
      return text;
    },
  };
  if (cache.size >= 256) cache.clear(); // a page cycling through locales and precisions
  cache.set(key, format);
  return format;
}
