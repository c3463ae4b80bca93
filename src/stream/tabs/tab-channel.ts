/**
 * The messages tabs exchange about one stream URL, over a BroadcastChannel (leader host) or
 * a shared worker's MessagePort (worker host), and the names they use. Everything is plain
 * structured-clone data. A link is one tab stream's Transport; its key is `<tab>:<n>`.
 */

/** Follower (or any tab, to a worker) -> host. */
export type ToHost =
  /** A tab starts: the leader answers with a beat at once. */
  | { k: 'who'; tab: string }
  /**
   * Open a link (the host answers `opened`). `url` is used by the worker host, which serves
   * every URL. `alive`: the tab holds its life lock, so the leader may wait on it.
   */
  | { k: 'open'; tab: string; link: string; url?: string; alive?: boolean }
  | { k: 'send'; link: string; text: string }
  | { k: 'close'; link: string; code?: number; reason?: string }
  /** The tab leaves (pagehide, its streams closed): its links end. */
  | { k: 'bye'; tab: string };

/** Host -> tabs. `term` fences a stale leader (a worker host sends 0). */
export type FromHost =
  /** The leader is alive (every BEAT_MS). */
  | { k: 'beat'; term: number; tab: string }
  | { k: 'opened'; term: number; link: string }
  /** One server frame's deliveries: each text goes to the links listed with it. */
  | { k: 'frame'; term: number; groups: Array<[text: string, links: string[]]> }
  | { k: 'closed'; term: number; link: string; code: number; reason: string }
  /** The leader leaves: its links are gone, the next lock holder takes over. */
  | { k: 'bye'; term: number; tab: string };

export type TabMessage = ToHost | FromHost;

/** How often the leader beats. */
export const BEAT_MS = 1_000;
/** A visible follower steals leadership after this long without a beat (a frozen leader keeps its lock). */
export const STEAL_AFTER_MS = 3_000;

/**
 * The protocol constants the relay needs, as plain values: the sharing code is a lazily loaded
 * chunk, and importing src/protocol from it would split those modules out of the main bundle.
 * test/tabs/tab-relay.test.ts checks them against src/protocol.
 */
export const PROTOCOL_VERSION = 1;
export const CLOSE = { Normal: 1000, GoingAway: 1001, ClientTimeout: 4008 } as const;

/** Close codes the tab side gives its streams' links (never on the wire). */
export const ABNORMAL = 1006;
/** The leader changed (or this tab stopped leading): reconnect, through the new leader. */
export const LEADER_CHANGED = 1012;
/** The leader left (pagehide, closed). */
export const LEADER_LEFT = 1001;

const PREFIX = 'live-market-widgets';
/** Bumped when these messages change, so two builds on one origin never talk past each other. */
export const TAB_PROTOCOL = 1;

export const channelName = (url: string) => `${PREFIX}:tabs:${TAB_PROTOCOL}:${url}`;
export const leaderLockName = (url: string) => `${PREFIX}:leader:${TAB_PROTOCOL}:${url}`;
/** A lock each tab holds for its life: whoever waits on it learns when the tab is gone. */
export const tabLockName = (tab: string) => `${PREFIX}:tab:${tab}`;
/** Where the leadership term of a URL is kept (localStorage). */
export const termKey = (url: string) => `${PREFIX}:term:${url}`;
/** The shared worker's name: one worker per script URL and tab protocol. */
export const WORKER_NAME = `${PREFIX}:${TAB_PROTOCOL}`;

export function randomId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID().slice(0, 18);
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}
