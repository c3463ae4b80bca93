/**
 * The page-wide registry of streams. It lives on `globalThis` under a registered symbol
 * so that two copies of the kit on one page (two bundles) still share one socket per URL.
 */
export const REGISTRY_KEY = Symbol.for('live-market-widgets.streams');

/** What the registry holds; structural so that another copy's streams fit too. */
export interface RegisteredStream {
  readonly url: string;
}

export function streamRegistry<S extends RegisteredStream = RegisteredStream>(): Map<string, S> {
  const global = globalThis as unknown as Record<symbol, unknown>;
  let registry = global[REGISTRY_KEY];
  if (!(registry instanceof Map)) {
    registry = new Map<string, S>();
    // Not enumerable, not writable by accident: one registry for the page's lifetime.
    Object.defineProperty(global, REGISTRY_KEY, { value: registry, configurable: true, enumerable: false, writable: false });
  }
  return registry as Map<string, S>;
}
