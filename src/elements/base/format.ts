/**
 * Intl formatters, created once per locale (and currency) and shared by every
 * element: building an Intl formatter costs far more than using one.
 * A bad locale or currency never throws: it falls back to the browser default.
 */

export interface Formatters {
  readonly locale: string | undefined;
  /** Plain number, up to `digits` fraction digits (default 2). */
  number(value: number, digits?: number): string;
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

/** `make(locale)`, or `make(undefined)` when `locale` is not a valid tag. */
export function withLocaleFallback<T>(make: (locale: string | undefined) => T, locale: string | undefined): T {
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
      format = withLocaleFallback((l) => new Intl.NumberFormat(l, { maximumFractionDigits: digits }), locale);
      numberCache.set(digits, format);
    }
    return format;
  };
  // Money in a code Intl does not know: the number at 2 decimals, then the code.
  const fixed2 = withLocaleFallback((l) => new Intl.NumberFormat(l, { minimumFractionDigits: 2, maximumFractionDigits: 2 }), locale);
  const percent = withLocaleFallback(
    (l) => new Intl.NumberFormat(l, { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' }),
    locale,
  );
  // 24-hour in every locale (the locale still picks separators and digits): the chart's
  // axes are 24-hour, and one page must not mix "1:05 PM" with "13:05".
  const time = withLocaleFallback(
    (l) => new Intl.DateTimeFormat(l, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }),
    locale,
  );
  const relative = withLocaleFallback((l) => new Intl.RelativeTimeFormat(l, { numeric: 'auto' }), locale);
  const moneyCache = new Map<string, Intl.NumberFormat | null>();

  return {
    locale,
    number: (value, digits = 2) => numberFormat(digits).format(value),
    percent: (value) => percent.format(value),
    money(value, currency) {
      let format = moneyCache.get(currency);
      if (format === undefined) {
        try {
          format = withLocaleFallback((l) => new Intl.NumberFormat(l, { style: 'currency', currency }), locale);
        } catch {
          format = null; // not an ISO currency code
        }
        moneyCache.set(currency, format);
      }
      return format ? format.format(value) : `${fixed2.format(value)} ${currency}`;
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
