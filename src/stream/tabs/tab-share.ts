/**
 * One socket per URL for all the tabs of an origin, held by a leader tab (Web Locks plus a
 * BroadcastChannel per URL). A TabShare is the tab's side for one URL: it gives the tab's
 * streams a Transport (`transport`) whose links end in the leader's relay (tab-relay.ts),
 * in this tab when it leads, over the channel when it follows. Each stream keeps its own
 * state and its own `{epoch, seq}` per topic; when the leader changes, every link to the
 * old one ends (LEADER_CHANGED) and each stream reconnects and resumes its topics with its
 * own `since` through the new leader.
 *
 * The leader beats every BEAT_MS; a visible follower that hears nothing for STEAL_AFTER_MS
 * steals the lock (a frozen leader keeps it). A tab that loses its lock, or hears a higher
 * term, closes its socket at once. On `pagehide` a tab says `bye` (followers take over
 * without waiting for the lock's release) and leaves; on `pageshow` from the back-forward
 * cache it joins again as a follower.
 */
import type { Transport, TransportEvents, TransportFactory } from '../transport.js';
import type { SharingMode } from '../types.js';
import { LeaderElection } from './leader-election.js';
import {
  ABNORMAL,
  BEAT_MS,
  LEADER_CHANGED,
  LEADER_LEFT,
  STEAL_AFTER_MS,
  channelName,
  leaderLockName,
  randomId,
  tabLockName,
  type FromHost,
  type TabMessage,
} from './tab-channel.js';
import { TabRelay } from './tab-relay.js';

export type { SharingMode };

/** What a stream needs from its sharing host. */
export interface ShareHandle {
  readonly transport: TransportFactory;
  readonly mode: SharingMode;
  /** Leader changes this tab has lived through. */
  readonly handoffs: number;
  /** Called when `mode` or `handoffs` change; returns the remover. */
  onChange(listener: () => void): () => void;
  /** The stream is done with the host. */
  release(): void;
}

interface TabLink {
  readonly key: string;
  readonly events: TransportEvents;
  state: 'pending' | 'open' | 'ended';
  /** Local: ends in this tab's relay (we lead). Else: over the channel to the leader of `term`. */
  local: boolean;
  term: number;
  /** The term that was in force when `open` was posted (re-posted under a new one). */
  postedTerm: number;
}

// ---- the tab ------------------------------------------------------------------------

/** This page's identity and its life lock (waited on by leaders and workers to learn that it is gone). */
export const thisTab = {
  id: randomId(),
  /** The life lock is granted: a host may wait on it (before that, its wait would be granted at once). */
  held: false,
  releaseLock: undefined as (() => void) | undefined,
  granted: Promise.resolve() as Promise<void>,
  /** Takes the life lock; the promise settles once it is held. */
  hold(): Promise<void> {
    if (this.releaseLock || typeof navigator === 'undefined' || !navigator.locks) return this.granted;
    const done = new Promise<void>((resolve) => (this.releaseLock = resolve));
    this.granted = new Promise<void>((resolve) => {
      navigator.locks
        .request(tabLockName(this.id), () => {
          this.held = true;
          resolve();
          return done;
        })
        .catch(() => resolve());
    });
    return this.granted;
  },
  letGo(): void {
    const release = this.releaseLock;
    this.releaseLock = undefined;
    this.held = false;
    release?.();
  },
};

const shares = new Map<string, TabShare>();
let pageHooks = false;

function hookPage(): void {
  if (pageHooks || typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
  pageHooks = true;
  window.addEventListener('pagehide', () => {
    for (const share of shares.values()) share.suspend();
    thisTab.letGo();
  });
  window.addEventListener('pageshow', (event: PageTransitionEvent) => {
    if (!event.persisted) return;
    thisTab.hold();
    for (const share of shares.values()) share.wake();
  });
}

/**
 * The tab's share for `url` (one per URL, shared by every stream of it). `open` opens the
 * leader's socket (the page's WebSocket) and `expiry` reads a token's expiry (see RelayOptions):
 * passed in so that this module, loaded lazily, splits nothing out of the main bundle.
 */
export function tabShare(url: string, open: TransportFactory, expiry?: (token: string) => number | undefined): ShareHandle {
  let share = shares.get(url);
  if (!share) {
    share = new TabShare(url, open, expiry);
    shares.set(url, share);
  }
  return share.acquire();
}

export class TabShare {
  private users = 0;
  private channel: BroadcastChannel | undefined;
  private readonly election: LeaderElection;
  private relay: TabRelay | undefined;
  /** Our own term while we lead. */
  private term = 0;
  private leaderTab: string | undefined;
  private lastBeatAt = 0;
  private servedTerm = 0;
  private nextLink = 0;
  private readonly links = new Map<string, TabLink>();
  private readonly listeners = new Set<() => void>();
  private beatTimer: ReturnType<typeof setInterval> | undefined;
  private watchTimer: ReturnType<typeof setInterval> | undefined;
  /** Tabs whose life lock we wait on while leading. */
  private tabWatch: AbortController | undefined;
  private readonly watched = new Set<string>();
  private readonly remoteOut = new Map<string, string[]>();
  private readonly localOut: Array<[string, string]> = [];
  private suspended = false;
  /** Web Locks refused us: every link is a socket of its own from now on. */
  private broken = false;
  handoffs = 0;

  readonly transport: TransportFactory = (_url: string, events: TransportEvents) => this.openLink(events);

  constructor(
    readonly url: string,
    private readonly open: TransportFactory,
    private readonly expiry?: (token: string) => number | undefined,
  ) {
    this.election = new LeaderElection(leaderLockName(url), url, {
      elected: (term) => this.elected(term),
      lost: () => this.resign(false),
      failed: () => this.fallBack(),
    });
  }

  get mode(): SharingMode {
    return this.broken ? 'direct' : this.relay ? 'leader' : 'follower';
  }

  acquire(): ShareHandle {
    this.users++;
    if (this.users === 1) this.join();
    let released = false;
    const listeners = new Set<() => void>();
    const share = this;
    return {
      transport: this.transport,
      get mode() {
        return share.mode;
      },
      get handoffs() {
        return share.handoffs;
      },
      onChange: (listener) => {
        const wrapped = () => listener();
        listeners.add(wrapped);
        this.listeners.add(wrapped);
        return () => {
          listeners.delete(wrapped);
          this.listeners.delete(wrapped);
        };
      },
      release: () => {
        if (released) return;
        released = true;
        for (const l of listeners) this.listeners.delete(l);
        if (--this.users === 0) this.leave();
      },
    };
  }

  /** Diagnostics for tests: role, term, relay counters. */
  get debug() {
    return {
      mode: this.mode,
      term: this.relay ? this.term : this.servedTerm,
      leaderTab: this.relay ? thisTab.id : this.leaderTab,
      links: this.links.size,
      relayLinks: this.relay?.linkCount ?? 0,
      socket: this.relay?.hasSocket ?? false,
    };
  }

  // ---- joining and leaving ---------------------------------------------------------------

  private join(): void {
    hookPage();
    thisTab.hold();
    this.suspended = false;
    const channel = (this.channel = new BroadcastChannel(channelName(this.url)));
    channel.onmessage = (event: MessageEvent) => this.onMessage(event.data as TabMessage);
    this.lastBeatAt = Date.now();
    this.election.start();
    this.post({ k: 'who', tab: thisTab.id });
    this.watchTimer = setInterval(() => this.watch(), BEAT_MS);
  }

  private leave(): void {
    this.suspend();
    shares.delete(this.url);
  }

  /** pagehide (or the last stream gone): say bye, hand the lock on, end every link. */
  suspend(): void {
    if (this.suspended) return;
    this.suspended = true;
    this.post({ k: 'bye', tab: thisTab.id });
    this.resign(true);
    this.election.stop();
    if (this.watchTimer !== undefined) clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    for (const link of [...this.links.values()]) this.endLink(link, LEADER_LEFT, 'page hidden');
    this.channel?.close();
    this.channel = undefined;
  }

  /** pageshow from the back-forward cache: join again, as a follower. */
  wake(): void {
    if (!this.suspended || this.users === 0) return;
    this.join();
  }

  // ---- links -----------------------------------------------------------------------------

  private openLink(events: TransportEvents): Transport {
    if (this.broken) return this.open(this.url, events);
    const key = `${thisTab.id}:${++this.nextLink}`;
    const link: TabLink = { key, events, state: 'pending', local: false, term: 0, postedTerm: this.election.highestTerm };
    this.links.set(key, link);
    if (this.relay) this.serveLocally(link);
    else this.post({ k: 'open', tab: thisTab.id, link: key, alive: thisTab.held });
    return {
      send: (text: string): boolean => {
        if (link.state !== 'open') return false;
        if (link.local) return this.relay?.send(key, text) ?? false;
        return this.post({ k: 'send', link: key, text });
      },
      close: (code: number, reason: string): void => {
        if (link.state === 'ended') return;
        link.state = 'ended';
        this.links.delete(key);
        if (link.local) this.relay?.close(key, code, reason);
        else this.post({ k: 'close', link: key, code, reason });
      },
    };
  }

  /** No election here (Web Locks refused): leave the channel; waiting links end and their streams retry direct. */
  private fallBack(): void {
    if (this.broken) return;
    this.broken = true;
    this.resign(false);
    this.election.stop();
    if (this.watchTimer !== undefined) clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    this.channel?.close();
    this.channel = undefined;
    for (const link of [...this.links.values()]) this.endLink(link, ABNORMAL, 'no Web Locks here');
    this.changed();
  }

  private serveLocally(link: TabLink): void {
    link.local = true;
    link.term = this.term;
    link.state = 'open';
    this.relay!.open(link.key);
    this.served(this.term);
    queueMicrotask(() => {
      if (link.state === 'open' && this.links.get(link.key) === link) link.events.open();
    });
  }

  private endLink(link: TabLink, code: number, reason: string): void {
    if (link.state === 'ended') return;
    link.state = 'ended';
    this.links.delete(link.key);
    try {
      link.events.close(code, reason);
    } catch {
      /* the stream guards its own handlers */
    }
  }

  /** A leader serves us under `term`: a new one after an old one is a hand-off. */
  private served(term: number): void {
    if (term === this.servedTerm) return;
    if (this.servedTerm !== 0) this.handoffs++;
    this.servedTerm = term;
    this.changed();
  }

  private changed(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        /* a listener's problem */
      }
    }
  }

  // ---- leading ---------------------------------------------------------------------------

  private elected(term: number): void {
    if (this.suspended) return this.election.stop();
    this.term = term;
    this.election.noteTerm(term);
    this.relay = new TabRelay(
      this.url,
      {
        deliver: (key, text) => {
          if (key.startsWith(thisTab.id + ':')) this.localOut.push([key, text]);
          else {
            let keys = this.remoteOut.get(text);
            if (!keys) this.remoteOut.set(text, (keys = []));
            keys.push(key);
          }
        },
        flush: () => this.flush(),
        closed: (key, code, reason) => {
          const link = this.links.get(key);
          if (link) this.endLink(link, code, reason);
          else if (!key.startsWith(thisTab.id + ':')) this.post({ k: 'closed', term, link: key, code, reason });
        },
      },
      { transport: this.open, ...(this.expiry ? { expiry: this.expiry } : {}) },
    );
    this.tabWatch = new AbortController();
    this.watched.clear();
    // Links to the old leader end; links waiting for one are served here.
    for (const link of [...this.links.values()]) {
      if (link.state === 'open' && !link.local) this.endLink(link, LEADER_CHANGED, 'leader changed');
      else if (link.state === 'pending') this.serveLocally(link);
    }
    this.served(term);
    this.beat();
    this.beatTimer = setInterval(() => this.beat(), BEAT_MS);
    this.changed();
  }

  /** Stops leading: the socket closes at once and every link to us ends. */
  private resign(leaving: boolean): void {
    const relay = this.relay;
    if (!relay) return;
    if (leaving) this.post({ k: 'bye', term: this.term, tab: thisTab.id });
    this.relay = undefined;
    if (this.beatTimer !== undefined) clearInterval(this.beatTimer);
    this.beatTimer = undefined;
    this.tabWatch?.abort();
    this.tabWatch = undefined;
    this.remoteOut.clear();
    this.localOut.length = 0;
    // Ends local links directly and tells followers their links are gone (closed under our term).
    for (const link of [...this.links.values()]) if (link.local) this.endLink(link, leaving ? LEADER_LEFT : LEADER_CHANGED, 'leader changed');
    relay.dispose(LEADER_CHANGED, 'leader changed');
    this.lastBeatAt = Date.now();
    this.changed();
  }

  private beat(): void {
    if (this.relay) this.post({ k: 'beat', term: this.term, tab: thisTab.id });
  }

  private flush(): void {
    if (this.remoteOut.size > 0) {
      const groups: Array<[string, string[]]> = [...this.remoteOut];
      this.remoteOut.clear();
      this.post({ k: 'frame', term: this.term, groups });
    }
    if (this.localOut.length > 0) {
      const out = this.localOut.splice(0);
      for (const [key, text] of out) {
        const link = this.links.get(key);
        if (link && link.state === 'open') link.events.message(text);
      }
    }
  }

  /** Waits on a follower's life lock: when it is granted, the tab is gone and its links go too. */
  private watchTab(tab: string): void {
    if (this.watched.has(tab) || !this.tabWatch) return;
    this.watched.add(tab);
    const relay = this.relay;
    navigator.locks
      .request(tabLockName(tab), { signal: this.tabWatch.signal }, () => {
        this.watched.delete(tab);
        if (this.relay === relay) relay?.closeMatching(tab + ':');
      })
      .catch(() => {});
  }

  // ---- the channel -----------------------------------------------------------------------

  private post(message: TabMessage): boolean {
    if (!this.channel) return false;
    try {
      this.channel.postMessage(message);
      return true;
    } catch {
      return false;
    }
  }

  private onMessage(message: TabMessage): void {
    if (!message || typeof message !== 'object') return;
    if (this.relay) return this.onMessageAsLeader(message);
    this.onMessageAsFollower(message);
  }

  private onMessageAsLeader(message: TabMessage): void {
    const relay = this.relay!;
    switch (message.k) {
      case 'who':
        return this.beat();
      case 'open':
        if (message.url !== undefined && message.url !== this.url) return;
        relay.open(message.link);
        if (message.alive) this.watchTab(message.tab);
        this.post({ k: 'opened', term: this.term, link: message.link });
        return;
      case 'send':
        if (!relay.has(message.link)) this.post({ k: 'closed', term: this.term, link: message.link, code: LEADER_CHANGED, reason: 'unknown link' });
        else relay.send(message.link, message.text);
        return;
      case 'close':
        return relay.close(message.link, message.code, message.reason);
      case 'bye':
        if ('term' in message) {
          if (message.term > this.term) this.stepDown();
          return;
        }
        return relay.closeMatching(message.tab + ':');
      case 'beat':
        // Another leader under a higher term: we were stolen from (frozen?) and must stop.
        if (message.term > this.term) {
          this.election.noteTerm(message.term);
          this.stepDown();
          this.onMessageAsFollower(message);
        }
        return;
      default:
        return;
    }
  }

  private stepDown(): void {
    this.resign(false);
    this.election.stepDown();
  }

  private onMessageAsFollower(message: TabMessage): void {
    switch (message.k) {
      case 'beat':
        return this.onBeat(message);
      case 'opened': {
        if (message.term < this.election.highestTerm) return;
        const link = this.links.get(message.link);
        if (!link || link.state !== 'pending') return;
        this.onBeat({ k: 'beat', term: message.term, tab: this.leaderTab ?? '' }, false);
        link.state = 'open';
        link.term = message.term;
        this.served(message.term);
        link.events.open();
        return;
      }
      case 'frame': {
        const term = message.term;
        for (const [text, keys] of message.groups) {
          for (const key of keys) {
            const link = this.links.get(key);
            if (link && link.state === 'open' && !link.local && link.term === term) link.events.message(text);
          }
        }
        return;
      }
      case 'closed': {
        const link = this.links.get(message.link);
        if (link && !link.local && (link.state === 'pending' || link.term === message.term)) this.endLink(link, message.code, message.reason);
        return;
      }
      case 'bye': {
        if (!('term' in message)) return;
        if (message.term < this.election.highestTerm) return;
        for (const link of [...this.links.values()]) if (!link.local && link.state === 'open' && link.term === message.term) this.endLink(link, LEADER_LEFT, 'leader left');
        this.lastBeatAt = Date.now();
        return;
      }
      default:
        return;
    }
  }

  private onBeat(message: FromHost & { k: 'beat' }, repost = true): void {
    const term = message.term;
    if (term < this.election.highestTerm) return; // a stale leader
    this.lastBeatAt = Date.now();
    if (term > this.election.highestTerm || this.leaderTab === undefined) {
      this.election.noteTerm(term);
      if (message.tab) this.leaderTab = message.tab;
      // Links to an older leader are gone: their streams reconnect through this one.
      for (const link of [...this.links.values()]) if (!link.local && link.state === 'open' && link.term < term) this.endLink(link, LEADER_CHANGED, 'leader changed');
    }
    if (!repost) return;
    for (const link of this.links.values()) {
      if (link.state !== 'pending' || link.postedTerm === term) continue;
      link.postedTerm = term;
      this.post({ k: 'open', tab: thisTab.id, link: link.key, alive: thisTab.held });
    }
  }

  /** A follower's watchdog: a visible tab takes over from a leader that stopped beating. */
  private watch(): void {
    if (this.relay || this.suspended) return;
    if (this.links.size === 0) return;
    if (Date.now() - this.lastBeatAt < STEAL_AFTER_MS) return;
    if (typeof document !== 'undefined' && document.visibilityState !== 'visible') return;
    this.lastBeatAt = Date.now();
    this.election.steal();
  }
}
