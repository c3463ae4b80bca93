/**
 * live-market-widgets: importing this module registers the four elements
 * (`<live-price-chart>`, `<connection-badge>`, `<ws-metrics-panel>`, `<pnl-summary>`)
 * and exports the shared stream and the Lit controllers for integrators who want the data
 * without them.
 */
export * from './stream/index.js';
export type { StreamErrorCode } from './stream/errors.js';
export * from './controllers/index.js';
export { MarketElement, SRC_META_NAME, CONNECTION_LABELS } from './elements/base/market-element.js';
export type { Theme, ViewState } from './elements/base/market-element.js';
export { defineElement } from './elements/base/define.js';
export { LivePriceChart, loadChartLibrary, CHART_TYPES } from './elements/live-price-chart/live-price-chart.js';
export type { ChartType } from './elements/live-price-chart/live-price-chart.js';
export { ConnectionBadge } from './elements/connection-badge/connection-badge.js';
export type { BadgeVariant } from './elements/connection-badge/connection-badge.js';
export { WsMetricsPanel, SPARKLINE_SECONDS } from './elements/ws-metrics-panel/ws-metrics-panel.js';
export { PnlSummary } from './elements/pnl-summary/pnl-summary.js';
export type { PositionColumn, SortKey } from './elements/pnl-summary/pnl-summary.js';
export type {
  BarEventDetail,
  ElementError,
  LmwEventDetailMap,
  LmwEventMap,
  PnlEventDetail,
  StateChangeDetail,
} from './events/index.js';
