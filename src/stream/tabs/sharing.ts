/**
 * Which host carries a stream's socket (docs/cross-tab.md):
 * - `worker`: a SharedWorker, when the page names a same-origin worker script
 *   (`sharedWorker` option or `<meta name="live-market-widgets:shared-worker" content="…">`);
 * - `leader`/`follower`: the default, a leader tab elected with Web Locks, frames over a BroadcastChannel;
 * - `direct` (today's one socket per tab): opted out (`share: false` or
 *   `<meta name="live-market-widgets:share" content="off">`), inside a cross-origin frame
 *   (storage partitioning splits these APIs there), or when the browser lacks them.
 */
import type { Transport, TransportFactory } from '../transport.js';
import type { SharingMode } from '../types.js';
import { jwtExpiryMs } from '../token.js';
import { openWebSocket } from '../websocket-transport.js';
import type { ShareHandle } from './tab-share.js';

export const SHARE_META = 'live-market-widgets:share';
export const SHARED_WORKER_META = 'live-market-widgets:shared-worker';

export interface SharingOptions {
  share?: boolean;
  sharedWorker?: string;
}

function meta(name: string): string | undefined {
  if (typeof document === 'undefined' || typeof document.querySelector !== 'function') return undefined;
  const element = document.querySelector(`meta[name="${name}"]`);
  const content = element?.getAttribute('content')?.trim();
  return content ? content : undefined;
}

/** Inside a frame whose top is another origin (a partitioned third-party context). */
function crossOriginFrame(): boolean {
  if (typeof window === 'undefined') return false;
  try {
    if (window.top === window.self) return false;
    return window.top!.location.origin !== window.location.origin;
  } catch {
    return true; // reading the top's location throws across origins
  }
}

/** The host for `url`, or undefined for a direct socket. */
export function chooseSharing(url: string, options: SharingOptions): ShareHandle | undefined {
  if (options.share === false) return undefined;
  if (options.share === undefined && meta(SHARE_META)?.toLowerCase() === 'off') return undefined;
  if (typeof window === 'undefined' || typeof navigator === 'undefined') return undefined;
  // An opaque origin (a file:// page, a sandboxed frame) gets no locks and shares with nobody.
  if (typeof location === 'undefined' || location.origin === 'null') return undefined;
  if (crossOriginFrame()) return undefined;
  const worker = options.sharedWorker ?? meta(SHARED_WORKER_META);
  if (worker && typeof SharedWorker !== 'undefined') {
    try {
      if (new URL(worker, location.href).origin === location.origin)
        return lazyShare('worker', () => import('./worker-share.js').then((m) => m.workerShare(url, worker, openWebSocket)));
    } catch {
      /* a bad URL: fall through to the leader host */
    }
  }
  if (!navigator.locks || typeof navigator.locks.request !== 'function' || typeof BroadcastChannel === 'undefined') return undefined;
  return lazyShare('follower', () => import('./tab-share.js').then((m) => m.tabShare(url, openWebSocket, jwtExpiryMs)));
}

/**
 * The host's code is loaded on first use (its own chunk in the module bundle, so a page pays
 * for it only when it shares): until then the handle stands in, and a link opened meanwhile
 * is attached once the code is there. If it cannot load, links go direct.
 */
function lazyShare(initial: SharingMode, load: () => Promise<ShareHandle>): ShareHandle {
  let real: ShareHandle | undefined;
  let failed = false;
  let released = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const ready = load().then(
    (handle) => {
      if (released) return handle.release();
      real = handle;
      handle.onChange(notify);
      notify();
    },
    () => {
      failed = true;
      notify();
    },
  );
  const transport: TransportFactory = (url, events) => {
    if (real) return real.transport(url, events);
    if (failed) return openWebSocket(url, events);
    let inner: Transport | undefined;
    let closed = false;
    void ready.then(() => {
      if (closed || released) return;
      try {
        inner = real ? real.transport(url, events) : openWebSocket(url, events);
      } catch (error) {
        events.close(1006, error instanceof Error ? error.message.slice(0, 120) : 'could not open');
      }
    });
    return {
      send: (text) => inner?.send(text) ?? false,
      close: (code, reason) => {
        closed = true;
        inner?.close(code, reason);
      },
    };
  };
  return {
    transport,
    get mode() {
      return real ? real.mode : failed ? 'direct' : initial;
    },
    get handoffs() {
      return real?.handoffs ?? 0;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    release() {
      if (released) return;
      released = true;
      listeners.clear();
      real?.release();
    },
  };
}
