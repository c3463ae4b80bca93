/**
 * The tab's side of the shared worker host (shared-worker.ts): the tab's streams get a
 * Transport whose links go over one MessagePort to the worker, which holds the socket. If
 * the worker cannot start (a wrong URL, a script error) the links go direct, as without
 * sharing.
 */
import type { Transport, TransportEvents, TransportFactory } from '../transport.js';
import { ABNORMAL, WORKER_NAME, type FromHost, type ToHost } from './tab-channel.js';
import { thisTab, type ShareHandle, type SharingMode } from './tab-share.js';

interface WorkerLink {
  readonly key: string;
  readonly events: TransportEvents;
  state: 'pending' | 'open' | 'ended';
}

const hosts = new Map<string, WorkerHost>();

/** The tab's share for `url` through the shared worker at `scriptUrl`. */
export function workerShare(url: string, scriptUrl: string, open: TransportFactory): ShareHandle {
  const resolved = new URL(scriptUrl, typeof location !== 'undefined' ? location.href : undefined).href;
  let host = hosts.get(resolved);
  if (!host) hosts.set(resolved, (host = new WorkerHost(resolved, open)));
  return host.handle(url);
}

class WorkerHost {
  private port: MessagePort | undefined;
  private failed = false;
  private readonly links = new Map<string, WorkerLink>();
  private nextLink = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly scriptUrl: string,
    /** Opens a socket of this tab's own (when the worker did not start). */
    private readonly open: TransportFactory,
  ) {}

  get mode(): SharingMode {
    return this.failed ? 'direct' : 'worker';
  }

  handle(url: string): ShareHandle {
    this.start();
    const transport: TransportFactory = (linkUrl, events) => this.openLink(linkUrl || url, events);
    const host = this;
    const mine = new Set<() => void>();
    return {
      transport,
      get mode() {
        return host.mode;
      },
      handoffs: 0,
      onChange: (listener) => {
        mine.add(listener);
        this.listeners.add(listener);
        return () => {
          mine.delete(listener);
          this.listeners.delete(listener);
        };
      },
      release: () => {
        for (const l of mine) this.listeners.delete(l);
        mine.clear();
      },
    };
  }

  private start(): void {
    if (this.port || this.failed) return;
    try {
      const worker = new SharedWorker(this.scriptUrl, { type: 'module', name: WORKER_NAME });
      worker.onerror = () => this.fail();
      this.port = worker.port;
      this.port.onmessage = (event: MessageEvent) => this.onMessage(event.data as FromHost);
      this.port.start();
      // `who` only once the life lock is held: the worker waits on it to learn that the tab is gone.
      void thisTab.hold().then(() => this.post({ k: 'who', tab: thisTab.id }));
      if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') {
        window.addEventListener('pagehide', () => {
          // The worker lets go of our links; ours end too, and the streams reconnect if the page comes back.
          this.post({ k: 'bye', tab: thisTab.id });
          for (const link of [...this.links.values()]) this.end(link, 1001, 'page hidden');
          thisTab.letGo();
        });
        window.addEventListener('pageshow', (event: PageTransitionEvent) => {
          if (event.persisted) void thisTab.hold().then(() => this.post({ k: 'who', tab: thisTab.id }));
        });
      }
    } catch {
      this.fail();
    }
  }

  /** The worker did not start: every link goes direct from now on. */
  private fail(): void {
    if (this.failed) return;
    this.failed = true;
    this.port = undefined;
    for (const link of [...this.links.values()]) this.end(link, ABNORMAL, 'shared worker failed');
    for (const listener of [...this.listeners]) listener();
  }

  private openLink(url: string, events: TransportEvents): Transport {
    if (this.failed) return this.open(url, events);
    const key = `${thisTab.id}:w${++this.nextLink}`;
    const link: WorkerLink = { key, events, state: 'pending' };
    this.links.set(key, link);
    this.post({ k: 'open', tab: thisTab.id, link: key, url });
    return {
      send: (text) => link.state === 'open' && this.post({ k: 'send', link: key, text }),
      close: (code, reason) => {
        if (link.state === 'ended') return;
        link.state = 'ended';
        this.links.delete(key);
        this.post({ k: 'close', link: key, code, reason });
      },
    };
  }

  private end(link: WorkerLink, code: number, reason: string): void {
    if (link.state === 'ended') return;
    link.state = 'ended';
    this.links.delete(link.key);
    link.events.close(code, reason);
  }

  private post(message: ToHost): boolean {
    if (!this.port) return false;
    try {
      this.port.postMessage(message);
      return true;
    } catch {
      return false;
    }
  }

  private onMessage(message: FromHost): void {
    switch (message.k) {
      case 'opened': {
        const link = this.links.get(message.link);
        if (!link || link.state !== 'pending') return;
        link.state = 'open';
        link.events.open();
        return;
      }
      case 'frame':
        for (const [text, keys] of message.groups) {
          for (const key of keys) {
            const link = this.links.get(key);
            if (link && link.state === 'open') link.events.message(text);
          }
        }
        return;
      case 'closed': {
        const link = this.links.get(message.link);
        if (link) this.end(link, message.code, message.reason);
        return;
      }
      default:
        return;
    }
  }
}
