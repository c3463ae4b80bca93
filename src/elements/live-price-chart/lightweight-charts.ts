/**
 * The parts of lightweight-charts that <live-price-chart> uses. The chart loads this
 * module with a dynamic import(): a dynamic import of the package itself cannot be
 * tree-shaken (every export stays in the lazy chunk), a static re-export can.
 * The file is named after the library so that the lazy chunk keeps its name
 * (`chunks/lightweight-charts-*.js`).
 */
export { AreaSeries, CandlestickSeries, ColorType, CrosshairMode, LineSeries, createChart } from 'lightweight-charts';
