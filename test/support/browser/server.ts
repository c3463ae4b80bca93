/** Browser-side handles on the reference server that the wtr plugin runs (real server, loopback). */
import { executeServerCommand } from '@web/test-runner-commands';
import type { TopicSnapshot } from '../../../src/protocol/index.js';

export interface ServerInfo {
  /** `ws://127.0.0.1:PORT/stream` */
  url: string;
  /** `http://127.0.0.1:PORT` */
  httpUrl: string;
  epoch: string;
  publishToken: string;
}

export const serverInfo = () => executeServerCommand<ServerInfo, void>('lmw-server');
/** Terminates every WebSocket on the server; returns how many. */
export const dropAllConnections = () => executeServerCommand<number, void>('lmw-drop');
/** Stops and starts the server on the same port: a new epoch. */
export const restartServer = () => executeServerCommand<{ url: string; epoch: string }, void>('lmw-restart');
/** Refuses WebSocket upgrades (HTTP 503) for `ms`; REST keeps working. */
export const refuseUpgrades = (ms: number) => executeServerCommand<boolean, { ms: number }>('lmw-refuse', { ms });
/** The server stops sending anything (frames, pongs, pings) on open sockets for `ms`. */
export const silenceServer = (ms: number) => executeServerCommand<boolean, { ms: number }>('lmw-silence', { ms });
/** The next update of `topic` is withheld from subscribers (it stays in history): a gap. */
export const injectGap = (topic: string) => executeServerCommand<boolean, { topic: string }>('lmw-gap', { topic });
/**
 * For `ms`, new WebSockets complete the upgrade but their `hello` is never answered (no
 * welcome, nothing sent); when the window ends the server cuts them. 0 ends it at once.
 */
export const stallHandshakes = (ms: number) => executeServerCommand<boolean, { ms: number }>('lmw-stall', { ms });

/**
 * Chromium's own offline emulation (DevTools network conditions) for this page, scoped to
 * the main server: `navigator.onLine` false and an `offline` event; requests and WebSocket
 * connects to the server fail. `false` lifts it (an `online` event); call that in afterEach.
 * Going offline needs the server to have no open WebSocket (close or drop them first; the
 * command waits up to 2 s, then rejects): Chromium's network service crashes when emulation
 * is lifted from a socket that lived through it.
 */
export const setOffline = (offline: boolean) => executeServerCommand<boolean, { offline: boolean }>('lmw-offline', { offline });

/**
 * Publishes as a backend would: an HTTP request to a publishing route (`/api/events/C`,
 * `/api/state/K`, `/api/portfolio/A`) sent from Node with the publish token.
 */
export const publishHttp = (path: string, body: unknown, method = 'POST', contentType = 'application/json') =>
  executeServerCommand<{ status: number; body: any }, { path: string; body: unknown; method: string; contentType: string }>('lmw-publish', {
    path,
    body,
    method,
    contentType,
  });

export async function fetchSnapshot<D = unknown>(topic: string): Promise<TopicSnapshot<D>> {
  const { httpUrl } = await serverInfo();
  const response = await fetch(`${httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
  if (!response.ok) throw new Error(`GET /api/snapshot ${topic}: ${response.status}`);
  return (await response.json()) as TopicSnapshot<D>;
}

/** Polls `check` every 20 ms until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A second reference server with auth on (`authSecret`), same fast market; started once, on first use. */
export const authServerInfo = () => executeServerCommand<{ url: string; httpUrl: string; epoch: string }, void>('lmw-auth-server');

/** Refuses WebSocket upgrades on the auth server for `ms` (HTTP 503; REST keeps working); 0 stops. */
export const refuseAuthUpgrades = (ms: number) => executeServerCommand<boolean, { ms: number }>('lmw-auth-refuse', { ms });

/**
 * A third reference server whose client frame rate limit is tiny (5 frames/s, burst 4): a
 * hello and three subs at once pass, further frames are dropped unread with `rate_limited`.
 */
export const limitedServerInfo = () => executeServerCommand<{ url: string; httpUrl: string; epoch: string }, void>('lmw-limited-server');

/** A fourth reference server simulating EURUSD, USDJPY and BTC-USD; its `demo` account holds all three. Started once, on first use. */
export const fxServerInfo = () => executeServerCommand<{ url: string; httpUrl: string; epoch: string }, void>('lmw-fx-server');

/** The ten-symbol server (60 candle topics, default limits), its connections dropped, its `GET /metrics`. */
export const wideServerInfo = () => executeServerCommand<{ url: string; httpUrl: string; epoch: string }, void>('lmw-wide-server');
export const dropWideConnections = () => executeServerCommand<number, void>('lmw-wide-drop');
export const wideServerMetricsText = () => executeServerCommand<string, void>('lmw-wide-metrics');

/** Publishes trades on the fx server, as `POST /api/trades` would (times default to now). */
export const publishFxTrades = (trades: Array<{ symbol: string; price: number; size?: number; time?: number }>) =>
  executeServerCommand<boolean, { trades: Array<{ symbol: string; price: number; size: number; time: number }> }>('lmw-fx-publish', {
    trades: trades.map((t, i) => ({ size: 1, time: Date.now() + i, ...t })),
  });

export interface MintTokenOptions {
  /** The `topics` claim (patterns). Default `['*']`. */
  topics?: string[];
  /** Expiry from now, in seconds (negative: already expired). Default 60. */
  expInSeconds?: number;
  /** Sign with a secret the auth server does not know. */
  wrongSecret?: boolean;
  /** Leave the `topics` claim out. */
  omitTopics?: boolean;
}
/** An HS256 JWT for the auth server, minted in Node with `jose`. */
export const mintToken = (options: MintTokenOptions = {}) => executeServerCommand<string, MintTokenOptions>('lmw-mint-token', options);

/** Forces a full garbage collection in this page (DevTools protocol) and returns the JS heap size after it. */
export const collectGarbage = () => executeServerCommand<{ usedSize: number; totalSize: number }, void>('lmw-gc');

/** The main server's `GET /metrics` (Prometheus text), fetched by the runner (the endpoint has no CORS). */
export const serverMetricsText = () => executeServerCommand<string, void>('lmw-metrics');

/**
 * Drops every connection and refuses upgrades for `holdMs`, so the outage outlasts the first
 * jittered retry (which can come after ~0 ms) and tests can observe the "down" state.
 */
export async function dropConnectionsFor(holdMs = 600): Promise<number> {
  await refuseUpgrades(holdMs);
  return dropAllConnections();
}
