/**
 * The shared worker host: one socket per stream URL for every tab of the origin that names
 * this script (`getStream(url, { sharedWorker })` or the `live-market-widgets:shared-worker`
 * meta tag). Built to `dist/stream/tabs/shared-worker.js` (the package export
 * `live-market-widgets/shared-worker.js`); serve it from the page's own origin.
 *
 * Each tab connects a port (worker-share.ts) and says who it is; the worker waits on the
 * tab's life lock, so a tab that closes or crashes without a word still lets go of its
 * topics. The relays (tab-relay.ts) do the rest, as in a leader tab.
 */
import { jwtExpiryMs } from '../token.js';
import { openWebSocket } from '../websocket-transport.js';
import { tabLockName, type FromHost, type ToHost } from './tab-channel.js';
import { TabRelay } from './tab-relay.js';

interface WorkerScope {
  onconnect: ((event: MessageEvent) => void) | null;
}

const relays = new Map<string, TabRelay>();
/** Link -> the port of its tab and the URL of its relay. */
const links = new Map<string, { port: MessagePort; url: string }>();
const watched = new Set<string>();
/** Per relay: this frame's deliveries, by port, by text. */
const pending = new Map<MessagePort, Map<string, string[]>>();

function relayFor(url: string): TabRelay {
  let relay = relays.get(url);
  if (relay) return relay;
  relay = new TabRelay(
    url,
    {
      deliver(key, text) {
        const port = links.get(key)?.port;
        if (!port) return;
        let byText = pending.get(port);
        if (!byText) pending.set(port, (byText = new Map()));
        let keys = byText.get(text);
        if (!keys) byText.set(text, (keys = []));
        keys.push(key);
      },
      flush() {
        for (const [port, byText] of pending) post(port, { k: 'frame', term: 0, groups: [...byText] });
        pending.clear();
      },
      closed(key, code, reason) {
        const entry = links.get(key);
        links.delete(key);
        if (entry) post(entry.port, { k: 'closed', term: 0, link: key, code, reason });
      },
    },
    { transport: openWebSocket, expiry: jwtExpiryMs },
  );
  relays.set(url, relay);
  return relay;
}

function post(port: MessagePort, message: FromHost): void {
  try {
    port.postMessage(message);
  } catch {
    /* the tab is gone */
  }
}

function dropTab(tab: string): void {
  const prefix = tab + ':';
  for (const [key, entry] of [...links]) {
    if (!key.startsWith(prefix)) continue;
    links.delete(key);
    relays.get(entry.url)?.close(key);
  }
}

function onMessage(port: MessagePort, message: ToHost): void {
  switch (message.k) {
    case 'who':
      if (!watched.has(message.tab) && typeof navigator !== 'undefined' && navigator.locks) {
        watched.add(message.tab);
        navigator.locks
          .request(tabLockName(message.tab), () => {
            watched.delete(message.tab);
            dropTab(message.tab);
          })
          .catch(() => {});
      }
      return;
    case 'open': {
      if (typeof message.url !== 'string') return;
      links.set(message.link, { port, url: message.url });
      relayFor(message.url).open(message.link);
      post(port, { k: 'opened', term: 0, link: message.link });
      return;
    }
    case 'send': {
      const entry = links.get(message.link);
      if (!entry || !relays.get(entry.url)?.send(message.link, message.text)) {
        if (!entry) post(port, { k: 'closed', term: 0, link: message.link, code: 1012, reason: 'unknown link' });
      }
      return;
    }
    case 'close': {
      const entry = links.get(message.link);
      links.delete(message.link);
      if (entry) relays.get(entry.url)?.close(message.link, message.code, message.reason);
      return;
    }
    case 'bye':
      return dropTab(message.tab);
  }
}

(globalThis as unknown as WorkerScope).onconnect = (event: MessageEvent) => {
  const port = event.ports[0];
  if (!port) return;
  port.onmessage = (e: MessageEvent) => onMessage(port, e.data as ToHost);
  port.start();
};
