/** The stream's own events (`statechange`, `metrics`, `error`) and the guard around listeners. */
import type { StreamError, StreamEventMap } from './types.js';

type Listeners = { [K in keyof StreamEventMap]: Set<(detail: StreamEventMap[K]) => void> };

export class StreamEmitter {
  readonly listeners: Listeners = { statechange: new Set(), metrics: new Set(), error: new Set() };

  on<K extends keyof StreamEventMap>(type: K, listener: (detail: StreamEventMap[K]) => void): () => void {
    const set = this.listeners[type] as Set<(detail: StreamEventMap[K]) => void> | undefined;
    if (!set) return () => {};
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** Calls every listener; one that throws is reported as `listener_error` (an `error` listener's only to the console). */
  emit<K extends keyof StreamEventMap>(type: K, detail: StreamEventMap[K]): void {
    for (const listener of [...this.listeners[type]]) {
      try {
        (listener as (detail: StreamEventMap[K]) => void)(detail);
      } catch (error) {
        if (type === 'error') {
          if (typeof console !== 'undefined') console.error('live-market-widgets: an error listener threw', error);
        } else {
          this.emit('error', { code: 'listener_error', message: `a ${type} listener threw: ${describe(error)}` });
        }
      }
    }
  }

  error(error: StreamError): void {
    this.emit('error', error);
  }

  /** Runs a callback from the outside world (socket, timer, fetch) without ever throwing into the page. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.emit('error', { code: 'internal_error', message: `stream internal error: ${describe(error)}` });
    }
  }

  clear(): void {
    for (const set of Object.values(this.listeners)) set.clear();
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 200);
  return String(error).slice(0, 200);
}
