/**
 * The Redis engine (`--redis redis://host:port[/db]`): topics live in Redis, so several
 * server nodes serve the same topics and a client resumes exactly on any of them. Key
 * layout and the write/read scripts: server/engine/redis-scripts.ts; the design:
 * docs/scaling.md.
 *
 * Per topic this node serves, a `Feed` follows the topic's pub/sub channel: subscribed
 * (and confirmed) before the first read, live messages are buffered until the read says
 * where the node is, then delivered in seq order. A live message above the last seq + 1
 * makes the feed read the missing range from the stream before it forwards anything;
 * after the subscriber connection drops, every feed re-subscribes and reads from its last
 * seq. So the followers of a feed see every seq once, in order, within an epoch. A new
 * epoch seen for a served topic (Redis restarted) drops its followers (`onReset`): they
 * reconnect and get a snapshot.
 *
 * While Redis is down the node stays up: commands fail at once (no offline queue) with
 * `EngineUnavailableError` (HTTP 503), `health()` says degraded, and the clients
 * reconnect on their own once it is back.
 */
import { Redis } from 'ioredis';
import {
  applyMergePatch,
  applyUpdateOfKind,
  composeMergePatches,
  INTERVAL_SECONDS,
  INTERVALS,
  parseTopic,
  type Bar,
  type CandleSnapshotData,
  type EventEnvelope,
  type EventsSnapshotData,
  type JsonObject,
  type PortfolioSnapshotData,
  type Trade,
} from '../../src/protocol/index.js';
import { OutMessage } from '../frame-writer.js';
import { PrecisionBook } from '../precision.js';
import { TRADE_ID_WINDOW, type TradeIdWindowOptions, type TradesResult } from '../trade-ids.js';
import { foldStateChange, type StateChange } from './changes.js';
import type { Engine, FollowStart, GoneReason, ResumeOptions, Since, Snapshot, Subscriber, TopicChange, UpdatesSince } from './engine.js';
import { ledgerOf, RedisPortfolios, type SymbolHolders } from './redis-portfolios.js';
import { DOC_SCRIPT, EVENT_SCRIPT, holdersKey, RANGE_SCRIPT, READ_SCRIPT, topicKeys, tradeIdsKey, TRADES_SCRIPT, type TopicKeys } from './redis-scripts.js';
import { candleUpdatePrefix, candleUpdateText } from './update-text.js';

/** Redis is not reachable: the request cannot be served now (HTTP 503). */
export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
}

export interface RedisEngineOptions {
  url: string;
  history: number;
  historyMs?: number;
  exactHistory: number;
  maxBars: number;
  eventsKept: number;
  /** A served topic went to a new epoch (Redis restarted or lost its data): its followers must start over. */
  onReset?(topic: string, followers: Subscriber[]): void;
  log?(line: string): void;
  /** Period (ms) of the check of every served topic's seq against Redis, which catches silent pub/sub loss (default 2,000). */
  checkMs?: number;
  /** A served topic without followers for this long (ms) is unsubscribed (default 30,000). */
  idleMs?: number;
  /** The window of trade ids a trade is deduped against, per symbol (default TRADE_ID_WINDOW, as in memory). */
  tradeIdWindow?: TradeIdWindowOptions;
}

/** TRADES_SCRIPT's reply: six seqs, the duplicates, the symbol's precision (or null) and its holders. */
type TradesReply = Array<number | string | null | string[]>;

interface Live {
  epoch: string;
  seq: number;
  time: string;
  body: string;
}

interface Read {
  epoch: string;
  seq: number;
  gone: GoneReason | '' | 'none';
  /** `<seq>|<time>|<body>` each. */
  entries: string[];
  state: unknown[];
}

/** Messages a feed keeps after delivering them, for followers whose read was a little behind. */
const RECENT = 256;
/** Live messages a feed holds while it repairs or re-reads; past it they are dropped and read back from the stream. */
const MAX_BUFFER = 10_000;

type Kind = 'candles' | 'events' | 'state' | 'portfolio';

function kindOf(topic: string): Kind {
  return topic.slice(0, topic.indexOf(':')) as Kind;
}

/** One topic this node serves. */
class Feed {
  readonly keys: TopicKeys;
  readonly kind: Kind;
  readonly followers = new Map<Subscriber, number>();
  epoch: string | undefined;
  /** Last seq delivered. */
  seq = 0;
  /** The first read is done and `epoch`/`seq` hold (live messages flow). */
  ready = false;
  repairing = false;
  withholdNext = false;
  /** The topic's seq in Redis at the last check, when it was past the last delivered one. */
  suspect: number | undefined;
  /** Follows under way (the feed is not swept while one is). */
  users = 0;
  /** When the feed last had no followers (for the sweep of idle feeds). */
  idleSince = 0;
  buffer: Live[] = [];
  /** Recently delivered messages by seq, for a follower whose read saw an older seq. */
  readonly recent = new Map<number, OutMessage>();
  subscribed: Promise<void> | undefined;
  private readonly prefix: string;

  constructor(
    readonly name: string,
    private readonly engine: RedisEngine,
  ) {
    this.keys = topicKeys(name);
    this.kind = kindOf(name);
    this.prefix = this.kind === 'candles' ? candleUpdatePrefix(name) : `{"op":"update","topic":${JSON.stringify(name)},"seq":`;
  }

  /** The exact text of an update, as the memory engine writes it. */
  text(seq: number, time: string, body: string): string {
    if (this.kind === 'candles') {
      const f = body.split(',').map(Number);
      const bar: Bar = { time: f[0]!, open: f[1]!, high: f[2]!, low: f[3]!, close: f[4]!, volume: f[5]!, trades: f[6]! };
      return candleUpdateText(this.prefix, seq, Number(time), bar);
    }
    return `${this.prefix}${seq},"time":${time},"data":${body}}`;
  }

  receive(message: Live): void {
    if (!this.ready || this.repairing) {
      this.hold(message);
      return;
    }
    this.process(message);
  }

  private hold(message: Live): void {
    if (this.buffer.length >= MAX_BUFFER) this.buffer = []; // read back from the stream later
    this.buffer.push(message);
  }

  private process(message: Live): void {
    if (message.epoch !== this.epoch) {
      this.engine.reset(this, message.epoch, message.seq);
      return;
    }
    if (message.seq <= this.seq) return;
    if (message.seq > this.seq + 1) {
      this.hold(message);
      this.repair(message.seq - 1);
      return;
    }
    this.deliver(message.seq, this.text(message.seq, message.time, message.body));
  }

  deliver(seq: number, json: string): void {
    this.seq = seq;
    if (this.withholdNext) {
      this.withholdNext = false;
      return;
    }
    const message = new OutMessage(json);
    this.recent.set(seq, message);
    if (this.recent.size > RECENT) this.recent.delete(seq - RECENT);
    for (const [subscriber, after] of this.followers) if (seq > after) subscriber.enqueue(message);
  }

  /** Delivers the buffered messages in seq order, until a gap needs a read. */
  drain(): void {
    while (this.ready && !this.repairing && this.buffer.length > 0) {
      this.buffer.sort((a, b) => a.seq - b.seq);
      this.process(this.buffer.shift()!);
    }
  }

  /** Reads the updates after the last delivered seq up to `toSeq` from the stream, delivers them, then the buffer. */
  repair(toSeq: number): void {
    if (this.repairing) return;
    this.repairing = true;
    this.engine.metrics.gapsRepaired++;
    this.engine
      .range(this.keys.stream, this.seq, toSeq)
      .then((entries) => {
        for (const entry of entries) {
          const [seq, time, body] = splitEntry(entry);
          if (seq === this.seq + 1) this.deliver(seq, this.text(seq, time, body));
        }
        // Trimmed away (an outage longer than the history): followers see the gap and resync.
        if (this.seq < toSeq) this.seq = toSeq;
        this.repairing = false;
        this.drain();
      })
      .catch(() => {
        this.repairing = false;
        setTimeout(() => this.drain(), 200).unref?.();
      });
  }
}

/** `<seq>|<time>|<body>` → its parts. */
function splitEntry(entry: string): [number, string, string] {
  const a = entry.indexOf('|');
  const b = entry.indexOf('|', a + 1);
  return [Number(entry.slice(0, a)), entry.slice(a + 1, b), entry.slice(b + 1)];
}

export interface RedisEngineHealth {
  up: boolean;
  /** Times the command connection was lost. */
  outages: number;
  /** Requests refused because Redis was not reachable. */
  refused: number;
}

export class RedisEngine implements Engine {
  private readonly client: Redis;
  private readonly sub: Redis;
  private readonly feeds = new Map<string, Feed>();
  private readonly byChannel = new Map<string, Feed>();
  /** Candle symbols this node has served or published: they exist (empty, seq 0) even after Redis lost them. */
  private readonly symbols = new Set<string>();
  private readonly precision = new PrecisionBook();
  private lastEpoch = 'redis';
  private closed = false;
  readonly metrics = { outages: 0, refused: 0, gapsRepaired: 0, resubscribes: 0, checks: 0 };
  private subReady = false;
  /** Portfolio writes: posts and the re-marks that follow trades. */
  readonly portfolios: RedisPortfolios;

  constructor(private readonly options: RedisEngineOptions) {
    this.portfolios = new RedisPortfolios({
      call: (run) => this.call(run),
      read: (topic) => this.read(topic, undefined, true),
      exactHistory: options.exactHistory,
      ...(options.log ? { log: options.log } : {}),
    });
    const common = { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: (times: number) => Math.min(50 * times, 1000) };
    // Auto-pipelining: the scripts one publish issues in a tick (one per symbol) leave in one write
    // and run back to back, so their updates reach every node together and go out in one frame
    // (test/server/redis-engine.test.ts checks it; the cluster bench prints updates per frame).
    this.client = new Redis(options.url, { ...common, enableAutoPipelining: true });
    this.sub = new Redis(options.url, { ...common, autoResubscribe: false });
    for (const [name, lua] of Object.entries({ lmwTrades: TRADES_SCRIPT, lmwEvent: EVENT_SCRIPT, lmwDoc: DOC_SCRIPT, lmwRead: READ_SCRIPT, lmwRange: RANGE_SCRIPT }))
      this.client.defineCommand(name, { lua });
    this.client.on('error', () => {});
    this.sub.on('error', () => {});
    this.client.on('close', () => {
      if (this.wasUp) {
        this.metrics.outages++;
        if (!this.closed) options.log?.('redis: connection lost; publishes answer 503 until it is back');
      }
      this.wasUp = false;
    });
    this.client.on('ready', () => {
      if (this.metrics.outages > 0) options.log?.('redis: connection back');
      this.wasUp = true;
    });
    this.sub.on('close', () => {
      this.subReady = false;
      for (const feed of this.feeds.values()) feed.ready = false;
    });
    this.sub.on('ready', () => {
      if (this.closed) return;
      this.subReady = true;
      if (this.feeds.size > 0) this.resubscribe();
    });
    this.sub.on('message', (channel: string, payload: string) => this.onMessage(channel, payload));
    this.timer = setInterval(() => void this.check(), options.checkMs ?? 2000);
    this.timer.unref?.();
  }

  private readonly timer: NodeJS.Timeout;

  /**
   * The periodic check: a served topic whose seq in Redis is past the last one delivered
   * (pub/sub lost the last messages and nothing came after them) is repaired from the
   * stream; one in another epoch is reset. Feeds idle for `idleMs` are unsubscribed.
   */
  private async check(): Promise<void> {
    if (this.closed || this.client.status !== 'ready' || !this.subReady) return;
    const now = Date.now();
    const idleMs = this.options.idleMs ?? 30_000;
    const live: Feed[] = [];
    for (const feed of [...this.feeds.values()]) {
      if (feed.followers.size > 0 || feed.users > 0) {
        feed.idleSince = 0;
        if (feed.ready && !feed.repairing && feed.epoch !== undefined) live.push(feed);
        continue;
      }
      if (feed.idleSince === 0) feed.idleSince = now;
      else if (now - feed.idleSince >= idleMs) {
        this.feeds.delete(feed.name);
        this.byChannel.delete(feed.keys.channel);
        void this.sub.unsubscribe(feed.keys.channel).catch(() => {});
      }
    }
    if (live.length === 0) return;
    this.metrics.checks++;
    try {
      const pipeline = this.client.pipeline();
      for (const feed of live) pipeline.hmget(feed.keys.meta, 'epoch', 'seq');
      const replies = (await pipeline.exec()) ?? [];
      live.forEach((feed, i) => {
        const [error, value] = replies[i] ?? [];
        if (error || !Array.isArray(value)) return;
        const [epoch, seq] = value as [string | null, string | null];
        if (epoch === null || !feed.ready || feed.repairing) return;
        if (epoch !== feed.epoch) {
          this.reset(feed, epoch, Number(seq));
          return;
        }
        // Behind what Redis had at the last check: those messages are not coming; read them.
        if (feed.suspect !== undefined && feed.seq < feed.suspect) feed.repair(feed.suspect);
        feed.suspect = Number(seq) > feed.seq ? Number(seq) : undefined;
      });
    } catch {
      // Redis went away meanwhile: the next check tries again.
    }
  }

  private wasUp = false;

  /** Connects both connections; resolves even when Redis is down (the node starts degraded and reconnects). */
  async connect(): Promise<void> {
    await Promise.allSettled([this.client.connect(), this.sub.connect()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.client.disconnect();
    this.sub.disconnect();
  }

  health(): RedisEngineHealth {
    return { up: this.client.status === 'ready' && this.sub.status === 'ready', outages: this.metrics.outages, refused: this.metrics.refused };
  }

  get epoch(): string {
    return this.lastEpoch;
  }

  /** Topics this node serves (the ones it follows for its clients). */
  get topicCount(): number {
    return this.feeds.size;
  }

  /** Redis commands, failing fast with EngineUnavailableError while Redis is down. */
  private async call<T>(run: (client: any) => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') {
      this.metrics.refused++;
      throw new EngineUnavailableError('redis is not reachable');
    }
    try {
      return await run(this.client);
    } catch (error) {
      if (this.client.status !== 'ready') {
        this.metrics.refused++;
        throw new EngineUnavailableError('redis is not reachable');
      }
      throw error;
    }
  }

  private isKnown(topic: string): boolean {
    const parsed = parseTopic(topic);
    return parsed.ok && parsed.topic.kind === 'candles' && this.symbols.has(parsed.topic.symbol);
  }

  async has(topic: string): Promise<boolean> {
    if (this.isKnown(topic)) return true;
    const parsed = parseTopic(topic);
    if (!parsed.ok) return false;
    return (await this.call((c) => c.exists(topicKeys(topic).meta))) === 1;
  }

  private readKeys(topic: string): string[] {
    const k = topicKeys(topic);
    switch (kindOf(topic)) {
      case 'candles':
        return [k.meta, k.stream, k.bars, k.precision];
      case 'events':
        return [k.meta, k.stream, k.list];
      default:
        return [k.meta, k.stream];
    }
  }

  /**
   * The read script: epoch, seq, the updates after `since` (or why not) and, when needed, the
   * state. `cap`: most updates replayed (default: the kind's exact history).
   */
  private async read(topic: string, since: Since | undefined, wantState: boolean, cap?: number): Promise<Read | undefined> {
    const kind = kindOf(topic);
    const keyed = kind === 'candles' || kind === 'portfolio';
    cap ??= keyed ? this.options.exactHistory : this.options.history;
    const maxAge = keyed || this.options.historyMs === undefined ? -1 : this.options.historyMs;
    const keys = this.readKeys(topic);
    const reply = (await this.call((c) =>
      c.lmwRead(keys.length, ...keys, kind, since?.epoch ?? '', since?.seq ?? 0, cap, Date.now(), maxAge, wantState ? '1' : '0', this.isKnown(topic) ? '1' : '0'),
    )) as unknown[];
    if (!reply[0]) return undefined;
    this.lastEpoch = reply[0] as string;
    return {
      epoch: reply[0] as string,
      seq: Number(reply[1]),
      gone: reply[2] as Read['gone'],
      entries: reply[3] as string[],
      state: reply.slice(4),
    };
  }

  /** The range after `afterSeq` up to `toSeq`, `<seq>|<time>|<body>` each. */
  range(stream: string, afterSeq: number, toSeq: number): Promise<string[]> {
    return this.call((c) => c.lmwRange(1, stream, afterSeq, toSeq));
  }

  private snapshotData(topic: string, state: unknown[]): unknown {
    const parsed = parseTopic(topic);
    if (!parsed.ok) throw new Error(`bad topic ${topic}`);
    const t = parsed.topic;
    switch (t.kind) {
      case 'candles': {
        const flat = (state[0] ?? []) as string[];
        const bars: Bar[] = [];
        for (let i = 1; i < flat.length; i += 2) {
          const f = flat[i]!.split(',').map(Number);
          bars.push({ time: f[0]!, open: f[1]!, high: f[2]!, low: f[3]!, close: f[4]!, volume: f[5]!, trades: f[6]! });
        }
        bars.sort((a, b) => a.time - b.time);
        const data: CandleSnapshotData = { symbol: t.symbol, interval: t.interval, bars };
        const [precision, tickSize] = (state[1] ?? []) as (string | null)[];
        if (precision != null) data.precision = Number(precision);
        if (tickSize != null) data.tickSize = Number(tickSize);
        return data;
      }
      case 'events': {
        const events = ((state[0] ?? []) as string[]).map((e) => JSON.parse(e) as EventEnvelope);
        const data: EventsSnapshotData = { channel: t.channel, max: this.options.eventsKept, events };
        return data;
      }
      case 'state':
      case 'portfolio':
        return JSON.parse((state[0] as string | undefined) ?? '{}');
    }
  }

  private noTopic(topic: string): never {
    throw new Error(`no such topic: ${topic}`);
  }

  async updatesSince(topic: string, since: Since, options?: ResumeOptions): Promise<UpdatesSince> {
    const feed = new Feed(topic, this);
    const { read, compacted } = await this.resumeRead(feed, since, options?.compact === true, false);
    if (compacted) return { ok: true, updates: compacted, compacted: true };
    if (read.gone !== '') return { ok: false, gone: read.gone === 'none' ? 'too-old' : read.gone };
    return { ok: true, updates: read.entries.map((e) => feed.text(...splitEntry(e))), compacted: false };
  }

  /**
   * The read for a resume after `since`, with its compacted replay when the client takes one
   * and the kind has one, as the memory engine's topics answer: a candle topic past its exact
   * history replays the bars changed since; a portfolio topic compacts first, to one update at
   * the current seq (exact or a snapshot only when the marks it needs were forgotten); a state
   * topic composes its kept patches into one (exact when there is one, or no single merge
   * patch says them). Events resume exactly.
   */
  private async resumeRead(feed: Feed, since: Since | undefined, compact: boolean, wantState: boolean): Promise<{ read: Read; compacted?: string[] }> {
    const topic = feed.name;
    if (since && compact && feed.kind === 'portfolio') {
      // The document and its ledger at the current seq; the stream is not read (cap 0).
      const read = (await this.read(topic, since, true, 0)) ?? this.noTopic(topic);
      if (read.gone !== 'too-old') return { read };
      const compacted = this.portfolioCompacted(feed, read, since.seq);
      if (compacted) return { read, compacted };
    }
    const read = (await this.read(topic, since, wantState)) ?? this.noTopic(topic);
    if (!since || !compact) return { read };
    let compacted: string[] | undefined;
    if (feed.kind === 'candles' && read.gone === 'too-old') compacted = this.compacted(feed, read, since.seq);
    else if (feed.kind === 'state' && read.gone === '') compacted = this.stateCompacted(feed, read);
    return compacted ? { read, compacted } : { read };
  }

  /** A portfolio topic's one update from `afterSeq` to the read's state (server/engine/row-seqs.ts), or undefined. */
  private portfolioCompacted(feed: Feed, read: Read, afterSeq: number): string[] | undefined {
    if (afterSeq < 0 || read.state.length === 0) return undefined;
    const ledger = ledgerOf(read);
    const data = ledger.seqs.compacted(JSON.parse(read.state[0] as string) as PortfolioSnapshotData, afterSeq);
    return data && [feed.text(read.seq, String(ledger.time), JSON.stringify(data))];
  }

  /** A state topic's read patches composed into one update at the read's seq (the last one's time); undefined when there is one, or no single merge patch says them. */
  private stateCompacted(feed: Feed, read: Read): string[] | undefined {
    if (read.entries.length <= 1) return undefined;
    let patch: JsonObject | undefined = {};
    let time = '';
    for (const entry of read.entries) {
      const [, at, body] = splitEntry(entry);
      patch = composeMergePatches(patch, JSON.parse(body) as JsonObject);
      if (!patch) return undefined;
      time = at;
    }
    return [feed.text(read.seq, time, JSON.stringify(patch))];
  }

  /**
   * A candle topic's compacted replay after `afterSeq` (within the read's epoch): every bar
   * changed after it, at its latest, in the order of those changes, the last one at the
   * read's seq. The time of each is the replay's (a bar's change time is not kept), as in
   * the memory engine.
   */
  private compacted(feed: Feed, read: Read, afterSeq: number): string[] | undefined {
    if (feed.kind !== 'candles' || read.state.length === 0) return undefined;
    const flat = read.state[0] as string[];
    const changed: Array<[number, string]> = [];
    for (let i = 1; i < flat.length; i += 2) {
      const raw = flat[i]!;
      const seq = Number(raw.slice(raw.lastIndexOf(',') + 1));
      if (seq > afterSeq) changed.push([seq, raw]);
    }
    changed.sort((a, b) => a[0] - b[0]);
    if (changed.length === 0 || changed.at(-1)![0] !== read.seq) return undefined;
    const now = String(Date.now());
    return changed.map(([seq, raw]) => feed.text(seq, now, raw.split(',').slice(0, 7).join(',')));
  }

  async snapshot(topic: string): Promise<Snapshot> {
    const read = (await this.read(topic, undefined, true)) ?? this.noTopic(topic);
    return { epoch: read.epoch, seq: read.seq, data: this.snapshotData(topic, read.state) };
  }

  /** The feed of a topic, subscribed (confirmed) to its channel. */
  private async feedFor(topic: string): Promise<Feed> {
    if (!this.subReady || this.sub.status !== 'ready') {
      this.metrics.refused++;
      throw new EngineUnavailableError('redis is not reachable');
    }
    let feed = this.feeds.get(topic);
    if (!feed) {
      feed = new Feed(topic, this);
      this.feeds.set(topic, feed);
      this.byChannel.set(feed.keys.channel, feed);
      const f = feed;
      f.subscribed = this.sub.subscribe(f.keys.channel).then(
        () => undefined,
        (error: unknown) => {
          // Not subscribed: forget the feed, so the next follow tries again.
          if (this.feeds.get(topic) === f && f.followers.size === 0) {
            this.feeds.delete(topic);
            this.byChannel.delete(f.keys.channel);
          }
          f.subscribed = undefined;
          throw error;
        },
      );
      f.subscribed.catch(() => {});
    }
    if (!feed.subscribed) throw new EngineUnavailableError('redis is not reachable');
    await feed.subscribed;
    return feed;
  }

  async follow(topic: string, subscriber: Subscriber, since?: Since, options?: ResumeOptions): Promise<FollowStart> {
    const feed = await this.feedFor(topic);
    feed.users++;
    try {
      return await this.start(feed, subscriber, since, options);
    } finally {
      feed.users--;
    }
  }

  private async start(feed: Feed, subscriber: Subscriber, since: Since | undefined, options: ResumeOptions | undefined): Promise<FollowStart> {
    const topic = feed.name;
    for (let attempt = 0; ; attempt++) {
      // A compact client resumes a candle or portfolio topic from any seq of the epoch, a state topic with one patch.
      const { read, compacted } = await this.resumeRead(feed, since, options?.compact === true, since === undefined);
      if (compacted) read.gone = '';
      if (feed.epoch === undefined) {
        // The first read of the feed: where its live stream starts. (A feed that is catching
        // up after its subscriber connection dropped keeps its seq: its followers need that.)
        feed.epoch = read.epoch;
        feed.seq = read.seq;
        feed.ready = true;
        feed.drain();
      } else if (read.epoch !== feed.epoch) {
        this.reset(feed, read.epoch, read.seq);
        continue;
      }
      // Delivered live since the read (the read's reply came after them): the follower gets
      // those from the feed's recent messages, after its missed updates or folded into its
      // snapshot, so it starts where the feed is. Read again when they are no longer there.
      const extra: string[] = [];
      for (let s = read.seq + 1; s <= feed.seq; s++) {
        const message = feed.recent.get(s);
        if (!message) break;
        extra.push(message.json);
      }
      if (extra.length !== Math.max(0, feed.seq - read.seq)) {
        if (attempt < 5) continue;
        throw new Error(`could not catch up with ${topic}`);
      }
      const seq = read.seq + extra.length;
      this.noteSymbol(topic);
      if (read.gone === '') {
        feed.followers.set(subscriber, seq);
        const updates = compacted ?? read.entries.map((e) => feed.text(...splitEntry(e)));
        return { recovered: true, epoch: read.epoch, seq, missed: [...updates, ...extra], compacted: compacted !== undefined };
      }
      // The read script gives the state whenever it gives no updates: a snapshot at the read's seq.
      let data = this.snapshotData(topic, read.state);
      for (const json of extra) data = applyUpdateOfKind(feed.kind, data, (JSON.parse(json) as { data: unknown }).data, this.options.maxBars);
      feed.followers.set(subscriber, seq);
      return { recovered: false, epoch: read.epoch, seq, snapshot: JSON.stringify({ op: 'snapshot', topic, epoch: read.epoch, seq, data }) };
    }
  }

  private noteSymbol(topic: string): void {
    const parsed = parseTopic(topic);
    if (parsed.ok && parsed.topic.kind === 'candles') this.symbols.add(parsed.topic.symbol);
  }

  unfollow(topic: string, subscriber: Subscriber): void {
    this.feeds.get(topic)?.followers.delete(subscriber);
  }

  withholdNext(topic: string): boolean {
    const feed = this.feeds.get(topic);
    if (!feed) return false;
    feed.withholdNext = true;
    return true;
  }

  /** Dev control `restart`: the epochs live in Redis, one per topic; a node cannot restart them alone. */
  newEpoch(): string {
    return this.lastEpoch;
  }

  private onMessage(channel: string, payload: string): void {
    const feed = this.byChannel.get(channel);
    if (!feed) return;
    const a = payload.indexOf('|');
    const b = payload.indexOf('|', a + 1);
    const c = payload.indexOf('|', b + 1);
    feed.receive({ epoch: payload.slice(0, a), seq: Number(payload.slice(a + 1, b)), time: payload.slice(b + 1, c), body: payload.slice(c + 1) });
  }

  /** A served topic is in another epoch now: its followers start over (they reconnect and get a snapshot). */
  reset(feed: Feed, epoch: string, seq: number): void {
    const followers = [...feed.followers.keys()];
    feed.followers.clear();
    feed.recent.clear();
    feed.buffer = feed.buffer.filter((m) => m.epoch === epoch && m.seq > seq);
    feed.epoch = epoch;
    feed.seq = seq;
    this.lastEpoch = epoch;
    if (followers.length > 0) this.options.onReset?.(feed.name, followers);
  }

  /** After the subscriber connection came back: subscribe every feed again, then read from each one's last seq. */
  private resubscribe(): void {
    this.metrics.resubscribes++;
    const feeds = [...this.feeds.values()];
    this.sub.subscribe(...feeds.map((f) => f.keys.channel)).then(
      () => {
        for (const feed of feeds) void this.catchUp(feed);
      },
      () => {
        // The connection went again; its next 'ready' tries again.
      },
    );
  }

  private async catchUp(feed: Feed, attempt = 0): Promise<void> {
    if (feed.epoch === undefined) return;
    try {
      const read = await this.read(feed.name, { epoch: feed.epoch, seq: feed.seq }, false);
      if (!read) {
        // The topic is gone (Redis lost its data): its followers start over.
        this.reset(feed, '', 0);
        feed.epoch = undefined;
        feed.ready = false;
        this.feeds.delete(feed.name);
        this.byChannel.delete(feed.keys.channel);
        void this.sub.unsubscribe(feed.keys.channel).catch(() => {});
        return;
      }
      if (read.gone === 'other-epoch' || read.gone === 'ahead') this.reset(feed, read.epoch, read.seq);
      else if (read.gone === '') for (const entry of read.entries) {
        const [seq, time, body] = splitEntry(entry);
        if (seq === feed.seq + 1) feed.deliver(seq, feed.text(seq, time, body));
      }
      else feed.seq = read.seq; // too old to repair: followers see the gap and resync
      feed.ready = true;
      feed.drain();
    } catch {
      if (!this.closed && attempt < 50) setTimeout(() => void this.catchUp(feed, attempt + 1), 100).unref?.();
    }
  }

  /** Folds a change in (events and state topics); resolves with the topic's seq after it. */
  async publish(topic: string, change: TopicChange, time = Date.now()): Promise<number> {
    const kind = kindOf(topic);
    if (kind === 'events') return (await this.publishEvents(topic, [{ ...(change as EventEnvelope), time: (change as EventEnvelope).time ?? time }])).seq;
    if (kind === 'state')
      return this.publishDocument<JsonObject>(topic, {}, (doc) => {
        const patch = foldStateChange(doc, change as StateChange);
        return patch && { update: patch, next: applyMergePatch(doc, patch) };
      }, time);
    throw new TypeError(`${kind} topics are not published this way (candles come from trades, portfolio rows through portfolios.post)`);
  }

  /**
   * A change to a `state:` topic (its state is one document), folded here: read the
   * document at a seq, fold, store only if the topic is still at that seq (one script), else
   * read again. `fold` returns the update and the new document, or null when nothing changes
   * (a new topic is then created at seq 0 with `initial`). Resolves with the seq after it.
   */
  async publishDocument<D>(topic: string, initial: D, fold: (doc: D) => { update: unknown; next: D } | null, time = Date.now()): Promise<number> {
    const k = topicKeys(topic);
    for (let attempt = 0; attempt < 20; attempt++) {
      const read = await this.read(topic, undefined, true);
      const doc = read ? (JSON.parse(read.state[0] as string) as D) : initial;
      const folded = fold(doc);
      if (!folded && read) return read.seq;
      const update = folded ? JSON.stringify(folded.update) : '';
      const next = JSON.stringify(folded ? folded.next : doc);
      const reply = (await this.call((c) => c.lmwDoc(2, k.meta, k.stream, this.options.history, time, update, next, read?.epoch ?? '', read?.seq ?? 0))) as [
        string,
        number,
        number,
      ];
      if (Number(reply[2]) === 1) return Number(reply[1]);
    }
    throw new Error(`${topic} changed too often to apply the change`);
  }

  /** The newest trade (by trade time) and the price precision of each symbol, from Redis. */
  async marks(symbols: readonly string[]): Promise<Map<string, { price: number; time: number; precision?: number }>> {
    const marks = new Map<string, { price: number; time: number; precision?: number }>();
    if (symbols.length === 0) return marks;
    const replies = (await this.call((c) => {
      const pipeline = c.pipeline();
      for (const symbol of symbols) pipeline.hmget(topicKeys(`candles:${symbol}:1m`).precision, 'mark', 'markTime', 'precision');
      return pipeline.exec();
    })) as Array<[Error | null, (string | null)[]]>;
    symbols.forEach((symbol, i) => {
      const [error, value] = replies[i] ?? [null, []];
      if (error || !value || value[0] == null) return;
      marks.set(symbol, { price: Number(value[0]), time: Number(value[1]), ...(value[2] != null ? { precision: Number(value[2]) } : {}) });
    });
    return marks;
  }

  /** Events of one publish, all or none, on any node; a known id counts once. Returns the seq after them and how many were stored. */
  async publishEvents(topic: string, events: readonly EventEnvelope[]): Promise<{ seq: number; stored: number }> {
    const k = topicKeys(topic);
    const args: (string | number)[] = [this.options.history, this.options.eventsKept, Math.max(this.options.history, this.options.eventsKept)];
    for (const event of events) args.push(event.time, JSON.stringify(event), event.id ?? '');
    const reply = (await this.call((c) => c.lmwEvent(4, k.meta, k.stream, k.list, k.ids, ...args))) as [string, number, number];
    return { seq: Number(reply[1]), stored: Number(reply[2]) };
  }

  /**
   * Trades into every interval's bars, one script per symbol; a trade id the symbol had lately (on any node) is dropped.
   * Then the portfolios holding those symbols are re-marked (server/engine/redis-portfolios.ts).
   */
  async publishTrades(trades: readonly Trade[]): Promise<TradesResult> {
    const bySymbol = new Map<string, Trade[]>();
    for (const trade of trades) {
      let list = bySymbol.get(trade.symbol);
      if (!list) bySymbol.set(trade.symbol, (list = []));
      list.push(trade);
      this.precision.observe(trade.symbol, trade.price);
    }
    const now = Date.now();
    const window = this.options.tradeIdWindow ?? TRADE_ID_WINDOW;
    const settled = await Promise.allSettled(
      [...bySymbol].map(([symbol, list]) => {
        this.symbols.add(symbol);
        const keys: string[] = [];
        for (const interval of INTERVALS) {
          const k = topicKeys(`candles:${symbol}:${interval}`);
          keys.push(k.meta, k.stream, k.bars, k.times);
        }
        keys.push(topicKeys(`candles:${symbol}:1m`).precision, tradeIdsKey(symbol), holdersKey(symbol));
        const precision = this.precision.of(symbol);
        const args: (string | number)[] = [this.options.maxBars, this.options.exactHistory, now, precision?.precision ?? '', precision?.tickSize ?? ''];
        for (const interval of INTERVALS) args.push(INTERVAL_SECONDS[interval]);
        args.push(window.count, window.ms);
        for (const t of list) args.push(t.price, t.size, t.time, t.id ?? '');
        return this.call((c) => c.lmwTrades(keys.length, ...keys, ...args)) as Promise<TradesReply>;
      }),
    );
    // Each reply: the six intervals' seqs, the duplicates dropped, the symbol's precision and the
    // accounts holding it, which the portfolios' re-mark takes (as in memory, after the bars).
    const held = new Map<string, SymbolHolders>();
    let duplicates = 0;
    [...bySymbol].forEach(([symbol, list], i) => {
      const s = settled[i]!;
      if (s.status !== 'fulfilled') return;
      const dropped = Number(s.value[INTERVALS.length]);
      duplicates += dropped;
      const precision = s.value[INTERVALS.length + 1];
      const accounts = s.value[INTERVALS.length + 2] as string[];
      // A batch of only retries changed nothing to re-mark from.
      if (dropped < list.length && accounts.length > 0) held.set(symbol, { accounts, ...(precision != null ? { precision: Number(precision) } : {}) });
    });
    await this.portfolios.remark(trades, held);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return { accepted: trades.length - duplicates, duplicates };
  }

  /** A venue's tick size for `symbol` (simulated symbols): its snapshots' precision. */
  declareTickSize(symbol: string, tickSize: number): void {
    this.precision.declare(symbol, tickSize);
    this.symbols.add(symbol);
  }
}
