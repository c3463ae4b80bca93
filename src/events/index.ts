/**
 * The `lmw-*` events of the elements, declared in the global event maps so that
 * `el.addEventListener('lmw-bar', (e) => e.detail.bar)` is typed. Every one is a
 * `CustomEvent` that bubbles and is composed (it leaves shadow roots).
 */
import type { ElementError, StateChangeDetail } from '../elements/base/market-element.js';
import type { BarEventDetail } from '../elements/live-price-chart/live-price-chart.js';
import type { PnlEventDetail } from '../elements/pnl-summary/pnl-summary.js';

/** Every `lmw-*` event name and its detail. */
export interface LmwEventDetailMap {
  'lmw-state-change': StateChangeDetail;
  'lmw-error': ElementError;
  'lmw-bar': BarEventDetail;
  'lmw-pnl': PnlEventDetail;
}

export type LmwEventMap = { [K in keyof LmwEventDetailMap]: CustomEvent<LmwEventDetailMap[K]> };

declare global {
  interface GlobalEventHandlersEventMap extends LmwEventMap {}
  interface HTMLElementEventMap extends LmwEventMap {}
}

/** Creates an `lmw-*` event: a `CustomEvent` that bubbles out of shadow roots. */
export function lmwEvent<K extends keyof LmwEventDetailMap>(type: K, detail: LmwEventDetailMap[K]): LmwEventMap[K] {
  return new CustomEvent(type, { detail, bubbles: true, composed: true }) as LmwEventMap[K];
}
