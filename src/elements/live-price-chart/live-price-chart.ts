import { html, type PropertyValues } from 'lit';
import { property } from 'lit/decorators/property.js';
import type { IChartApi, ISeriesApi, SeriesType, UTCTimestamp } from 'lightweight-charts';
import {
  DEFAULT_MAX_BARS,
  INTERVALS,
  INTERVAL_SECONDS,
  SYMBOL_PATTERN,
  candlesTopic,
  findBar,
  isInterval,
  statedPrecision,
  upsertBar,
  type Bar,
  type CandleSnapshotData,
  type Interval,
  type UpdateMessage,
} from '../../protocol/index.js';
import type { TopicEvent } from '../../stream/index.js';
import { MarketElement, errorText, type TopicChoice } from '../base/market-element.js';
import { defineElement } from '../base/define.js';
import { choosePrecision, getPriceFormat, precisionConverter, precisionProblem, type PriceFormat } from '../base/price-format.js';
import { themeStyles } from '../base/theme.styles.js';
import { chartStyles } from './live-price-chart.styles.js';
import { observeVisibility, unobserveVisibility } from './visibility.js';
import { keepTimeLabelsWhole } from './time-axis-labels.js';

export type ChartType = 'candles' | 'line' | 'area';

/**
 * lightweight-charts' licence asks for a link to TradingView on the page; the element shows
 * it as text under the chart (`part="attribution"`), with the library's logo switched off.
 */
export const ATTRIBUTION_URL = 'https://www.tradingview.com/';
export const CHART_TYPES: readonly ChartType[] = ['candles', 'line', 'area'];

// The types of this element's public API, importable with it (`live-market-widgets/elements/live-price-chart.js`).
export type { BarEventDetail, ElementError, StateChangeDetail } from '../../events/index.js';
export type { Bar } from '../../protocol/index.js';

type ChartLibrary = typeof import('./lightweight-charts.js');
let chartLibrary: Promise<ChartLibrary> | undefined;

/**
 * Loads lightweight-charts once, on demand: pages without a chart never fetch it
 * (in the bundle it is a separate chunk holding only the parts the chart uses).
 */
export function loadChartLibrary(): Promise<ChartLibrary> {
  chartLibrary ??= import('./lightweight-charts.js').catch((error: unknown) => {
    chartLibrary = undefined; // let a later chart try again
    throw error;
  });
  return chartLibrary;
}

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
 * @tagname live-price-chart
 * @summary Live price chart (lightweight-charts, loaded lazily).
 *
 * @fires {CustomEvent<BarEventDetail>} lmw-bar - A live bar arrived (at most once per animation frame); detail `{bar}`, the latest bar.
 * @fires {CustomEvent<StateChangeDetail>} lmw-state-change - `state` changed; detail `{state, previous}`.
 * @fires {CustomEvent<ElementError>} lmw-error - Entered the error state (bad attribute, unknown symbol, server error); detail `{code, message}`.
 *
 * @csspart base - The wrapper that holds the chart's box and layout (header, chart, attribution), whatever the host's `display`; the container its sizes are queried against.
 * @csspart header - The header row (symbol, price, change).
 * @csspart symbol - The symbol text.
 * @csspart price - The last price.
 * @csspart change - The change (absolute and percent).
 * @csspart chart - The chart area.
 * @csspart notice - The stale-data marker (`Reconnecting…`, `Paused`, …), over the chart's top-left corner.
 * @csspart attribution - The row under the chart with the "Chart by TradingView" link.
 * @csspart error - The error message box.
 *
 * @cssprop --lmw-up - Colour of rising prices and up candles.
 * @cssprop --lmw-down - Colour of falling prices and down candles.
 * @cssprop --lmw-text - Text colour.
 * @cssprop --lmw-muted - Secondary text colour.
 * @cssprop --lmw-bg - Background colour.
 * @cssprop --lmw-surface - Background of buttons and skeletons.
 * @cssprop --lmw-border - Border colour.
 * @cssprop --lmw-grid - Chart grid line colour.
 * @cssprop --lmw-accent - Accent colour (focus rings, line and area series).
 * @cssprop --lmw-warn - Colour of the stale-data marker.
 * @cssprop --lmw-font - Font family.
 * @cssprop --lmw-radius - Corner radius.
 */
export class LivePriceChart extends MarketElement {
  static override styles = [themeStyles, chartStyles];

  /** Instrument symbol, e.g. `BTC-USD` (letters, digits and `._/-`). */
  @property() symbol = '';

  /** Bar interval: `1s`, `5s`, `1m`, `5m`, `15m` or `1h`. Anything else is an error. */
  @property() interval: Interval = '1m';

  /** Series type: `candles`, `line` or `area`. */
  @property({ attribute: 'chart-type' }) chartType: ChartType = 'candles';

  /** Most bars kept and drawn (oldest dropped first). A positive integer. */
  @property({ attribute: 'max-bars', type: Number }) maxBars = DEFAULT_MAX_BARS;

  /**
   * Decimals of the prices shown (header, change, axis), 0 to 10, overriding the
   * server's precision for the symbol. Anything else is an error.
   */
  @property({ converter: precisionConverter }) precision?: number;

  private _bars: Bar[] = [];
  private _hasSnapshot = false;
  private _chart?: IChartApi;
  private _series?: ISeriesApi<SeriesType>;
  private _seriesType?: ChartType;
  private _library?: ChartLibrary;
  /** The snapshot's precision and tick size (undefined from an older server). */
  private _stated?: { precision?: number; tickSize?: number };
  /** The format the axis and the series' scale have now. */
  private _axisFormat?: PriceFormat;
  private _schemeQuery?: MediaQueryList;
  private readonly _onSchemeChange = () => this.applyTheme();
  /** Near the viewport (see `observeVisibility`); true until the observer says otherwise. */
  private _onScreen = true;
  /** Bars changed while off screen: draw them all when back. */
  private _drawDeferred = false;
  private readonly _onVisibility = (onScreen: boolean) => {
    this._onScreen = onScreen;
    if (onScreen && this._drawDeferred) this.draw(true, [], []);
  };

  /** The bars the chart shows, oldest first (a copy). */
  get bars(): Bar[] {
    return this._bars.map((bar) => ({ ...bar }));
  }

  /** Close of the newest bar, or null before the first snapshot. */
  get lastPrice(): number | null {
    return this._bars.at(-1)?.close ?? null;
  }

  protected override get hasData(): boolean {
    return this._hasSnapshot;
  }

  protected override topicChoice(): TopicChoice {
    const symbol = this.symbol.trim();
    const bad = (message: string): TopicChoice => ({ error: { code: 'bad_attribute', message } });
    if (!symbol) return bad('Set the symbol attribute, e.g. symbol="BTC-USD".');
    if (!SYMBOL_PATTERN.test(symbol)) return bad(`Invalid symbol "${symbol}".`);
    if (!isInterval(this.interval)) return bad(`Unknown interval "${this.interval}" (use ${INTERVALS.join(', ')}).`);
    if (!(CHART_TYPES as readonly string[]).includes(this.chartType))
      return bad(`Unknown chart-type "${this.chartType}" (use ${CHART_TYPES.join(', ')}).`);
    if (!Number.isInteger(this.maxBars) || this.maxBars < 1) return bad('max-bars must be a positive integer.');
    const precisionError = precisionProblem(this.precision);
    if (precisionError) return bad(precisionError);
    return { topic: candlesTopic(symbol, this.interval) };
  }

  protected override clearData(): void {
    this._bars = [];
    this._hasSnapshot = false;
    this._stated = undefined;
    this._series?.setData([]);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this._schemeQuery = window.matchMedia?.('(prefers-color-scheme: dark)');
    this._schemeQuery?.addEventListener('change', this._onSchemeChange);
    observeVisibility(this, this._onVisibility);
    // Start fetching the chart code now, in parallel with the first snapshot.
    loadChartLibrary().catch(() => {});
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._schemeQuery?.removeEventListener('change', this._onSchemeChange);
    unobserveVisibility(this);
    this._onScreen = true;
    this.destroyChart();
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (this._chart) {
      if (changed.has('theme') || changed.has('locale')) this.applyTheme();
      if (changed.has('chartType') || changed.has('interval')) this.syncSeries();
      if (this.priceFormat() !== this._axisFormat) this.applyPriceFormat();
    }
    if (changed.has('maxBars') && this._hasSnapshot && Number.isInteger(this.maxBars) && this.maxBars >= 1) {
      // Trim, or refill from the stream's state when the window grew.
      const choice = this.topicChoice();
      const state = choice && 'topic' in choice ? this.stream?.getTopicState<CandleSnapshotData>(choice.topic) : undefined;
      this._bars = state ? state.data.bars.slice(-this.maxBars).map((bar) => ({ ...bar })) : this._bars.slice(-this.maxBars);
      this._series?.setData(this._bars.map((bar) => this.toPoint(bar)));
      this.requestUpdate();
    }
    if (this._hasSnapshot && !this._chart && this.state !== 'error') void this.createChart();
  }

  // ---- data ----------------------------------------------------------------

  protected override onTopicEvent(event: TopicEvent): void {
    const data = event.state.data as CandleSnapshotData;
    this._stated = { precision: statedPrecision(data), tickSize: data.tickSize };
    if (event.kind !== 'update' || !this._hasSnapshot) {
      this.replaceBars(data.bars);
      return;
    }
    const updates = (event.updates ?? (event.update ? [event.update] : [])) as UpdateMessage<Bar>[];
    const live = new Map<number, Bar>(); // bars at or after the newest shown, ascending by time
    const historical: Bar[] = [];
    let redraw = false;
    for (const update of updates) {
      const bar = update.data;
      const newest = this._bars.at(-1);
      if (!newest || bar.time >= newest.time) {
        live.delete(bar.time);
        live.set(bar.time, bar);
      } else if (findBar(this._bars, bar.time) >= 0) {
        historical.push(bar);
      } else {
        redraw = true; // an older bar the chart never had: only setData can insert it
      }
      upsertBar(this._bars, bar, this.maxBars);
    }
    // The stream's state is the truth; if ours drifted (trimmed window, missed call), take it.
    if (!sameBars(this._bars, data.bars, this.maxBars)) {
      this._bars = data.bars.slice(-this.maxBars);
      redraw = true;
    }
    const latest = updates.at(-1)?.data;
    this.draw(redraw, historical, [...live.values()]);
    if (latest) this.emit('lmw-bar', { bar: { ...latest } });
  }

  private replaceBars(bars: readonly Bar[]): void {
    this._bars = bars.slice(-this.maxBars).map((bar) => ({ ...bar }));
    this._hasSnapshot = true;
    this.draw(true, [], []);
  }

  private draw(redraw: boolean, historical: Bar[], live: Bar[]): void {
    const series = this._series;
    if (!series) return; // createChart draws everything once it exists
    if (!this._onScreen) {
      this._drawDeferred = true;
      return;
    }
    this._drawDeferred = false;
    if (!redraw) {
      try {
        for (const bar of historical) series.update(this.toPoint(bar), true);
        for (const bar of live) series.update(this.toPoint(bar));
        return;
      } catch {
        // the chart refused a point (e.g. out of order): redraw from our bars
      }
    }
    series.setData(this._bars.map((bar) => this.toPoint(bar)));
  }

  private toPoint(bar: Bar) {
    const time = bar.time as UTCTimestamp;
    return this._seriesType === 'candles'
      ? { time, open: bar.open, high: bar.high, low: bar.low, close: bar.close }
      : { time, value: bar.close };
  }

  // ---- chart ---------------------------------------------------------------

  private _creating = false;

  private async createChart(): Promise<void> {
    if (this._creating || this._chart) return;
    this._creating = true;
    try {
      this._library = await loadChartLibrary();
    } catch (error) {
      this.setError({ code: 'chart_load_failed', message: `Could not load the chart: ${errorText(error)}` });
      return;
    } finally {
      this._creating = false;
    }
    const container = this.renderRoot.querySelector<HTMLElement>('.chart');
    if (!this.isConnected || this._chart || !container) return;
    this._chart = this._library.createChart(container, {
      autoSize: true,
      // Our own labelled link under the chart replaces the library's logo (see `.attribution`).
      layout: { attributionLogo: false },
      rightPriceScale: { borderVisible: false, scaleMargins: { top: 0.12, bottom: 0.08 } },
      // fixLeftEdge: no scrolling into the empty space before the first bar.
      timeScale: { borderVisible: false, rightOffset: 4, barSpacing: 8, fixLeftEdge: true },
      crosshair: { mode: this._library.CrosshairMode.Normal },
    });
    keepTimeLabelsWhole(container);
    this.applyTheme();
    this.syncSeries();
  }

  private destroyChart(): void {
    try {
      this._chart?.remove();
    } catch {
      // already gone
    }
    this._chart = undefined;
    this._series = undefined;
    this._seriesType = undefined;
  }

  /** Makes the series match `chart-type`, then draws all bars. */
  private syncSeries(): void {
    const lib = this._library;
    const chart = this._chart;
    if (!lib || !chart) return;
    const type = (CHART_TYPES as readonly string[]).includes(this.chartType) ? this.chartType : 'candles';
    if (type !== this._seriesType || !this._series) {
      if (this._series) chart.removeSeries(this._series);
      const colors = this.colors();
      this._seriesType = type;
      this._series =
        type === 'candles'
          ? chart.addSeries(lib.CandlestickSeries, {
              upColor: colors.up,
              downColor: colors.down,
              wickUpColor: colors.up,
              wickDownColor: colors.down,
              borderVisible: false,
            })
          : type === 'line'
            ? chart.addSeries(lib.LineSeries, { color: colors.accent, lineWidth: 2 })
            : chart.addSeries(lib.AreaSeries, {
                lineColor: colors.accent,
                topColor: withAlpha(colors.accent, 0.35),
                bottomColor: withAlpha(colors.accent, 0.02),
                lineWidth: 2,
              });
    }
    const seconds = isInterval(this.interval) ? INTERVAL_SECONDS[this.interval] : 60;
    chart.applyOptions({ timeScale: { timeVisible: seconds < 86_400, secondsVisible: seconds < 60 } });
    this.applyPriceFormat();
    this._series.setData(this._bars.map((bar) => this.toPoint(bar)));
    this._drawDeferred = false;
  }

  /** Prices at the `precision` attribute, else the server's, else derived from the last price. */
  private priceFormat(): PriceFormat {
    const precision = choosePrecision(this.precision, this._stated?.precision, this.lastPrice ?? 0);
    return getPriceFormat(this.resolvedLocale, precision, this._stated?.tickSize);
  }

  /** The precision into the axis labels and the series' scale (lightweight-charts `priceFormat`). */
  private applyPriceFormat(): void {
    const format = (this._axisFormat = this.priceFormat());
    this._chart?.applyOptions({ localization: { priceFormatter: format.axis } });
    this._series?.applyOptions({ priceFormat: { type: 'price', precision: format.precision, minMove: format.minMove } });
  }

  /**
   * The theme's colours as the canvas needs them: resolved `rgb(…)` values. The `--_*`
   * properties hold `light-dark(…)` text, which only a real colour property resolves
   * (against the element's `color-scheme`), so each is read through a probe's `color`.
   */
  private colors() {
    const probe = document.createElement('span');
    probe.hidden = true;
    this.renderRoot.appendChild(probe);
    const style = getComputedStyle(probe);
    const read = (name: string, fallback: string) => {
      probe.style.color = `var(${name}, ${fallback})`;
      return style.color || fallback;
    };
    try {
      return {
        up: read('--_up', '#0a6e44'),
        down: read('--_down', '#b8232f'),
        text: read('--_muted', '#556274'),
        bg: read('--_bg', '#ffffff'),
        grid: read('--_grid', '#edf0f4'),
        accent: read('--_accent', '#2557d6'),
        font: getComputedStyle(this).getPropertyValue('--_font').trim() || 'system-ui, sans-serif',
      };
    } finally {
      probe.remove();
    }
  }

  /** Pushes the CSS theme (and locale) into the canvas, which cannot read CSS itself. */
  private applyTheme(): void {
    const chart = this._chart;
    const lib = this._library;
    if (!chart || !lib) return;
    const c = this.colors();
    const f = this.format;
    chart.applyOptions({
      layout: {
        background: { type: lib.ColorType.Solid, color: c.bg },
        textColor: c.text,
        fontFamily: c.font,
      },
      grid: { vertLines: { color: c.grid }, horzLines: { color: c.grid } },
      localization: { locale: f.locale ?? navigator.language },
    });
    this.applyPriceFormat();
    const series = this._series;
    if (!series) return;
    if (this._seriesType === 'candles')
      series.applyOptions({ upColor: c.up, downColor: c.down, wickUpColor: c.up, wickDownColor: c.down });
    else if (this._seriesType === 'line') series.applyOptions({ color: c.accent });
    else
      series.applyOptions({ lineColor: c.accent, topColor: withAlpha(c.accent, 0.35), bottomColor: withAlpha(c.accent, 0.02) });
  }

  // ---- template ------------------------------------------------------------

  protected override renderContent() {
    const state = this.state;
    const bars = this._bars;
    const last = bars.at(-1);
    const first = bars[0];
    const change = last && first ? last.close - first.open : 0;
    const ratio = last && first && first.open !== 0 ? change / first.open : 0;
    const direction = change > 0 ? 'up' : change < 0 ? 'down' : '';
    const arrow = change > 0 ? '▲' : change < 0 ? '▼' : '';
    const f = this.format;
    const p = this.priceFormat();
    return html`
      <div class="header" part="header">
        <span class="symbol" part="symbol">${this.symbol.trim() || '—'}</span>
        <span class="interval">${this.interval}</span>
        ${last
          ? html`<span class="price" part="price">${p.price(last.close)}</span>
              <span class="change ${direction}" part="change"
                >${arrow ? html`<span aria-hidden="true">${arrow}</span> ` : ''}${p.change(change)}
                (${f.percent(ratio)})</span
              >`
          : state === 'loading'
            ? html`<span class="skeleton header-skeleton" aria-hidden="true"></span>`
            : ''}
      </div>
      <div class="body">
        <div class="chart" part="chart" role="figure" aria-label=${this.chartLabel()}></div>
        ${this.renderStaleMarker()}
        ${state === 'error'
          ? html`<div class="overlay">${this.renderError('Chart unavailable')}</div>`
          : state === 'loading'
            ? html`<div class="overlay loading" role="status">
                <span class="visually-hidden">Loading ${this.symbol} chart…</span>
                <div class="skeleton"></div>
                <div class="skeleton axis"></div>
              </div>`
            : ''}
      </div>
      <div class="attribution" part="attribution">
        <a href=${ATTRIBUTION_URL} target="_blank" rel="noopener noreferrer" aria-label="Chart by TradingView (opens in a new tab)"
          >Chart by TradingView</a
        >
      </div>
    `;
  }

  private chartLabel(): string {
    const last = this._bars.at(-1);
    const symbol = this.symbol.trim();
    return last
      ? `${symbol} ${this.interval} ${this._seriesType ?? this.chartType} chart, ${this._bars.length} bars, last ${this.priceFormat().price(last.close)}`
      : `${symbol} ${this.interval} chart`;
  }
}

/** True when `ours` is the tail of `theirs` (newest `max` bars), compared cheaply at both ends. */
function sameBars(ours: readonly Bar[], theirs: readonly Bar[], max: number): boolean {
  const expected = Math.min(max, theirs.length);
  if (ours.length !== expected) return false;
  if (expected === 0) return true;
  const a = ours[ours.length - 1]!;
  const b = theirs[theirs.length - 1]!;
  return (
    ours[0]!.time === theirs[theirs.length - expected]!.time &&
    a.time === b.time &&
    a.close === b.close &&
    a.high === b.high &&
    a.low === b.low &&
    a.volume === b.volume
  );
}

/** `#rrggbb` or `rgb(r, g, b)` + alpha → `rgba(…)`; other colour syntaxes are returned unchanged. */
function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (hex) {
    const n = parseInt(hex[1]!, 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const rgb = /^rgba?\(\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)\s*(?:,\s*[\d.]+\s*)?\)$/i.exec(color);
  return rgb ? `rgba(${rgb[1]}, ${rgb[2]}, ${rgb[3]}, ${alpha})` : color;
}

defineElement('live-price-chart', LivePriceChart);

declare global {
  interface HTMLElementTagNameMap {
    'live-price-chart': LivePriceChart;
  }
}
