/**
 * The `lmw-*` events of the elements, declared in the global event maps so that
 * `el.addEventListener('lmw-bar', (e) => e.detail.bar)` is typed. Every one is a
 * `CustomEvent` that bubbles and is composed (it leaves shadow roots).
 */
import type { Bar, PortfolioTotals } from '../protocol/index.js';
import type { StreamErrorCode } from '../stream/errors.js';

/** Detail of `lmw-state-change`. */
export interface StateChangeDetail<S extends string = string> {
  state: S;
  previous: S;
}

/** Detail of `lmw-error` (and an element's `error`). */
export interface ElementError {
  /** `bad_attribute`, `no_source`, `bad_url`, a server code such as `unknown_topic`, or `internal_error`. */
  code: StreamErrorCode;
  message: string;
}

/** Detail of `lmw-bar`. */
export interface BarEventDetail {
  bar: Bar;
}

/** Detail of `lmw-pnl`. */
export interface PnlEventDetail {
  totals: PortfolioTotals;
}

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
