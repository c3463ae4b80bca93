/**
 * Intl formatters, created once per locale (and currency) and shared by every
 * element: building an Intl formatter costs far more than using one.
 * A bad locale or currency never throws: it falls back to the browser default.
 */

export interface Formatters {
  readonly locale: string | undefined;
  /** Plain number, up to `digits` fraction digits (default 2). */
  number(value: number, digits?: number): string;
  /** A price: 2 decimals, more for prices under 1. */
  price(value: number): string;
  /** A signed price change (`+1.25`, `−0.40`). */
  change(value: number): string;
  /** A signed percentage from a ratio (0.0123 → `+1.23%`). */
  percent(value: number): string;
  /** Money in `currency` (ISO 4217); falls back to a number plus the code. */
  money(value: number, currency: string): string;
  /** Time of day with seconds, 24-hour (`hourCycle: 'h23'`) like the chart's axes. */
  time(epochMs: number): string;
  /** `5 seconds ago`, `now`. */
  relative(deltaSeconds: number): string;
}

const cache = new Map<string, Formatters>();

function safe<T>(make: (locale: string | undefined) => T, locale: string | undefined): T {
  try {
    return make(locale);
  } catch {
    return make(undefined); // invalid locale tag: browser default
  }
}

function createFormatters(locale: string | undefined): Formatters {
  const numberCache = new Map<number, Intl.NumberFormat>();
  const numberFormat = (digits: number) => {
    let format = numberCache.get(digits);
    if (!format) {
      format = safe((l) => new Intl.NumberFormat(l, { maximumFractionDigits: digits }), locale);
      numberCache.set(digits, format);
    }
    return format;
  };
  const price = safe((l) => new Intl.NumberFormat(l, { minimumFractionDigits: 2, maximumFractionDigits: 2 }), locale);
  const smallPrice = safe((l) => new Intl.NumberFormat(l, { maximumSignificantDigits: 4 }), locale);
  const change = safe(
    (l) => new Intl.NumberFormat(l, { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' }),
    locale,
  );
  const percent = safe(
    (l) => new Intl.NumberFormat(l, { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' }),
    locale,
  );
  // 24-hour in every locale (the locale still picks separators and digits): the chart's
  // axes are 24-hour, and one page must not mix "1:05 PM" with "13:05".
  const time = safe(
    (l) => new Intl.DateTimeFormat(l, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }),
    locale,
  );
  const relative = safe((l) => new Intl.RelativeTimeFormat(l, { numeric: 'auto' }), locale);
  const moneyCache = new Map<string, Intl.NumberFormat | null>();

  return {
    locale,
    number: (value, digits = 2) => numberFormat(digits).format(value),
    price: (value) => (Math.abs(value) >= 1 || value === 0 ? price : smallPrice).format(value),
    change: (value) => change.format(value),
    percent: (value) => percent.format(value),
    money(value, currency) {
      let format = moneyCache.get(currency);
      if (format === undefined) {
        try {
          format = safe((l) => new Intl.NumberFormat(l, { style: 'currency', currency }), locale);
        } catch {
          format = null; // not an ISO currency code
        }
        moneyCache.set(currency, format);
      }
      return format ? format.format(value) : `${price.format(value)} ${currency}`;
    },
    time: (epochMs) => time.format(epochMs),
    relative: (deltaSeconds) => relative.format(Math.round(deltaSeconds), 'second'),
  };
}

/** The shared formatters for `locale` (undefined: the browser default). */
export function getFormatters(locale: string | undefined): Formatters {
  const key = locale ?? '';
  let formatters = cache.get(key);
  if (!formatters) {
    formatters = createFormatters(locale || undefined);
    cache.set(key, formatters);
  }
  return formatters;
}

/** `h:mm:ss` (or `d h:mm:ss`) for a duration in seconds. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(s / 86_400);
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = `${Math.floor((s % 86_400) / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return days > 0 ? `${days}d ${clock}` : clock;
}
