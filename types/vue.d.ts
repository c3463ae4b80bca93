import type { DefineComponent } from "vue";
import type { ConnectionBadge, StateChangeDetail, ElementError, LivePriceChart, BarEventDetail, PnlSummary, PnlEventDetail, WsMetricsPanel } from "../dist/index.js";

type ConnectionBadgeProps = {
  /** Layout: `full` (default), `compact` (smaller), or `floating` (fixed to the bottom-right corner). */
  variant?: ConnectionBadge["variant"];
  /** Hide the pause/resume and reconnect-now buttons. */
  noControls?: ConnectionBadge["noControls"];
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  src?: ConnectionBadge["src"];
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  theme?: ConnectionBadge["theme"];
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  locale?: ConnectionBadge["locale"];

  /** The connection state changed; detail `{state, previous}`. */
  onLmwStateChange?: (e: CustomEvent<StateChangeDetail>) => void;
  /** No usable data source; detail `{code, message}`. */
  onLmwError?: (e: CustomEvent<ElementError>) => void;
};

type LivePriceChartProps = {
  /** Instrument symbol, e.g. `BTC-USD` (letters, digits and `._/-`). */
  symbol?: LivePriceChart["symbol"];
  /** Bar interval: `1s`, `5s`, `1m`, `5m`, `15m` or `1h`. Anything else is an error. */
  interval?: LivePriceChart["interval"];
  /** Series type: `candles`, `line` or `area`. */
  chartType?: LivePriceChart["chartType"];
  /** Most bars kept and drawn (oldest dropped first). A positive integer. */
  maxBars?: LivePriceChart["maxBars"];
  /** Decimals of the prices shown (header, change, axis), 0 to 10, overriding the
server's precision for the symbol. Anything else is an error. */
  precision?: LivePriceChart["precision"];
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  src?: LivePriceChart["src"];
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  theme?: LivePriceChart["theme"];
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  locale?: LivePriceChart["locale"];

  /** A live bar arrived (at most once per animation frame); detail `{bar}`, the latest bar. */
  onLmwBar?: (e: CustomEvent<BarEventDetail>) => void;
  /** `state` changed; detail `{state, previous}`. */
  onLmwStateChange?: (e: CustomEvent<StateChangeDetail>) => void;
  /** Entered the error state (bad attribute, unknown symbol, server error); detail `{code, message}`. */
  onLmwError?: (e: CustomEvent<ElementError>) => void;
};

type PnlSummaryProps = {
  /** Account to show (letters, digits and `._-`). The reference server simulates `demo`; any
other account a backend publishes (docs/publishing.md). Until its first publish the
element stays loading ("Waiting for account …") and asks again, every 1 s up to every 10 s. */
  account?: PnlSummary["account"];
  /** ISO 4217 code used to format money, overriding the account's own currency. */
  currency?: PnlSummary["currency"];
  /** Column the table is sorted by: `symbol`, `qty`, `avg-price`, `last-price`, `market-value`,
`unrealized-pnl` or `realized-pnl` (the camelCase names, e.g. `unrealizedPnl`, also work).
Any other value sorts by symbol and warns once on the console. */
  sortBy?: PnlSummary["sortBy"];
  /** Sort direction: `asc` or `desc`. */
  sortDirection?: PnlSummary["sortDirection"];
  /** Decimals of the price cells (avg price, last), 0 to 10, for every row, overriding
each symbol's precision from the server. Money keeps its currency's decimals.
Anything else is an error. */
  precision?: PnlSummary["precision"];
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  src?: PnlSummary["src"];
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  theme?: PnlSummary["theme"];
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  locale?: PnlSummary["locale"];

  /** The totals changed (from server data, never from a property set); detail `{totals}`. */
  onLmwPnl?: (e: CustomEvent<PnlEventDetail>) => void;
  /** `state` changed; detail `{state, previous}`. */
  onLmwStateChange?: (e: CustomEvent<StateChangeDetail>) => void;
  /** Entered the error state (bad account, server error; an account not published yet waits instead); detail `{code, message}`. */
  onLmwError?: (e: CustomEvent<ElementError>) => void;
};

type WsMetricsPanelProps = {
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  src?: WsMetricsPanel["src"];
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  theme?: WsMetricsPanel["theme"];
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  locale?: WsMetricsPanel["locale"];

  /** `state` changed; detail `{state, previous}`. */
  onLmwStateChange?: (e: CustomEvent<StateChangeDetail>) => void;
  /** No usable data source; detail `{code, message}`. */
  onLmwError?: (e: CustomEvent<ElementError>) => void;
};

export type CustomElements = {
  /**
   * Connection status badge.
   * ---
   *
   *
   * ### **Events:**
   *  - **lmw-state-change** - The connection state changed; detail `{state, previous}`.
   * - **lmw-error** - No usable data source; detail `{code, message}`.
   *
   * ### **CSS Properties:**
   *  - **--lmw-up** - Dot colour when live. _(default: light-dark(#0a6e44, #3ccf86))_
   * - **--lmw-warn** - Dot colour while connecting, reconnecting or polling. _(default: light-dark(#8a5a00, #f2b84b))_
   * - **--lmw-down** - Dot colour when closed; error text. _(default: light-dark(#b8232f, #ff6b72))_
   * - **--lmw-muted** - Dot colour when paused or idle; details labels. _(default: light-dark(#556274, #93a1b3))_
   * - **--lmw-text** - Text colour. _(default: light-dark(#18202c, #e4eaf2))_
   * - **--lmw-bg** - Background colour. _(default: light-dark(#ffffff, #121924))_
   * - **--lmw-surface** - Button background. _(default: light-dark(#f4f6f9, #1a2330))_
   * - **--lmw-border** - Border colour. _(default: light-dark(#d9dfe7, #283445))_
   * - **--lmw-accent** - Focus ring colour. _(default: light-dark(#2557d6, #6ea2ff))_
   * - **--lmw-font** - Font family. _(default: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif)_
   *
   * ### **CSS Parts:**
   *  - **base** - The wrapper that holds the badge's reserved width and layout, whatever the host's `display` (no box of its own).
   * - **bar** - The badge row (the visible pill: border, background, radius), at the inline end of the badge's reserved width.
   * - **dot** - The coloured status dot.
   * - **label** - The status text.
   * - **controls** - The button group.
   * - **toggle** - The Details button (`aria-expanded`, `aria-controls`).
   * - **details** - The details panel (class `flipped` when it opens on the other side to fit the viewport).
   * - **status** - The visually hidden live region.
   * - **error** - The error text.
   */
  "connection-badge": DefineComponent<ConnectionBadgeProps>;

  /**
   * Live price chart (lightweight-charts, loaded lazily).
   * ---
   *
   *
   * ### **Events:**
   *  - **lmw-bar** - A live bar arrived (at most once per animation frame); detail `{bar}`, the latest bar.
   * - **lmw-state-change** - `state` changed; detail `{state, previous}`.
   * - **lmw-error** - Entered the error state (bad attribute, unknown symbol, server error); detail `{code, message}`.
   *
   * ### **CSS Properties:**
   *  - **--lmw-up** - Colour of rising prices and up candles. _(default: light-dark(#0a6e44, #3ccf86))_
   * - **--lmw-down** - Colour of falling prices and down candles. _(default: light-dark(#b8232f, #ff6b72))_
   * - **--lmw-text** - Text colour. _(default: light-dark(#18202c, #e4eaf2))_
   * - **--lmw-muted** - Secondary text colour. _(default: light-dark(#556274, #93a1b3))_
   * - **--lmw-bg** - Background colour. _(default: light-dark(#ffffff, #121924))_
   * - **--lmw-surface** - Background of buttons and skeletons. _(default: light-dark(#f4f6f9, #1a2330))_
   * - **--lmw-border** - Border colour. _(default: light-dark(#d9dfe7, #283445))_
   * - **--lmw-grid** - Chart grid line colour. _(default: light-dark(#edf0f4, #1d2734))_
   * - **--lmw-accent** - Accent colour (focus rings, line and area series). _(default: light-dark(#2557d6, #6ea2ff))_
   * - **--lmw-warn** - Colour of the stale-data marker. _(default: light-dark(#8a5a00, #f2b84b))_
   * - **--lmw-font** - Font family. _(default: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif)_
   * - **--lmw-radius** - Corner radius. _(default: 10px)_
   *
   * ### **CSS Parts:**
   *  - **base** - The wrapper that holds the chart's box and layout (header, chart, attribution), whatever the host's `display`; the container its sizes are queried against.
   * - **header** - The header row (symbol, price, change).
   * - **symbol** - The symbol text.
   * - **price** - The last price.
   * - **change** - The change (absolute and percent).
   * - **chart** - The chart area.
   * - **notice** - The stale-data marker (`Reconnecting…`, `Paused`, …), over the chart's top-left corner.
   * - **attribution** - The row under the chart with the "Chart by TradingView" link.
   * - **error** - The error message box.
   */
  "live-price-chart": DefineComponent<LivePriceChartProps>;

  /**
   * Live portfolio P&L.
   * ---
   *
   *
   * ### **Events:**
   *  - **lmw-pnl** - The totals changed (from server data, never from a property set); detail `{totals}`.
   * - **lmw-state-change** - `state` changed; detail `{state, previous}`.
   * - **lmw-error** - Entered the error state (bad account, server error; an account not published yet waits instead); detail `{code, message}`.
   *
   * ### **CSS Properties:**
   *  - **--lmw-up** - Colour of gains. _(default: light-dark(#0a6e44, #3ccf86))_
   * - **--lmw-down** - Colour of losses. _(default: light-dark(#b8232f, #ff6b72))_
   * - **--lmw-text** - Text colour. _(default: light-dark(#18202c, #e4eaf2))_
   * - **--lmw-muted** - Secondary text colour. _(default: light-dark(#556274, #93a1b3))_
   * - **--lmw-bg** - Background colour. _(default: light-dark(#ffffff, #121924))_
   * - **--lmw-surface** - Background of the totals tiles. _(default: light-dark(#f4f6f9, #1a2330))_
   * - **--lmw-border** - Border colour. _(default: light-dark(#d9dfe7, #283445))_
   * - **--lmw-grid** - Row separator colour. _(default: light-dark(#edf0f4, #1d2734))_
   * - **--lmw-accent** - Focus ring colour. _(default: light-dark(#2557d6, #6ea2ff))_
   * - **--lmw-warn** - Colour of the stale-data marker. _(default: light-dark(#8a5a00, #f2b84b))_
   * - **--lmw-font** - Font family. _(default: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif)_
   * - **--lmw-radius** - Corner radius. _(default: 10px)_
   * - **--lmw-table-max-height** - Height after which the table scrolls. _(default: none)_
   *
   * ### **CSS Parts:**
   *  - **base** - The wrapper that holds the element's box and layout, whatever the host's `display`; the container its sizes are queried against.
   * - **header** - The title row.
   * - **totals** - The totals list.
   * - **table** - The positions table.
   * - **notice** - The stale-data marker.
   * - **error** - The error message box.
   */
  "pnl-summary": DefineComponent<PnlSummaryProps>;

  /**
   * WebSocket metrics panel.
   * ---
   *
   *
   * ### **Events:**
   *  - **lmw-state-change** - `state` changed; detail `{state, previous}`.
   * - **lmw-error** - No usable data source; detail `{code, message}`.
   *
   * ### **CSS Properties:**
   *  - **--lmw-accent** - Sparkline colour and focus ring. _(default: light-dark(#2557d6, #6ea2ff))_
   * - **--lmw-text** - Text colour. _(default: light-dark(#18202c, #e4eaf2))_
   * - **--lmw-muted** - Label colour. _(default: light-dark(#556274, #93a1b3))_
   * - **--lmw-bg** - Background colour. _(default: light-dark(#ffffff, #121924))_
   * - **--lmw-surface** - Sparkline background. _(default: light-dark(#f4f6f9, #1a2330))_
   * - **--lmw-border** - Border colour. _(default: light-dark(#d9dfe7, #283445))_
   * - **--lmw-warn** - Colour of the stale-data marker. _(default: light-dark(#8a5a00, #f2b84b))_
   * - **--lmw-font** - Font family. _(default: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif)_
   * - **--lmw-radius** - Corner radius. _(default: 10px)_
   * - **--lmw-sparkline-height** - Height of the sparkline. _(default: 44px)_
   *
   * ### **CSS Parts:**
   *  - **base** - The wrapper that holds the panel's box and layout, whatever the host's `display`; the container its sizes are queried against.
   * - **header** - The title row.
   * - **sparkline** - The messages/s sparkline block.
   * - **stats** - The list of figures.
   * - **notice** - The stale-data marker.
   * - **error** - The error message box.
   */
  "ws-metrics-panel": DefineComponent<WsMetricsPanelProps>;
};

declare module "vue" {
  // eslint-disable-next-line @typescript-eslint/no-empty-interface
  interface GlobalComponents extends CustomElements {}
}

declare global {
  namespace JSX {
    // eslint-disable-next-line @typescript-eslint/no-empty-interface
    interface IntrinsicElements extends CustomElements {}
  }
}
