import type { ElementError, StateChangeDetail, ConnectionBadge, BarEventDetail, Bar, LivePriceChart, PnlEventDetail, PnlSummary, WsMetricsPanel } from "../dist/index.js";

/**
 * This type can be used to create scoped tags for your components.
 *
 * Usage:
 *
 * ```ts
 * import type { ScopedElements } from "path/to/library/jsx-integration";
 *
 * declare module "my-library" {
 *   namespace JSX {
 *     interface IntrinsicElements
 *       extends ScopedElements<'test-', ''> {}
 *   }
 * }
 * ```
 *
 * @deprecated Runtime scoped elements result in duplicate types and can confusing for developers. It is recommended to use the `prefix` and `suffix` options to generate new types instead.
 */
export type ScopedElements<
  Prefix extends string = "",
  Suffix extends string = "",
> = {
  [
    Key in keyof CustomElements as `${Prefix}${Key}${Suffix}`
  ]: CustomElements[Key];
};

/**
 * A generic type for strongly typing custom events with their targets
 * @template T - The type of the event target (extends EventTarget)
 * @template D - The type of the detail payload for the custom event
 */
type TypedEvent<T extends EventTarget, E = Event> = E & {
  target: T;
};

type BaseProps<T extends HTMLElement> = {
  /** Content added between the opening and closing tags of the element */
  children?: any | undefined;
  /** Used for declaratively styling one or more elements using CSS (Cascading Stylesheets) */
  class?: string | undefined;
  /** Used for declaratively styling one or more elements using CSS (Cascading Stylesheets) */
  className?: string | undefined;
  /** Takes an object where the key is the class name(s) and the value is a boolean expression. When true, the class is applied, and when false, it is removed. */
  classList?: Record<string, boolean | undefined> | undefined;
  /** Specifies the text direction of the element. */
  dir?: "ltr" | "rtl" | undefined;
  /** Contains a space-separated list of the part names of the element that should be exposed on the host element. */
  exportparts?: string | undefined;
  /** For <label> and <output>, lets you associate the label with some control. */
  htmlFor?: string | undefined;
  /** Specifies whether the element should be hidden. */
  hidden?: boolean | string | undefined;
  /** A unique identifier for the element. */
  id?: string | undefined;
  /** Keys tell React which array item each component corresponds to */
  key?: string | number | undefined;
  /** Specifies the language of the element. */
  lang?: string | undefined;
  /** Defines the element's semantic role for accessibility APIs. */
  role?: string | undefined;
  /** Contains a space-separated list of the part names of the element. Part names allows CSS to select and style specific elements in a shadow tree via the ::part pseudo-element. */
  part?: string | undefined;
  /** Use the ref attribute with a variable to assign a DOM element to the variable once the element is rendered. */
  ref?: (T | ((e: T) => void)) | undefined;
  /** Adds a reference for a custom element slot */
  slot?: string | undefined;
  /** Prop for setting inline styles */
  style?: Record<string, string | number> | undefined;
  /** Overrides the default Tab button behavior. Avoid using values other than -1 and 0. */
  tabIndex?: number | undefined;
  /** Specifies the tooltip text for the element. */
  title?: string | undefined;
  /** Passing 'no' excludes the element content from being translated. */
  translate?: "yes" | "no" | undefined;
  /** The popover global attribute is used to designate an element as a popover element. */
  popover?: "auto" | "hint" | "manual" | undefined;
  /** Turns an element element into a popover control button; takes the ID of the popover element to control as its value. */
  popovertarget?: "top" | "bottom" | "left" | "right" | "auto" | undefined;
  /** Specifies the action to be performed on a popover element being controlled by a control element. */
  popovertargetaction?: "show" | "hide" | "toggle" | undefined;
};

type BaseEvents = {};

/** `ConnectionBadge` component event */
export type ConnectionBadgeElementEvent<E = Event> = TypedEvent<
  ConnectionBadge,
  E
>;
/** `lmw-state-change` event type */
export type ConnectionBadgeLmwStateChangeElementEvent =
  ConnectionBadgeElementEvent<CustomEvent<StateChangeDetail>>;
/** `lmw-error` event type */
export type ConnectionBadgeLmwErrorElementEvent = ConnectionBadgeElementEvent<
  CustomEvent<ElementError>
>;

export type ConnectionBadgeProps = {
  /** Layout: `full` (default), `compact` (smaller), or `floating` (fixed to the bottom-right corner). */
  variant?: ConnectionBadge["variant"] | undefined;
  /** Hide the pause/resume and reconnect-now buttons. */
  "no-controls"?: ConnectionBadge["noControls"] | undefined;
  /** Hide the pause/resume and reconnect-now buttons. */
  noControls?: ConnectionBadge["noControls"] | undefined;
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  src?: ConnectionBadge["src"] | undefined;
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  theme?: ConnectionBadge["theme"] | undefined;
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  locale?: ConnectionBadge["locale"] | undefined;

  /** The connection state changed; detail `{state, previous}`. */
  "onlmw-state-change"?:
    ((e: ConnectionBadgeLmwStateChangeElementEvent) => void) | undefined;
  /** No usable data source; detail `{code, message}`. */
  "onlmw-error"?:
    ((e: ConnectionBadgeLmwErrorElementEvent) => void) | undefined;
};

export type ConnectionBadgeSolidJsProps = {
  /** Layout: `full` (default), `compact` (smaller), or `floating` (fixed to the bottom-right corner). */
  "prop:variant"?: ConnectionBadge["variant"] | undefined;
  /** Hide the pause/resume and reconnect-now buttons. */
  "bool:no-controls"?: ConnectionBadge["noControls"] | undefined;
  /** Hide the pause/resume and reconnect-now buttons. */
  "prop:noControls"?: ConnectionBadge["noControls"] | undefined;
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  "prop:src"?: ConnectionBadge["src"] | undefined;
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  "prop:theme"?: ConnectionBadge["theme"] | undefined;
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  "prop:locale"?: ConnectionBadge["locale"] | undefined;
  /** The connection state changed; detail `{state, previous}`. */
  "on:lmw-state-change"?:
    ((e: ConnectionBadgeLmwStateChangeElementEvent) => void) | undefined;
  /** No usable data source; detail `{code, message}`. */
  "on:lmw-error"?:
    ((e: ConnectionBadgeLmwErrorElementEvent) => void) | undefined;

  /** Set the innerHTML of the element */
  innerHTML?: string | undefined;
  /** Set the textContent of the element */
  textContent?: string | number | undefined;
};

/** `LivePriceChart` component event */
export type LivePriceChartElementEvent<E = Event> = TypedEvent<
  LivePriceChart,
  E
>;
/** `lmw-bar` event type */
export type LivePriceChartLmwBarElementEvent = LivePriceChartElementEvent<
  CustomEvent<BarEventDetail>
>;
/** `lmw-state-change` event type */
export type LivePriceChartLmwStateChangeElementEvent =
  LivePriceChartElementEvent<CustomEvent<StateChangeDetail>>;
/** `lmw-error` event type */
export type LivePriceChartLmwErrorElementEvent = LivePriceChartElementEvent<
  CustomEvent<ElementError>
>;

export type LivePriceChartProps = {
  /** Instrument symbol, e.g. `BTC-USD` (letters, digits and `._/-`). */
  symbol?: LivePriceChart["symbol"] | undefined;
  /** Bar interval: `1s`, `5s`, `1m`, `5m`, `15m` or `1h`. Anything else is an error. */
  interval?: LivePriceChart["interval"] | undefined;
  /** Series type: `candles`, `line` or `area`. */
  "chart-type"?: LivePriceChart["chartType"] | undefined;
  /** Series type: `candles`, `line` or `area`. */
  chartType?: LivePriceChart["chartType"] | undefined;
  /** Most bars kept and drawn (oldest dropped first). A positive integer. */
  "max-bars"?: LivePriceChart["maxBars"] | undefined;
  /** Most bars kept and drawn (oldest dropped first). A positive integer. */
  maxBars?: LivePriceChart["maxBars"] | undefined;
  /** Decimals of the prices shown (header, change, axis), 0 to 10, overriding the
server's precision for the symbol. Anything else is an error. */
  precision?: LivePriceChart["precision"] | undefined;
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  src?: LivePriceChart["src"] | undefined;
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  theme?: LivePriceChart["theme"] | undefined;
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  locale?: LivePriceChart["locale"] | undefined;

  /** A live bar arrived (at most once per animation frame); detail `{bar}`, the latest bar. */
  "onlmw-bar"?: ((e: LivePriceChartLmwBarElementEvent) => void) | undefined;
  /** `state` changed; detail `{state, previous}`. */
  "onlmw-state-change"?:
    ((e: LivePriceChartLmwStateChangeElementEvent) => void) | undefined;
  /** Entered the error state (bad attribute, unknown symbol, server error); detail `{code, message}`. */
  "onlmw-error"?: ((e: LivePriceChartLmwErrorElementEvent) => void) | undefined;
};

export type LivePriceChartSolidJsProps = {
  /** Instrument symbol, e.g. `BTC-USD` (letters, digits and `._/-`). */
  "prop:symbol"?: LivePriceChart["symbol"] | undefined;
  /** Bar interval: `1s`, `5s`, `1m`, `5m`, `15m` or `1h`. Anything else is an error. */
  "prop:interval"?: LivePriceChart["interval"] | undefined;
  /** Series type: `candles`, `line` or `area`. */
  "attr:chart-type"?: LivePriceChart["chartType"] | undefined;
  /** Series type: `candles`, `line` or `area`. */
  "prop:chartType"?: LivePriceChart["chartType"] | undefined;
  /** Most bars kept and drawn (oldest dropped first). A positive integer. */
  "attr:max-bars"?: LivePriceChart["maxBars"] | undefined;
  /** Most bars kept and drawn (oldest dropped first). A positive integer. */
  "prop:maxBars"?: LivePriceChart["maxBars"] | undefined;
  /** Decimals of the prices shown (header, change, axis), 0 to 10, overriding the
server's precision for the symbol. Anything else is an error. */
  "prop:precision"?: LivePriceChart["precision"] | undefined;
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  "prop:src"?: LivePriceChart["src"] | undefined;
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  "prop:theme"?: LivePriceChart["theme"] | undefined;
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  "prop:locale"?: LivePriceChart["locale"] | undefined;
  /** A live bar arrived (at most once per animation frame); detail `{bar}`, the latest bar. */
  "on:lmw-bar"?: ((e: LivePriceChartLmwBarElementEvent) => void) | undefined;
  /** `state` changed; detail `{state, previous}`. */
  "on:lmw-state-change"?:
    ((e: LivePriceChartLmwStateChangeElementEvent) => void) | undefined;
  /** Entered the error state (bad attribute, unknown symbol, server error); detail `{code, message}`. */
  "on:lmw-error"?:
    ((e: LivePriceChartLmwErrorElementEvent) => void) | undefined;

  /** Set the innerHTML of the element */
  innerHTML?: string | undefined;
  /** Set the textContent of the element */
  textContent?: string | number | undefined;
};

/** `PnlSummary` component event */
export type PnlSummaryElementEvent<E = Event> = TypedEvent<PnlSummary, E>;
/** `lmw-pnl` event type */
export type PnlSummaryLmwPnlElementEvent = PnlSummaryElementEvent<
  CustomEvent<PnlEventDetail>
>;
/** `lmw-state-change` event type */
export type PnlSummaryLmwStateChangeElementEvent = PnlSummaryElementEvent<
  CustomEvent<StateChangeDetail>
>;
/** `lmw-error` event type */
export type PnlSummaryLmwErrorElementEvent = PnlSummaryElementEvent<
  CustomEvent<ElementError>
>;

export type PnlSummaryProps = {
  /** Account to show (letters, digits and `._-`). The reference server simulates `demo`; any
other account a backend publishes (docs/publishing.md). Until its first publish the
element stays loading ("Waiting for account …") and asks again, every 1 s up to every 10 s. */
  account?: PnlSummary["account"] | undefined;
  /** ISO 4217 code used to format money, overriding the account's own currency. */
  currency?: PnlSummary["currency"] | undefined;
  /** Column the table is sorted by: `symbol`, `qty`, `avg-price`, `last-price`, `market-value`,
`unrealized-pnl` or `realized-pnl` (the camelCase names, e.g. `unrealizedPnl`, also work).
Any other value sorts by symbol and warns once on the console. */
  "sort-by"?: PnlSummary["sortBy"] | undefined;
  /** Column the table is sorted by: `symbol`, `qty`, `avg-price`, `last-price`, `market-value`,
`unrealized-pnl` or `realized-pnl` (the camelCase names, e.g. `unrealizedPnl`, also work).
Any other value sorts by symbol and warns once on the console. */
  sortBy?: PnlSummary["sortBy"] | undefined;
  /** Sort direction: `asc` or `desc`. */
  "sort-direction"?: PnlSummary["sortDirection"] | undefined;
  /** Sort direction: `asc` or `desc`. */
  sortDirection?: PnlSummary["sortDirection"] | undefined;
  /** Decimals of the price cells (avg price, last), 0 to 10, for every row, overriding
each symbol's precision from the server. Money keeps its currency's decimals.
Anything else is an error. */
  precision?: PnlSummary["precision"] | undefined;
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  src?: PnlSummary["src"] | undefined;
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  theme?: PnlSummary["theme"] | undefined;
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  locale?: PnlSummary["locale"] | undefined;

  /** The totals changed (from server data, never from a property set); detail `{totals}`. */
  "onlmw-pnl"?: ((e: PnlSummaryLmwPnlElementEvent) => void) | undefined;
  /** `state` changed; detail `{state, previous}`. */
  "onlmw-state-change"?:
    ((e: PnlSummaryLmwStateChangeElementEvent) => void) | undefined;
  /** Entered the error state (bad account, server error; an account not published yet waits instead); detail `{code, message}`. */
  "onlmw-error"?: ((e: PnlSummaryLmwErrorElementEvent) => void) | undefined;
};

export type PnlSummarySolidJsProps = {
  /** Account to show (letters, digits and `._-`). The reference server simulates `demo`; any
other account a backend publishes (docs/publishing.md). Until its first publish the
element stays loading ("Waiting for account …") and asks again, every 1 s up to every 10 s. */
  "prop:account"?: PnlSummary["account"] | undefined;
  /** ISO 4217 code used to format money, overriding the account's own currency. */
  "prop:currency"?: PnlSummary["currency"] | undefined;
  /** Column the table is sorted by: `symbol`, `qty`, `avg-price`, `last-price`, `market-value`,
`unrealized-pnl` or `realized-pnl` (the camelCase names, e.g. `unrealizedPnl`, also work).
Any other value sorts by symbol and warns once on the console. */
  "attr:sort-by"?: PnlSummary["sortBy"] | undefined;
  /** Column the table is sorted by: `symbol`, `qty`, `avg-price`, `last-price`, `market-value`,
`unrealized-pnl` or `realized-pnl` (the camelCase names, e.g. `unrealizedPnl`, also work).
Any other value sorts by symbol and warns once on the console. */
  "prop:sortBy"?: PnlSummary["sortBy"] | undefined;
  /** Sort direction: `asc` or `desc`. */
  "attr:sort-direction"?: PnlSummary["sortDirection"] | undefined;
  /** Sort direction: `asc` or `desc`. */
  "prop:sortDirection"?: PnlSummary["sortDirection"] | undefined;
  /** Decimals of the price cells (avg price, last), 0 to 10, for every row, overriding
each symbol's precision from the server. Money keeps its currency's decimals.
Anything else is an error. */
  "prop:precision"?: PnlSummary["precision"] | undefined;
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  "prop:src"?: PnlSummary["src"] | undefined;
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  "prop:theme"?: PnlSummary["theme"] | undefined;
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  "prop:locale"?: PnlSummary["locale"] | undefined;
  /** The totals changed (from server data, never from a property set); detail `{totals}`. */
  "on:lmw-pnl"?: ((e: PnlSummaryLmwPnlElementEvent) => void) | undefined;
  /** `state` changed; detail `{state, previous}`. */
  "on:lmw-state-change"?:
    ((e: PnlSummaryLmwStateChangeElementEvent) => void) | undefined;
  /** Entered the error state (bad account, server error; an account not published yet waits instead); detail `{code, message}`. */
  "on:lmw-error"?: ((e: PnlSummaryLmwErrorElementEvent) => void) | undefined;

  /** Set the innerHTML of the element */
  innerHTML?: string | undefined;
  /** Set the textContent of the element */
  textContent?: string | number | undefined;
};

/** `WsMetricsPanel` component event */
export type WsMetricsPanelElementEvent<E = Event> = TypedEvent<
  WsMetricsPanel,
  E
>;
/** `lmw-state-change` event type */
export type WsMetricsPanelLmwStateChangeElementEvent =
  WsMetricsPanelElementEvent<CustomEvent<StateChangeDetail>>;
/** `lmw-error` event type */
export type WsMetricsPanelLmwErrorElementEvent = WsMetricsPanelElementEvent<
  CustomEvent<ElementError>
>;

export type WsMetricsPanelProps = {
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  src?: WsMetricsPanel["src"] | undefined;
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  theme?: WsMetricsPanel["theme"] | undefined;
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  locale?: WsMetricsPanel["locale"] | undefined;

  /** `state` changed; detail `{state, previous}`. */
  "onlmw-state-change"?:
    ((e: WsMetricsPanelLmwStateChangeElementEvent) => void) | undefined;
  /** No usable data source; detail `{code, message}`. */
  "onlmw-error"?: ((e: WsMetricsPanelLmwErrorElementEvent) => void) | undefined;
};

export type WsMetricsPanelSolidJsProps = {
  /** WebSocket URL of the market server (`ws://host/stream`). When absent, the
`content` of `<meta name="live-market-widgets:src">` is used. Elements with the
same URL share one connection. */
  "prop:src"?: WsMetricsPanel["src"] | undefined;
  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  "prop:theme"?: WsMetricsPanel["theme"] | undefined;
  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  "prop:locale"?: WsMetricsPanel["locale"] | undefined;
  /** `state` changed; detail `{state, previous}`. */
  "on:lmw-state-change"?:
    ((e: WsMetricsPanelLmwStateChangeElementEvent) => void) | undefined;
  /** No usable data source; detail `{code, message}`. */
  "on:lmw-error"?:
    ((e: WsMetricsPanelLmwErrorElementEvent) => void) | undefined;

  /** Set the innerHTML of the element */
  innerHTML?: string | undefined;
  /** Set the textContent of the element */
  textContent?: string | number | undefined;
};

export type CustomElements = {
  /**
   * The connection status of the page's market stream: a coloured dot with a text
   * label, a details disclosure, pause/resume and reconnect-now buttons, and a polite
   * live-region notice when the connection drops and when it is back.
   *
   * The badge's box is as wide as its widest state (a hidden sizer reserves the longest
   * label and every button), so "Reconnect now" appearing never moves the page around it;
   * the visible pill (`bar`) sits at the inline end of that box. The details panel closes on
   * Escape and on a pointer press outside the badge, and is kept inside the viewport
   * (flipped above or below, shifted sideways).
   *
   * ## Attributes & Properties
   *
   * Component attributes and properties that can be applied to the element or by using JavaScript.
   *
   * - `variant`: Layout: `full` (default), `compact` (smaller), or `floating` (fixed to the bottom-right corner).
   * - `no-controls`/`noControls`: Hide the pause/resume and reconnect-now buttons.
   * - `src`: WebSocket URL of the market server (`ws://host/stream`). When absent, the
   * `content` of `<meta name="live-market-widgets:src">` is used. Elements with the
   * same URL share one connection.
   * - `theme`: Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`).
   * - `locale`: BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's.
   * - `metrics`: The bound stream's metrics (attempts, latency, last message time…), a copy. (property only) (readonly)
   * - `state`: Current state, reflected to the `state` attribute: `loading`, `live`, `stale`
   * or `error` (the connection badge reports the connection state instead). (property only) (readonly)
   * - `error`: The current error (`{code, message}`), if the element is in its error state. (property only) (readonly)
   * - `resolvedSrc`: The resolved data URL: `src`, else the page's `<meta name="live-market-widgets:src">`. (property only) (readonly)
   * - `resolvedLocale`: The locale in use: `locale`, else `<html lang>`, else the browser default (undefined). (property only) (readonly)
   *
   * ## Events
   *
   * Events that will be emitted by the component.
   *
   * - `lmw-state-change`: The connection state changed; detail `{state, previous}`.
   * - `lmw-error`: No usable data source; detail `{code, message}`.
   *
   * ## CSS Custom Properties
   *
   * CSS variables available for styling the component.
   *
   * - `--lmw-up`: Dot colour when live. (default: `light-dark(#0a6e44, #3ccf86)`)
   * - `--lmw-warn`: Dot colour while connecting, reconnecting or polling. (default: `light-dark(#8a5a00, #f2b84b)`)
   * - `--lmw-down`: Dot colour when closed; error text. (default: `light-dark(#b8232f, #ff6b72)`)
   * - `--lmw-muted`: Dot colour when paused or idle; details labels. (default: `light-dark(#556274, #93a1b3)`)
   * - `--lmw-text`: Text colour. (default: `light-dark(#18202c, #e4eaf2)`)
   * - `--lmw-bg`: Background colour. (default: `light-dark(#ffffff, #121924)`)
   * - `--lmw-surface`: Button background. (default: `light-dark(#f4f6f9, #1a2330)`)
   * - `--lmw-border`: Border colour. (default: `light-dark(#d9dfe7, #283445)`)
   * - `--lmw-accent`: Focus ring colour. (default: `light-dark(#2557d6, #6ea2ff)`)
   * - `--lmw-font`: Font family. (default: `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`)
   *
   * ## CSS Parts
   *
   * Custom selectors for styling elements within the component.
   *
   * - `base`: The wrapper that holds the badge's reserved width and layout, whatever the host's `display` (no box of its own).
   * - `bar`: The badge row (the visible pill: border, background, radius), at the inline end of the badge's reserved width.
   * - `dot`: The coloured status dot.
   * - `label`: The status text.
   * - `controls`: The button group.
   * - `toggle`: The Details button (`aria-expanded`, `aria-controls`).
   * - `details`: The details panel (class `flipped` when it opens on the other side to fit the viewport).
   * - `status`: The visually hidden live region.
   * - `error`: The error text.
   */
  "connection-badge": Partial<
    ConnectionBadgeProps & BaseProps<ConnectionBadge> & BaseEvents
  >;

  /**
   * A live candlestick, line or area chart of one symbol, with a header showing the
   * last price and its change over the bars shown.
   *
   * A chart far out of view (more than a viewport away, or in a `display: none` container)
   * keeps its bars, header and events live but does not draw its canvas; it draws the
   * latest bars once when it comes near the viewport again. Canvas drawing is most of a
   * chart's cost, so a page with many charts pays only for those in view.
   *
   * Prices (header, change, axis) show the symbol's precision: the `precision` attribute,
   * else what the server's snapshot says, else about 5 significant digits of the last price.
   *
   * ## Attributes & Properties
   *
   * Component attributes and properties that can be applied to the element or by using JavaScript.
   *
   * - `symbol`: Instrument symbol, e.g. `BTC-USD` (letters, digits and `._/-`).
   * - `interval`: Bar interval: `1s`, `5s`, `1m`, `5m`, `15m` or `1h`. Anything else is an error.
   * - `chart-type`/`chartType`: Series type: `candles`, `line` or `area`.
   * - `max-bars`/`maxBars`: Most bars kept and drawn (oldest dropped first). A positive integer.
   * - `precision`: Decimals of the prices shown (header, change, axis), 0 to 10, overriding the
   * server's precision for the symbol. Anything else is an error.
   * - `src`: WebSocket URL of the market server (`ws://host/stream`). When absent, the
   * `content` of `<meta name="live-market-widgets:src">` is used. Elements with the
   * same URL share one connection.
   * - `theme`: Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`).
   * - `locale`: BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's.
   * - `bars`: The bars the chart shows, oldest first (a copy). (property only) (readonly)
   * - `lastPrice`: Close of the newest bar, or null before the first snapshot. (property only) (readonly)
   * - `state`: Current state, reflected to the `state` attribute: `loading`, `live`, `stale`
   * or `error` (the connection badge reports the connection state instead). (property only) (readonly)
   * - `error`: The current error (`{code, message}`), if the element is in its error state. (property only) (readonly)
   * - `resolvedSrc`: The resolved data URL: `src`, else the page's `<meta name="live-market-widgets:src">`. (property only) (readonly)
   * - `resolvedLocale`: The locale in use: `locale`, else `<html lang>`, else the browser default (undefined). (property only) (readonly)
   *
   * ## Events
   *
   * Events that will be emitted by the component.
   *
   * - `lmw-bar`: A live bar arrived (at most once per animation frame); detail `{bar}`, the latest bar.
   * - `lmw-state-change`: `state` changed; detail `{state, previous}`.
   * - `lmw-error`: Entered the error state (bad attribute, unknown symbol, server error); detail `{code, message}`.
   *
   * ## CSS Custom Properties
   *
   * CSS variables available for styling the component.
   *
   * - `--lmw-up`: Colour of rising prices and up candles. (default: `light-dark(#0a6e44, #3ccf86)`)
   * - `--lmw-down`: Colour of falling prices and down candles. (default: `light-dark(#b8232f, #ff6b72)`)
   * - `--lmw-text`: Text colour. (default: `light-dark(#18202c, #e4eaf2)`)
   * - `--lmw-muted`: Secondary text colour. (default: `light-dark(#556274, #93a1b3)`)
   * - `--lmw-bg`: Background colour. (default: `light-dark(#ffffff, #121924)`)
   * - `--lmw-surface`: Background of buttons and skeletons. (default: `light-dark(#f4f6f9, #1a2330)`)
   * - `--lmw-border`: Border colour. (default: `light-dark(#d9dfe7, #283445)`)
   * - `--lmw-grid`: Chart grid line colour. (default: `light-dark(#edf0f4, #1d2734)`)
   * - `--lmw-accent`: Accent colour (focus rings, line and area series). (default: `light-dark(#2557d6, #6ea2ff)`)
   * - `--lmw-warn`: Colour of the stale-data marker. (default: `light-dark(#8a5a00, #f2b84b)`)
   * - `--lmw-font`: Font family. (default: `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`)
   * - `--lmw-radius`: Corner radius. (default: `10px`)
   *
   * ## CSS Parts
   *
   * Custom selectors for styling elements within the component.
   *
   * - `base`: The wrapper that holds the chart's box and layout (header, chart, attribution), whatever the host's `display`; the container its sizes are queried against.
   * - `header`: The header row (symbol, price, change).
   * - `symbol`: The symbol text.
   * - `price`: The last price.
   * - `change`: The change (absolute and percent).
   * - `chart`: The chart area.
   * - `notice`: The stale-data marker (`Reconnecting…`, `Paused`, …), over the chart's top-left corner.
   * - `attribution`: The row under the chart with the "Chart by TradingView" link.
   * - `error`: The error message box.
   */
  "live-price-chart": Partial<
    LivePriceChartProps & BaseProps<LivePriceChart> & BaseEvents
  >;

  /**
   * Profit and loss of one account: totals and a sortable positions table that
   * flashes the cells that change. Each row re-renders from live data at most every
   * 250 ms, the rows due together at most every 100 ms (see docs/elements.md, "Render cadence").
   * Out of view the browser skips rendering the table (`content-visibility: auto`); its rows
   * stay current in the DOM and the accessibility tree. Price cells show the symbol's precision
   * (the `precision` attribute, else the server's per row, else derived from the last price).
   *
   * ## Attributes & Properties
   *
   * Component attributes and properties that can be applied to the element or by using JavaScript.
   *
   * - `account`: Account to show (letters, digits and `._-`). The reference server simulates `demo`; any
   * other account a backend publishes (docs/publishing.md). Until its first publish the
   * element stays loading ("Waiting for account …") and asks again, every 1 s up to every 10 s.
   * - `currency`: ISO 4217 code used to format money, overriding the account's own currency.
   * - `sort-by`/`sortBy`: Column the table is sorted by: `symbol`, `qty`, `avg-price`, `last-price`, `market-value`,
   * `unrealized-pnl` or `realized-pnl` (the camelCase names, e.g. `unrealizedPnl`, also work).
   * Any other value sorts by symbol and warns once on the console.
   * - `sort-direction`/`sortDirection`: Sort direction: `asc` or `desc`.
   * - `precision`: Decimals of the price cells (avg price, last), 0 to 10, for every row, overriding
   * each symbol's precision from the server. Money keeps its currency's decimals.
   * Anything else is an error.
   * - `src`: WebSocket URL of the market server (`ws://host/stream`). When absent, the
   * `content` of `<meta name="live-market-widgets:src">` is used. Elements with the
   * same URL share one connection.
   * - `theme`: Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`).
   * - `locale`: BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's.
   * - `summary`: The account totals (`marketValue`, `unrealizedPnl`, `realizedPnl`, `totalPnl`), rounded like the display
   * (the currency's digits, as in `lmw-pnl`), or null before data. (property only) (readonly)
   * - `positions`: The latest position rows (copies), in the table's sort order; the table on screen follows within 250 ms. (property only) (readonly)
   * - `state`: Current state, reflected to the `state` attribute: `loading`, `live`, `stale`
   * or `error` (the connection badge reports the connection state instead). (property only) (readonly)
   * - `error`: The current error (`{code, message}`), if the element is in its error state. (property only) (readonly)
   * - `resolvedSrc`: The resolved data URL: `src`, else the page's `<meta name="live-market-widgets:src">`. (property only) (readonly)
   * - `resolvedLocale`: The locale in use: `locale`, else `<html lang>`, else the browser default (undefined). (property only) (readonly)
   *
   * ## Events
   *
   * Events that will be emitted by the component.
   *
   * - `lmw-pnl`: The totals changed (from server data, never from a property set); detail `{totals}`.
   * - `lmw-state-change`: `state` changed; detail `{state, previous}`.
   * - `lmw-error`: Entered the error state (bad account, server error; an account not published yet waits instead); detail `{code, message}`.
   *
   * ## CSS Custom Properties
   *
   * CSS variables available for styling the component.
   *
   * - `--lmw-up`: Colour of gains. (default: `light-dark(#0a6e44, #3ccf86)`)
   * - `--lmw-down`: Colour of losses. (default: `light-dark(#b8232f, #ff6b72)`)
   * - `--lmw-text`: Text colour. (default: `light-dark(#18202c, #e4eaf2)`)
   * - `--lmw-muted`: Secondary text colour. (default: `light-dark(#556274, #93a1b3)`)
   * - `--lmw-bg`: Background colour. (default: `light-dark(#ffffff, #121924)`)
   * - `--lmw-surface`: Background of the totals tiles. (default: `light-dark(#f4f6f9, #1a2330)`)
   * - `--lmw-border`: Border colour. (default: `light-dark(#d9dfe7, #283445)`)
   * - `--lmw-grid`: Row separator colour. (default: `light-dark(#edf0f4, #1d2734)`)
   * - `--lmw-accent`: Focus ring colour. (default: `light-dark(#2557d6, #6ea2ff)`)
   * - `--lmw-warn`: Colour of the stale-data marker. (default: `light-dark(#8a5a00, #f2b84b)`)
   * - `--lmw-font`: Font family. (default: `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`)
   * - `--lmw-radius`: Corner radius. (default: `10px`)
   * - `--lmw-table-max-height`: Height after which the table scrolls. (default: `none`)
   *
   * ## CSS Parts
   *
   * Custom selectors for styling elements within the component.
   *
   * - `base`: The wrapper that holds the element's box and layout, whatever the host's `display`; the container its sizes are queried against.
   * - `header`: The title row.
   * - `totals`: The totals list.
   * - `table`: The positions table.
   * - `notice`: The stale-data marker.
   * - `error`: The error message box.
   */
  "pnl-summary": Partial<PnlSummaryProps & BaseProps<PnlSummary> & BaseEvents>;

  /**
   * Live numbers about the page's market stream: latency (last, p50, p99),
   * messages/s with a 60-second sparkline, bytes/s, reconnects, recovered gaps,
   * resyncs, mode, time since the last message and uptime, and who holds the socket: the
   * Sharing row reads "This tab only" (a socket of its own), "Leader tab" (this tab holds
   * the one socket for the other tabs of the site), "Follower tab" (another tab holds it) or
   * "Shared worker"; Hand-offs counts how often the socket moved to another tab under this
   * page (docs/cross-tab.md).
   *
   * While the stream polls over HTTP, the figures are the polls': Bytes/s counts the poll
   * responses, and the latency row reads "Poll round trip" with p50/p99 over poll round
   * trips (a dash until the first poll answers; socket pings are not mixed in).
   *
   * Its one-second clock runs only while the element is in the document, the page
   * is visible and the stream is not idle or closed.
   *
   * ## Attributes & Properties
   *
   * Component attributes and properties that can be applied to the element or by using JavaScript.
   *
   * - `src`: WebSocket URL of the market server (`ws://host/stream`). When absent, the
   * `content` of `<meta name="live-market-widgets:src">` is used. Elements with the
   * same URL share one connection.
   * - `theme`: Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`).
   * - `locale`: BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's.
   * - `metrics`: The stream's current metrics (a copy), or null when not bound to a stream. (property only) (readonly)
   * - `samples`: The sparkline samples (messages/s, one per second), oldest first. (property only) (readonly)
   * - `ticking`: Whether the one-second clock is running. (property only) (readonly)
   * - `state`: Current state, reflected to the `state` attribute: `loading`, `live`, `stale`
   * or `error` (the connection badge reports the connection state instead). (property only) (readonly)
   * - `error`: The current error (`{code, message}`), if the element is in its error state. (property only) (readonly)
   * - `resolvedSrc`: The resolved data URL: `src`, else the page's `<meta name="live-market-widgets:src">`. (property only) (readonly)
   * - `resolvedLocale`: The locale in use: `locale`, else `<html lang>`, else the browser default (undefined). (property only) (readonly)
   *
   * ## Events
   *
   * Events that will be emitted by the component.
   *
   * - `lmw-state-change`: `state` changed; detail `{state, previous}`.
   * - `lmw-error`: No usable data source; detail `{code, message}`.
   *
   * ## CSS Custom Properties
   *
   * CSS variables available for styling the component.
   *
   * - `--lmw-accent`: Sparkline colour and focus ring. (default: `light-dark(#2557d6, #6ea2ff)`)
   * - `--lmw-text`: Text colour. (default: `light-dark(#18202c, #e4eaf2)`)
   * - `--lmw-muted`: Label colour. (default: `light-dark(#556274, #93a1b3)`)
   * - `--lmw-bg`: Background colour. (default: `light-dark(#ffffff, #121924)`)
   * - `--lmw-surface`: Sparkline background. (default: `light-dark(#f4f6f9, #1a2330)`)
   * - `--lmw-border`: Border colour. (default: `light-dark(#d9dfe7, #283445)`)
   * - `--lmw-warn`: Colour of the stale-data marker. (default: `light-dark(#8a5a00, #f2b84b)`)
   * - `--lmw-font`: Font family. (default: `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`)
   * - `--lmw-radius`: Corner radius. (default: `10px`)
   * - `--lmw-sparkline-height`: Height of the sparkline. (default: `44px`)
   *
   * ## CSS Parts
   *
   * Custom selectors for styling elements within the component.
   *
   * - `base`: The wrapper that holds the panel's box and layout, whatever the host's `display`; the container its sizes are queried against.
   * - `header`: The title row.
   * - `sparkline`: The messages/s sparkline block.
   * - `stats`: The list of figures.
   * - `notice`: The stale-data marker.
   * - `error`: The error message box.
   */
  "ws-metrics-panel": Partial<
    WsMetricsPanelProps & BaseProps<WsMetricsPanel> & BaseEvents
  >;
};

export type CustomElementsSolidJs = {
  /**
   * The connection status of the page's market stream: a coloured dot with a text
   * label, a details disclosure, pause/resume and reconnect-now buttons, and a polite
   * live-region notice when the connection drops and when it is back.
   *
   * The badge's box is as wide as its widest state (a hidden sizer reserves the longest
   * label and every button), so "Reconnect now" appearing never moves the page around it;
   * the visible pill (`bar`) sits at the inline end of that box. The details panel closes on
   * Escape and on a pointer press outside the badge, and is kept inside the viewport
   * (flipped above or below, shifted sideways).
   *
   * ## Attributes & Properties
   *
   * Component attributes and properties that can be applied to the element or by using JavaScript.
   *
   * - `variant`: Layout: `full` (default), `compact` (smaller), or `floating` (fixed to the bottom-right corner).
   * - `no-controls`/`noControls`: Hide the pause/resume and reconnect-now buttons.
   * - `src`: WebSocket URL of the market server (`ws://host/stream`). When absent, the
   * `content` of `<meta name="live-market-widgets:src">` is used. Elements with the
   * same URL share one connection.
   * - `theme`: Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`).
   * - `locale`: BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's.
   * - `metrics`: The bound stream's metrics (attempts, latency, last message time…), a copy. (property only) (readonly)
   * - `state`: Current state, reflected to the `state` attribute: `loading`, `live`, `stale`
   * or `error` (the connection badge reports the connection state instead). (property only) (readonly)
   * - `error`: The current error (`{code, message}`), if the element is in its error state. (property only) (readonly)
   * - `resolvedSrc`: The resolved data URL: `src`, else the page's `<meta name="live-market-widgets:src">`. (property only) (readonly)
   * - `resolvedLocale`: The locale in use: `locale`, else `<html lang>`, else the browser default (undefined). (property only) (readonly)
   *
   * ## Events
   *
   * Events that will be emitted by the component.
   *
   * - `lmw-state-change`: The connection state changed; detail `{state, previous}`.
   * - `lmw-error`: No usable data source; detail `{code, message}`.
   *
   * ## CSS Custom Properties
   *
   * CSS variables available for styling the component.
   *
   * - `--lmw-up`: Dot colour when live. (default: `light-dark(#0a6e44, #3ccf86)`)
   * - `--lmw-warn`: Dot colour while connecting, reconnecting or polling. (default: `light-dark(#8a5a00, #f2b84b)`)
   * - `--lmw-down`: Dot colour when closed; error text. (default: `light-dark(#b8232f, #ff6b72)`)
   * - `--lmw-muted`: Dot colour when paused or idle; details labels. (default: `light-dark(#556274, #93a1b3)`)
   * - `--lmw-text`: Text colour. (default: `light-dark(#18202c, #e4eaf2)`)
   * - `--lmw-bg`: Background colour. (default: `light-dark(#ffffff, #121924)`)
   * - `--lmw-surface`: Button background. (default: `light-dark(#f4f6f9, #1a2330)`)
   * - `--lmw-border`: Border colour. (default: `light-dark(#d9dfe7, #283445)`)
   * - `--lmw-accent`: Focus ring colour. (default: `light-dark(#2557d6, #6ea2ff)`)
   * - `--lmw-font`: Font family. (default: `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`)
   *
   * ## CSS Parts
   *
   * Custom selectors for styling elements within the component.
   *
   * - `base`: The wrapper that holds the badge's reserved width and layout, whatever the host's `display` (no box of its own).
   * - `bar`: The badge row (the visible pill: border, background, radius), at the inline end of the badge's reserved width.
   * - `dot`: The coloured status dot.
   * - `label`: The status text.
   * - `controls`: The button group.
   * - `toggle`: The Details button (`aria-expanded`, `aria-controls`).
   * - `details`: The details panel (class `flipped` when it opens on the other side to fit the viewport).
   * - `status`: The visually hidden live region.
   * - `error`: The error text.
   */
  "connection-badge": Partial<
    ConnectionBadgeProps &
      ConnectionBadgeSolidJsProps &
      BaseProps<ConnectionBadge> &
      BaseEvents
  >;

  /**
   * A live candlestick, line or area chart of one symbol, with a header showing the
   * last price and its change over the bars shown.
   *
   * A chart far out of view (more than a viewport away, or in a `display: none` container)
   * keeps its bars, header and events live but does not draw its canvas; it draws the
   * latest bars once when it comes near the viewport again. Canvas drawing is most of a
   * chart's cost, so a page with many charts pays only for those in view.
   *
   * Prices (header, change, axis) show the symbol's precision: the `precision` attribute,
   * else what the server's snapshot says, else about 5 significant digits of the last price.
   *
   * ## Attributes & Properties
   *
   * Component attributes and properties that can be applied to the element or by using JavaScript.
   *
   * - `symbol`: Instrument symbol, e.g. `BTC-USD` (letters, digits and `._/-`).
   * - `interval`: Bar interval: `1s`, `5s`, `1m`, `5m`, `15m` or `1h`. Anything else is an error.
   * - `chart-type`/`chartType`: Series type: `candles`, `line` or `area`.
   * - `max-bars`/`maxBars`: Most bars kept and drawn (oldest dropped first). A positive integer.
   * - `precision`: Decimals of the prices shown (header, change, axis), 0 to 10, overriding the
   * server's precision for the symbol. Anything else is an error.
   * - `src`: WebSocket URL of the market server (`ws://host/stream`). When absent, the
   * `content` of `<meta name="live-market-widgets:src">` is used. Elements with the
   * same URL share one connection.
   * - `theme`: Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`).
   * - `locale`: BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's.
   * - `bars`: The bars the chart shows, oldest first (a copy). (property only) (readonly)
   * - `lastPrice`: Close of the newest bar, or null before the first snapshot. (property only) (readonly)
   * - `state`: Current state, reflected to the `state` attribute: `loading`, `live`, `stale`
   * or `error` (the connection badge reports the connection state instead). (property only) (readonly)
   * - `error`: The current error (`{code, message}`), if the element is in its error state. (property only) (readonly)
   * - `resolvedSrc`: The resolved data URL: `src`, else the page's `<meta name="live-market-widgets:src">`. (property only) (readonly)
   * - `resolvedLocale`: The locale in use: `locale`, else `<html lang>`, else the browser default (undefined). (property only) (readonly)
   *
   * ## Events
   *
   * Events that will be emitted by the component.
   *
   * - `lmw-bar`: A live bar arrived (at most once per animation frame); detail `{bar}`, the latest bar.
   * - `lmw-state-change`: `state` changed; detail `{state, previous}`.
   * - `lmw-error`: Entered the error state (bad attribute, unknown symbol, server error); detail `{code, message}`.
   *
   * ## CSS Custom Properties
   *
   * CSS variables available for styling the component.
   *
   * - `--lmw-up`: Colour of rising prices and up candles. (default: `light-dark(#0a6e44, #3ccf86)`)
   * - `--lmw-down`: Colour of falling prices and down candles. (default: `light-dark(#b8232f, #ff6b72)`)
   * - `--lmw-text`: Text colour. (default: `light-dark(#18202c, #e4eaf2)`)
   * - `--lmw-muted`: Secondary text colour. (default: `light-dark(#556274, #93a1b3)`)
   * - `--lmw-bg`: Background colour. (default: `light-dark(#ffffff, #121924)`)
   * - `--lmw-surface`: Background of buttons and skeletons. (default: `light-dark(#f4f6f9, #1a2330)`)
   * - `--lmw-border`: Border colour. (default: `light-dark(#d9dfe7, #283445)`)
   * - `--lmw-grid`: Chart grid line colour. (default: `light-dark(#edf0f4, #1d2734)`)
   * - `--lmw-accent`: Accent colour (focus rings, line and area series). (default: `light-dark(#2557d6, #6ea2ff)`)
   * - `--lmw-warn`: Colour of the stale-data marker. (default: `light-dark(#8a5a00, #f2b84b)`)
   * - `--lmw-font`: Font family. (default: `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`)
   * - `--lmw-radius`: Corner radius. (default: `10px`)
   *
   * ## CSS Parts
   *
   * Custom selectors for styling elements within the component.
   *
   * - `base`: The wrapper that holds the chart's box and layout (header, chart, attribution), whatever the host's `display`; the container its sizes are queried against.
   * - `header`: The header row (symbol, price, change).
   * - `symbol`: The symbol text.
   * - `price`: The last price.
   * - `change`: The change (absolute and percent).
   * - `chart`: The chart area.
   * - `notice`: The stale-data marker (`Reconnecting…`, `Paused`, …), over the chart's top-left corner.
   * - `attribution`: The row under the chart with the "Chart by TradingView" link.
   * - `error`: The error message box.
   */
  "live-price-chart": Partial<
    LivePriceChartProps &
      LivePriceChartSolidJsProps &
      BaseProps<LivePriceChart> &
      BaseEvents
  >;

  /**
   * Profit and loss of one account: totals and a sortable positions table that
   * flashes the cells that change. Each row re-renders from live data at most every
   * 250 ms, the rows due together at most every 100 ms (see docs/elements.md, "Render cadence").
   * Out of view the browser skips rendering the table (`content-visibility: auto`); its rows
   * stay current in the DOM and the accessibility tree. Price cells show the symbol's precision
   * (the `precision` attribute, else the server's per row, else derived from the last price).
   *
   * ## Attributes & Properties
   *
   * Component attributes and properties that can be applied to the element or by using JavaScript.
   *
   * - `account`: Account to show (letters, digits and `._-`). The reference server simulates `demo`; any
   * other account a backend publishes (docs/publishing.md). Until its first publish the
   * element stays loading ("Waiting for account …") and asks again, every 1 s up to every 10 s.
   * - `currency`: ISO 4217 code used to format money, overriding the account's own currency.
   * - `sort-by`/`sortBy`: Column the table is sorted by: `symbol`, `qty`, `avg-price`, `last-price`, `market-value`,
   * `unrealized-pnl` or `realized-pnl` (the camelCase names, e.g. `unrealizedPnl`, also work).
   * Any other value sorts by symbol and warns once on the console.
   * - `sort-direction`/`sortDirection`: Sort direction: `asc` or `desc`.
   * - `precision`: Decimals of the price cells (avg price, last), 0 to 10, for every row, overriding
   * each symbol's precision from the server. Money keeps its currency's decimals.
   * Anything else is an error.
   * - `src`: WebSocket URL of the market server (`ws://host/stream`). When absent, the
   * `content` of `<meta name="live-market-widgets:src">` is used. Elements with the
   * same URL share one connection.
   * - `theme`: Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`).
   * - `locale`: BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's.
   * - `summary`: The account totals (`marketValue`, `unrealizedPnl`, `realizedPnl`, `totalPnl`), rounded like the display
   * (the currency's digits, as in `lmw-pnl`), or null before data. (property only) (readonly)
   * - `positions`: The latest position rows (copies), in the table's sort order; the table on screen follows within 250 ms. (property only) (readonly)
   * - `state`: Current state, reflected to the `state` attribute: `loading`, `live`, `stale`
   * or `error` (the connection badge reports the connection state instead). (property only) (readonly)
   * - `error`: The current error (`{code, message}`), if the element is in its error state. (property only) (readonly)
   * - `resolvedSrc`: The resolved data URL: `src`, else the page's `<meta name="live-market-widgets:src">`. (property only) (readonly)
   * - `resolvedLocale`: The locale in use: `locale`, else `<html lang>`, else the browser default (undefined). (property only) (readonly)
   *
   * ## Events
   *
   * Events that will be emitted by the component.
   *
   * - `lmw-pnl`: The totals changed (from server data, never from a property set); detail `{totals}`.
   * - `lmw-state-change`: `state` changed; detail `{state, previous}`.
   * - `lmw-error`: Entered the error state (bad account, server error; an account not published yet waits instead); detail `{code, message}`.
   *
   * ## CSS Custom Properties
   *
   * CSS variables available for styling the component.
   *
   * - `--lmw-up`: Colour of gains. (default: `light-dark(#0a6e44, #3ccf86)`)
   * - `--lmw-down`: Colour of losses. (default: `light-dark(#b8232f, #ff6b72)`)
   * - `--lmw-text`: Text colour. (default: `light-dark(#18202c, #e4eaf2)`)
   * - `--lmw-muted`: Secondary text colour. (default: `light-dark(#556274, #93a1b3)`)
   * - `--lmw-bg`: Background colour. (default: `light-dark(#ffffff, #121924)`)
   * - `--lmw-surface`: Background of the totals tiles. (default: `light-dark(#f4f6f9, #1a2330)`)
   * - `--lmw-border`: Border colour. (default: `light-dark(#d9dfe7, #283445)`)
   * - `--lmw-grid`: Row separator colour. (default: `light-dark(#edf0f4, #1d2734)`)
   * - `--lmw-accent`: Focus ring colour. (default: `light-dark(#2557d6, #6ea2ff)`)
   * - `--lmw-warn`: Colour of the stale-data marker. (default: `light-dark(#8a5a00, #f2b84b)`)
   * - `--lmw-font`: Font family. (default: `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`)
   * - `--lmw-radius`: Corner radius. (default: `10px`)
   * - `--lmw-table-max-height`: Height after which the table scrolls. (default: `none`)
   *
   * ## CSS Parts
   *
   * Custom selectors for styling elements within the component.
   *
   * - `base`: The wrapper that holds the element's box and layout, whatever the host's `display`; the container its sizes are queried against.
   * - `header`: The title row.
   * - `totals`: The totals list.
   * - `table`: The positions table.
   * - `notice`: The stale-data marker.
   * - `error`: The error message box.
   */
  "pnl-summary": Partial<
    PnlSummaryProps &
      PnlSummarySolidJsProps &
      BaseProps<PnlSummary> &
      BaseEvents
  >;

  /**
   * Live numbers about the page's market stream: latency (last, p50, p99),
   * messages/s with a 60-second sparkline, bytes/s, reconnects, recovered gaps,
   * resyncs, mode, time since the last message and uptime, and who holds the socket: the
   * Sharing row reads "This tab only" (a socket of its own), "Leader tab" (this tab holds
   * the one socket for the other tabs of the site), "Follower tab" (another tab holds it) or
   * "Shared worker"; Hand-offs counts how often the socket moved to another tab under this
   * page (docs/cross-tab.md).
   *
   * While the stream polls over HTTP, the figures are the polls': Bytes/s counts the poll
   * responses, and the latency row reads "Poll round trip" with p50/p99 over poll round
   * trips (a dash until the first poll answers; socket pings are not mixed in).
   *
   * Its one-second clock runs only while the element is in the document, the page
   * is visible and the stream is not idle or closed.
   *
   * ## Attributes & Properties
   *
   * Component attributes and properties that can be applied to the element or by using JavaScript.
   *
   * - `src`: WebSocket URL of the market server (`ws://host/stream`). When absent, the
   * `content` of `<meta name="live-market-widgets:src">` is used. Elements with the
   * same URL share one connection.
   * - `theme`: Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`).
   * - `locale`: BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's.
   * - `metrics`: The stream's current metrics (a copy), or null when not bound to a stream. (property only) (readonly)
   * - `samples`: The sparkline samples (messages/s, one per second), oldest first. (property only) (readonly)
   * - `ticking`: Whether the one-second clock is running. (property only) (readonly)
   * - `state`: Current state, reflected to the `state` attribute: `loading`, `live`, `stale`
   * or `error` (the connection badge reports the connection state instead). (property only) (readonly)
   * - `error`: The current error (`{code, message}`), if the element is in its error state. (property only) (readonly)
   * - `resolvedSrc`: The resolved data URL: `src`, else the page's `<meta name="live-market-widgets:src">`. (property only) (readonly)
   * - `resolvedLocale`: The locale in use: `locale`, else `<html lang>`, else the browser default (undefined). (property only) (readonly)
   *
   * ## Events
   *
   * Events that will be emitted by the component.
   *
   * - `lmw-state-change`: `state` changed; detail `{state, previous}`.
   * - `lmw-error`: No usable data source; detail `{code, message}`.
   *
   * ## CSS Custom Properties
   *
   * CSS variables available for styling the component.
   *
   * - `--lmw-accent`: Sparkline colour and focus ring. (default: `light-dark(#2557d6, #6ea2ff)`)
   * - `--lmw-text`: Text colour. (default: `light-dark(#18202c, #e4eaf2)`)
   * - `--lmw-muted`: Label colour. (default: `light-dark(#556274, #93a1b3)`)
   * - `--lmw-bg`: Background colour. (default: `light-dark(#ffffff, #121924)`)
   * - `--lmw-surface`: Sparkline background. (default: `light-dark(#f4f6f9, #1a2330)`)
   * - `--lmw-border`: Border colour. (default: `light-dark(#d9dfe7, #283445)`)
   * - `--lmw-warn`: Colour of the stale-data marker. (default: `light-dark(#8a5a00, #f2b84b)`)
   * - `--lmw-font`: Font family. (default: `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`)
   * - `--lmw-radius`: Corner radius. (default: `10px`)
   * - `--lmw-sparkline-height`: Height of the sparkline. (default: `44px`)
   *
   * ## CSS Parts
   *
   * Custom selectors for styling elements within the component.
   *
   * - `base`: The wrapper that holds the panel's box and layout, whatever the host's `display`; the container its sizes are queried against.
   * - `header`: The title row.
   * - `sparkline`: The messages/s sparkline block.
   * - `stats`: The list of figures.
   * - `notice`: The stale-data marker.
   * - `error`: The error message box.
   */
  "ws-metrics-panel": Partial<
    WsMetricsPanelProps &
      WsMetricsPanelSolidJsProps &
      BaseProps<WsMetricsPanel> &
      BaseEvents
  >;
};

export type CustomCssProperties = {
  /** Dot colour when live. */
  "--lmw-up"?: string | undefined;
  /** Dot colour while connecting, reconnecting or polling. */
  "--lmw-warn"?: string | undefined;
  /** Dot colour when closed; error text. */
  "--lmw-down"?: string | undefined;
  /** Dot colour when paused or idle; details labels. */
  "--lmw-muted"?: string | undefined;
  /** Text colour. */
  "--lmw-text"?: string | undefined;
  /** Background colour. */
  "--lmw-bg"?: string | undefined;
  /** Button background. */
  "--lmw-surface"?: string | undefined;
  /** Border colour. */
  "--lmw-border"?: string | undefined;
  /** Focus ring colour. */
  "--lmw-accent"?: string | undefined;
  /** Font family. */
  "--lmw-font"?: string | undefined;
  /** Chart grid line colour. */
  "--lmw-grid"?: string | undefined;
  /** Corner radius. */
  "--lmw-radius"?: string | undefined;
  /** Height after which the table scrolls. */
  "--lmw-table-max-height"?: string | undefined;
  /** Height of the sparkline. */
  "--lmw-sparkline-height"?: string | undefined;
};

declare module "react" {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}

declare module "react/jsx-runtime" {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}

declare module "react/jsx-dev-runtime" {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}

declare module "preact" {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}

declare module "@builder.io/qwik" {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}

declare module "@stencil/core" {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}

declare module "hono/jsx" {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}

declare module "react-native" {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}

declare module "solid-js" {
  namespace JSX {
    interface IntrinsicElements extends CustomElementsSolidJs {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}

declare global {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
  export interface CSSProperties extends CustomCssProperties {}
}
