/** Shared helpers for the element tests (real server, real sockets). */
import { oneEvent } from '@open-wc/testing';
import { waitFor } from '../support/browser/server.js';

/** Waits until `el.state` is `state`. */
export function waitForState(el: HTMLElement & { state: string }, state: string, timeoutMs = 10_000): Promise<true> {
  return waitFor(() => el.state === state || undefined, timeoutMs, `state ${state} (now ${el.state})`) as Promise<true>;
}

/** Records every event of `type` on `target` until `stop()` is called. */
export function record<T = unknown>(target: EventTarget, type: string): { events: CustomEvent<T>[]; stop: () => void } {
  const events: CustomEvent<T>[] = [];
  const listener = (event: Event) => events.push(event as CustomEvent<T>);
  target.addEventListener(type, listener);
  return { events, stop: () => target.removeEventListener(type, listener) };
}

export const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export { oneEvent };

/** A fresh host of a given size for elements that size to their container. */
export function sizedHost(width = 640, height = 360): HTMLDivElement {
  const host = document.createElement('div');
  host.style.cssText = `width:${width}px;height:${height}px`;
  document.body.append(host);
  return host;
}

/** Markup that must show up as text, never as elements. */
export const XSS = '<img src=x onerror="window.__lmwXss=1">';
