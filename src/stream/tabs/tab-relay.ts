/**
 * The relay: the one socket to a server URL, shared by the links of every tab's stream.
 * It runs in the leader tab (tab-share.ts) or in a shared worker (shared-worker.ts).
 *
 * Each link is one tab stream's Transport (see ../transport.ts). The stream speaks protocol
 * v1 over it as if it held the socket, and the relay plays the server's part where it
 * must: it answers `hello` with the socket's `welcome`, maps each link's request ids
 * (`sub`, `unsub`, `ping`) to ids of its own and the answers back, counts the holders of
 * each topic across links (one wire `sub` stays while any link holds the topic; the wire
 * `unsub` goes when the last one lets go) and routes topic traffic only to the links that
 * hold the topic. Every link keeps its own `{epoch, seq}`: its `sub` goes to the server
 * with its own `since`, so a resume after a hand-off rides on the server's resume, and an
 * update reaches a link only once (a seq at or below what the link was last given is not
 * sent again). The tab's stream still drops duplicates itself, so nothing depends on this.
 */
import type { Transport, TransportFactory } from '../transport.js';
import { ABNORMAL, CLOSE, PROTOCOL_VERSION } from './tab-channel.js';

/** Where the relay's output goes: one call per frame per link, then `flush()` once per server frame. */
export interface RelayOutput {
  /** Protocol text for one link (a whole server frame, or the part of it the link should see). */
  deliver(link: string, text: string): void;
  /** The end of one server frame's deliveries (a batching point for the carrier). */
  flush(): void;
  /** The relay ended this link (socket closed, relay disposed). Not called for links closed by their tab. */
  closed(link: string, code: number, reason: string): void;
}

interface LinkTopic {
  /** The link's `subscribed` went by: topic traffic flows to it. */
  live: boolean;
  /** A snapshot is due (its `subscribed` said `recovered: false`). */
  snapshotDue: boolean;
  /** The highest seq this link was given (updates at or below are not sent again). */
  lastSeq: number;
  /** The `since.seq` of the link's pending `sub`, if it had one. */
  sinceSeq: number | undefined;
}

interface Link {
  readonly key: string;
  /** Sent `hello`; waiting for the socket's `welcome`. */
  awaitingWelcome: boolean;
  welcomed: boolean;
  readonly topics: Map<string, LinkTopic>;
}

/** A request forwarded under the relay's id: whose it was. */
interface Forwarded {
  link: string | undefined;
  id: number;
  op: string;
  topic?: string;
}

type Message = Record<string, any>;

export interface RelayOptions {
  /** Opens the socket (in the page and the worker: a WebSocket). */
  transport: TransportFactory;
  /**
   * A token's expiry in epoch ms, or undefined (src/stream/token.ts `jwtExpiryMs`; passed in so
   * the lazily loaded relay shares the main bundle's copy). Without it tokens are not compared.
   */
  expiry?: (token: string) => number | undefined;
  /** Defers a callback (default queueMicrotask): the relay's own answers never arrive inside a send(). */
  defer?: (fn: () => void) => void;
  now?: () => number;
}

export class TabRelay {
  private socket: Transport | undefined;
  private socketOpen = false;
  private welcome: Message | undefined;
  private welcomeAt = 0;
  private helloToken: string | undefined;
  private helloSent = false;
  private lastToken: string | undefined;
  private readonly links = new Map<string, Link>();
  /** Topic -> links holding it (sent `sub`, no `unsub` yet). */
  private readonly holders = new Map<string, Set<string>>();
  private readonly forwarded = new Map<number, Forwarded>();
  private nextId = 1;
  private disposed = false;
  /** Sockets opened over the relay's life (diagnostics, tests). */
  socketsOpened = 0;
  /** Frames the relay sent on its socket, by op (diagnostics, tests). */
  readonly sentOps: Record<string, number> = {};
  private readonly defer: (fn: () => void) => void;
  private readonly now: () => number;

  constructor(
    readonly url: string,
    private readonly output: RelayOutput,
    private readonly options: RelayOptions,
  ) {
    this.defer = options.defer ?? ((fn) => queueMicrotask(fn));
    this.now = options.now ?? Date.now;
  }

  /** Links attached, and the topics held across them (diagnostics, tests). */
  get linkCount(): number {
    return this.links.size;
  }

  /** How many links hold `topic`. */
  holdersOf(topic: string): number {
    return this.holders.get(topic)?.size ?? 0;
  }

  get hasSocket(): boolean {
    return this.socket !== undefined;
  }

  /** Attaches a link; it is open at once (the tab's stream then sends `hello`). */
  open(key: string): void {
    if (this.disposed) return void this.defer(() => this.output.closed(key, CLOSE.GoingAway, 'relay closed'));
    if (this.links.has(key)) return; // asked twice (a re-posted open): the link stays as it is
    this.links.set(key, { key, awaitingWelcome: false, welcomed: false, topics: new Map() });
    // The socket starts with the first link, as a stream's own would; `hello` waits for the link's.
    if (!this.socket) this.openSocket();
  }

  has(key: string): boolean {
    return this.links.has(key);
  }

  /** Protocol text from a link. False when the link is unknown (closed). */
  send(key: string, text: string): boolean {
    const link = this.links.get(key);
    if (!link) return false;
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return this.forward(text, 'bad'); // let the server say what is wrong
    }
    if (message === null || typeof message !== 'object') return this.forward(text, 'bad');
    switch (message.op) {
      case 'hello':
        return this.onHello(link, message);
      case 'sub': {
        const topic = String(message.topic);
        let held = this.holders.get(topic);
        if (!held) this.holders.set(topic, (held = new Set()));
        held.add(key);
        const since = message.since as { seq?: unknown } | undefined;
        link.topics.set(topic, {
          live: false,
          snapshotDue: false,
          lastSeq: -1,
          sinceSeq: since && typeof since.seq === 'number' ? since.seq : undefined,
        });
        return this.forwardRequest(link, message, topic);
      }
      case 'unsub': {
        const topic = String(message.topic);
        link.topics.delete(topic);
        const held = this.holders.get(topic);
        held?.delete(key);
        if (held && held.size > 0) {
          // Another tab still holds it: answer here, the wire subscription stays.
          const answer = JSON.stringify({ op: 'unsubscribed', id: message.id, topic });
          this.defer(() => {
            if (!this.links.has(key)) return;
            this.output.deliver(key, answer);
            this.output.flush();
          });
          return true;
        }
        this.holders.delete(topic);
        return this.forwardRequest(link, message, topic);
      }
      case 'ping':
        return this.forwardRequest(link, message);
      case 'refresh':
        if (typeof message.token !== 'string') return this.forward(text, 'refresh');
        // Tabs refresh on their own timers: a token that would shorten the session's grant stays here.
        if (!this.outlives(message.token, this.lastToken)) return true;
        this.lastToken = message.token;
        return this.forward(text, 'refresh');
      default:
        return this.forward(text, String(message.op));
    }
  }

  /**
   * Detaches a link (its tab closed it); topics only it held are unsubscribed on the wire.
   * The last link's close closes the socket with the link's code and reason (a connect
   * timeout, an idle close), as the stream would have closed a socket of its own. A link that
   * gives up on the socket (4008: connect or heartbeat timeout) ends it for every link.
   */
  close(key: string, code: number = CLOSE.Normal, reason = 'idle'): void {
    const link = this.links.get(key);
    if (!link) return;
    this.links.delete(key);
    if (code === CLOSE.ClientTimeout && this.socket) {
      // A stream judged the socket dead (no welcome, or no frame for two heartbeats): it is the
      // same socket for every link, so all of them start again on a fresh one.
      return this.endAll(code, reason);
    }
    this.forget(link);
    if (this.links.size === 0) this.closeSocket(code, reason);
  }

  /** Detaches every link whose key starts with `prefix` (a tab that left). */
  closeMatching(prefix: string): void {
    for (const key of [...this.links.keys()]) if (key.startsWith(prefix)) this.close(key);
  }

  /** Closes the socket and ends every link with `code`/`reason` (their streams reconnect). */
  dispose(code: number = CLOSE.GoingAway, reason = 'relay closed'): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endAll(code, reason);
  }

  /**
   * Whether `token` should replace `current` as the session's grant: another token that
   * expires later (a JWT's `exp`), or any other token when either has no `exp` to compare.
   */
  private outlives(token: string, current: string | undefined): boolean {
    if (current === undefined) return true;
    if (token === current) return false;
    const expiry = this.options.expiry;
    const next = expiry?.(token);
    const now = expiry?.(current);
    return next === undefined || now === undefined || next > now;
  }

  // ---- from the links -----------------------------------------------------------------

  private onHello(link: Link, message: Message): boolean {
    const token = typeof message.token === 'string' ? message.token : undefined;
    if (this.welcome && this.socketOpen) {
      // Another tab's token for the same session: it becomes the session's grant if it lives longer.
      if (token !== undefined && this.outlives(token, this.lastToken)) {
        this.lastToken = token;
        this.forward(JSON.stringify({ op: 'refresh', token }), 'refresh');
      }
      link.welcomed = true;
      const key = link.key;
      this.defer(() => {
        if (!this.links.has(key)) return;
        this.output.deliver(key, this.welcomeText());
        this.output.flush();
      });
      return true;
    }
    link.awaitingWelcome = true;
    // The socket's hello takes the longest-lived token the links offer (a tab without one never blanks it).
    if (!this.helloSent && token !== undefined && (this.helloToken === undefined || this.outlives(token, this.helloToken))) this.helloToken = token;
    if (!this.socket) this.openSocket();
    else this.sayHello();
    return true;
  }

  /** The socket's `hello`, once it is open and a link has said its own (with the token in it). */
  private sayHello(): void {
    const socket = this.socket;
    if (!socket || !this.socketOpen || this.helloSent) return;
    if (![...this.links.values()].some((link) => link.awaitingWelcome)) return;
    this.helloSent = true;
    this.lastToken = this.helloToken;
    // Every kit that speaks this tab protocol takes compacted replays (TopicRecord), so the shared
    // socket asks for them as a tab's own would; a kit without them needs a new tab protocol version.
    const caps = ['compact'];
    const hello =
      this.helloToken === undefined ? { op: 'hello', v: PROTOCOL_VERSION, caps } : { op: 'hello', v: PROTOCOL_VERSION, token: this.helloToken, caps };
    try {
      if (socket.send(JSON.stringify(hello))) this.sentOps.hello = (this.sentOps.hello ?? 0) + 1;
    } catch {
      /* the close event follows */
    }
  }

  private forwardRequest(link: Link, message: Message, topic?: string): boolean {
    const id = this.nextId++;
    this.forwarded.set(id, { link: link.key, id: Number(message.id), op: String(message.op), ...(topic !== undefined ? { topic } : {}) });
    return this.forward(JSON.stringify({ ...message, id }), String(message.op));
  }

  private forward(text: string, op: string): boolean {
    if (!this.socket || !this.socketOpen || !this.welcome) return false;
    try {
      if (!this.socket.send(text)) return false;
    } catch {
      return false;
    }
    this.sentOps[op] = (this.sentOps[op] ?? 0) + 1;
    return true;
  }

  private forget(link: Link): void {
    for (const topic of link.topics.keys()) {
      const held = this.holders.get(topic);
      if (!held) continue;
      held.delete(link.key);
      if (held.size === 0) {
        this.holders.delete(topic);
        const id = this.nextId++;
        this.forwarded.set(id, { link: undefined, id: 0, op: 'unsub', topic });
        this.forward(JSON.stringify({ op: 'unsub', id, topic }), 'unsub');
      }
    }
    for (const [id, entry] of this.forwarded) if (entry.link === link.key) entry.link = undefined;
  }

  // ---- the socket -------------------------------------------------------------------

  private openSocket(): void {
    this.welcome = undefined;
    this.socketOpen = false;
    this.helloSent = false;
    let socket: Transport | undefined;
    try {
      this.socketsOpened++;
      socket = this.options.transport(this.url, {
        open: () => {
          if (this.socket !== socket) return;
          this.socketOpen = true;
          this.sayHello();
        },
        message: (data) => {
          if (this.socket === socket) this.onFrame(data);
        },
        close: (code, reason) => {
          if (this.socket !== socket) return;
          this.socket = undefined;
          this.endAll(code, reason);
        },
      });
      this.socket = socket;
    } catch (error) {
      // Reported after the caller's open() returned, as a socket's close event would be.
      const reason = (error instanceof Error ? error.message : String(error)).slice(0, 120);
      this.defer(() => {
        if (!this.socket) this.endAll(ABNORMAL, reason);
      });
    }
  }

  private closeSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    this.socketOpen = false;
    this.helloSent = false;
    this.helloToken = undefined;
    this.welcome = undefined;
    this.holders.clear();
    this.forwarded.clear();
    if (socket) {
      try {
        // A browser socket takes only 1000 and 3000-4999 (the links' codes are ours, e.g. 1012).
        socket.close(code === CLOSE.Normal || (code >= 3000 && code <= 4999) ? code : CLOSE.Normal, reason.slice(0, 120));
      } catch {
        /* already closing */
      }
    }
  }

  /** The socket ended (or the relay did): every link ends with the same code, and each stream reconnects. */
  private endAll(code: number, reason: string): void {
    this.closeSocket(code, reason);
    const keys = [...this.links.keys()];
    this.links.clear();
    for (const key of keys) this.output.closed(key, code, reason);
  }

  private welcomeText(): string {
    const w = this.welcome!;
    return JSON.stringify({ ...w, serverTime: Number(w.serverTime) + (this.now() - this.welcomeAt) });
  }

  // ---- server frames ------------------------------------------------------------------

  private onFrame(data: unknown): void {
    if (typeof data !== 'string') {
      for (const key of this.links.keys()) this.output.deliver(key, '"binary frame"');
      this.output.flush();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      // Let every link's stream see (and report) the bad frame.
      for (const key of this.links.keys()) this.output.deliver(key, data);
      this.output.flush();
      return;
    }
    const messages = (Array.isArray(parsed) ? parsed : [parsed]) as Message[];
    /** Per link: the messages it gets, and whether any was rewritten. */
    const out = new Map<string, { messages: Message[]; rewritten: boolean }>();
    const give = (key: string, message: Message, rewritten = false) => {
      let entry = out.get(key);
      if (!entry) out.set(key, (entry = { messages: [], rewritten: false }));
      entry.messages.push(message);
      if (rewritten) entry.rewritten = true;
    };
    for (const message of messages) {
      if (message === null || typeof message !== 'object') {
        for (const key of this.links.keys()) give(key, message);
        continue;
      }
      this.route(message, give);
    }
    for (const [key, entry] of out) {
      const whole = !entry.rewritten && entry.messages.length === messages.length;
      const text = whole ? data : JSON.stringify(entry.messages.length === 1 ? entry.messages[0] : entry.messages);
      this.output.deliver(key, text);
    }
    if (out.size > 0) this.output.flush();
  }

  private route(message: Message, give: (key: string, message: Message, rewritten?: boolean) => void): void {
    switch (message.op) {
      case 'update': {
        const held = this.holders.get(message.topic);
        if (!held) return;
        const seq = Number(message.seq);
        for (const key of held) {
          const t = this.links.get(key)?.topics.get(message.topic);
          if (!t || !t.live || seq <= t.lastSeq) continue;
          t.lastSeq = seq;
          give(key, message);
        }
        return;
      }
      case 'snapshot': {
        const held = this.holders.get(message.topic);
        if (!held) return;
        for (const key of held) {
          const t = this.links.get(key)?.topics.get(message.topic);
          if (!t || !t.live || !t.snapshotDue) continue;
          t.snapshotDue = false;
          t.lastSeq = Number(message.seq);
          give(key, message);
        }
        return;
      }
      case 'welcome': {
        this.welcome = message;
        this.welcomeAt = this.now();
        for (const link of this.links.values()) {
          if (!link.awaitingWelcome) continue;
          link.awaitingWelcome = false;
          link.welcomed = true;
          give(link.key, message);
        }
        return;
      }
      case 'subscribed':
      case 'unsubscribed':
      case 'pong': {
        const entry = this.forwarded.get(message.id);
        if (!entry) return;
        this.forwarded.delete(message.id);
        if (entry.link === undefined) return;
        if (message.op === 'subscribed') {
          const t = this.links.get(entry.link)?.topics.get(message.topic);
          if (t) {
            t.live = true;
            t.snapshotDue = !message.recovered;
            t.lastSeq = message.recovered && t.sinceSeq !== undefined ? t.sinceSeq : Number(message.seq);
          }
        }
        give(entry.link, { ...message, id: entry.id }, true);
        return;
      }
      case 'error': {
        if (message.id !== undefined) {
          const entry = this.forwarded.get(message.id);
          if (!entry) return;
          this.forwarded.delete(message.id);
          if (entry.link === undefined) return;
          if (entry.op === 'sub' && entry.topic !== undefined) {
            // The topic was refused for this link: it no longer holds it.
            this.links.get(entry.link)?.topics.delete(entry.topic);
            const held = this.holders.get(entry.topic);
            held?.delete(entry.link);
            if (held && held.size === 0) this.holders.delete(entry.topic);
          }
          give(entry.link, { ...message, id: entry.id }, true);
          return;
        }
        if (typeof message.topic === 'string') {
          // The server ended a subscription (a refreshed token no longer grants it): every holder hears it.
          const held = this.holders.get(message.topic);
          if (!held) return;
          for (const key of held) {
            this.links.get(key)?.topics.delete(message.topic);
            give(key, message);
          }
          if (message.code === 'forbidden') this.holders.delete(message.topic);
          return;
        }
        for (const link of this.links.values()) give(link.key, message);
        return;
      }
      default:
        for (const link of this.links.values()) if (link.welcomed || link.awaitingWelcome) give(link.key, message);
    }
  }
}

