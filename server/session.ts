/**
 * One client session: the hello handshake (with token auth when enabled), the ops,
 * error frames, per-connection limits and the outgoing queue. Topics are reached only
 * through the engine (server/engine/engine.ts). What the session sends goes through its
 * send queue (server/send-queue.ts), written at the reader's pace: live updates and
 * answers as shared messages, and what a `sub` asked for as a deferred reply that
 * follows the topic and produces `subscribed` plus the snapshot or the missed updates
 * only when the queue reaches it (`SubReply`). Frames are built once for every client
 * with the same run of messages and written by the session's FrameWriter
 * (server/frame-writer.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import {
  CloseCode,
  MAX_TOPIC_LENGTH,
  parseClientFrame,
  PROTOCOL_VERSION,
  type ErrorCode,
  type HelloMessage,
  type PingMessage,
  type RefreshMessage,
  type SubMessage,
  type UnsubMessage,
} from '../src/protocol/index.js';
import { grantAllows, type Grant, type TokenVerifier } from './auth.js';
import type { Awaitable, Engine, Since, Subscriber } from './engine/engine.js';
import { FlushTurn, FrameWriter, OutMessage } from './frame-writer.js';
import { FrameRateLimiter } from './limits.js';
import type { ServerMetrics } from './metrics.js';
import { SendQueue, type DeferredReply } from './send-queue.js';
import type { SnapshotMessages } from './snapshot-messages.js';
import { checkTopicName, unknownTopicMessage } from './topic-names.js';

export interface SessionLimits {
  /** Client frames per second (token bucket refill); 0 = no rate limit. */
  clientRate: number;
  /** Token bucket size (frames accepted at once). */
  clientBurst: number;
  /** Topics one connection may hold at once (followed, or with a reply still queued). */
  maxSubscriptions: number;
  /** Send-buffer high-water mark: the queue writes while the buffer is under it; 0 = no flow control, no cut. */
  maxBufferedBytes: number;
  /** How long the send buffer may stay at or past the mark without draining before the client is closed (4408). */
  slowConsumerMs: number;
}

export interface SessionContext {
  readonly engine: Engine;
  /** Snapshot messages shared by every client at the same (topic, seq). */
  readonly snapshots: SnapshotMessages;
  readonly metrics: ServerMetrics;
  readonly heartbeatMs: number;
  readonly helloTimeoutMs: number;
  readonly limits: SessionLimits;
  /** Set when auth is on (`--auth-secret`): hello and refresh tokens are verified with it. */
  readonly auth: TokenVerifier | undefined;
  /** Called when a session has something to write (once until its `flush` runs). */
  scheduleFlush(session: Session): void;
  closed(session: Session): void;
}

/** Close reasons must fit in 123 bytes. */
const reasonText = (reason: string) => (Buffer.byteLength(reason) <= 123 ? reason : reason.slice(0, 100));
/** Longest text of an error message (they may quote a little of what the client sent). */
export const MAX_ERROR_MESSAGE_LENGTH = 200;
/** Most messages one session may have queued; more is treated as a slow consumer. */
export const MAX_PENDING_MESSAGES = 100_000;
/** Text of queued messages one session may hold, as a multiple of the high-water mark (8 MiB by default). */
export const BACKLOG_MARKS = 8;
/** Frames kept while a token is verified or the engine answers (they are handled in order afterwards). */
export const MAX_INBOX_FRAMES = 256;
/** Longest wait for setTimeout (about 24.8 days); later expiries re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Where a session is: waiting for the client's `hello` (and its token check), open
 * (welcome sent, ops served), closing (close frame sent, nothing more queued or read),
 * closed (the socket is gone). It only moves forward: awaiting-hello -> open (`open`),
 * any -> closing (`close`), any -> closed (the socket's close event). Two conditions
 * stay flags because they hold in any phase: `silenced` (a dev control's fault) and
 * `waiting` (frames are held in the inbox while a token check or engine read runs).
 */
export type SessionPhase = 'awaiting-hello' | 'open' | 'closing' | 'closed';

export class Session implements Subscriber {
  readonly id = randomUUID();
  /**
   * Names of the topics this session holds, as its client sees them: followed, or with
   * their reply still queued. The subscription limit counts these.
   */
  readonly topics = new Set<string>();
  /** Topics whose live updates the engine delivers to this session. */
  private readonly following = new Set<string>();
  /** Per topic, its replies and `unsubscribed` answers still queued. */
  private readonly queuedOps = new Map<string, number>();
  /** Last time the client showed a sign of life (a frame or a pong). */
  lastSeen = Date.now();
  /** Dev control, in any phase: the server neither sends nor reads on this socket any more. */
  silenced = false;
  private phase: SessionPhase = 'awaiting-hello';
  /** The client announced `compact` in `hello.caps`: its resumes may be compacted. */
  private compact = false;
  private readonly queue: SendQueue;
  private helloTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly limiter: FrameRateLimiter;
  /** What the session's token grants (auth on only). */
  private grant: Grant | undefined;
  /** A token check or an engine read is under way: frames wait in the inbox, in order. */
  private waiting = false;
  private inbox: Array<[RawData, boolean]> = [];

  constructor(
    readonly ws: WebSocket,
    private readonly ctx: SessionContext,
    /** Client address (for the per-IP connection limit). */
    readonly address: string,
    /** The socket `ws` took over in the upgrade (what `ws` writes to). */
    socket: Duplex,
  ) {
    const { maxBufferedBytes, slowConsumerMs } = ctx.limits;
    this.queue = new SendQueue(
      new FrameWriter(ws, socket, maxBufferedBytes),
      { highWater: maxBufferedBytes, slowConsumerMs, maxBacklogChars: BACKLOG_MARKS * maxBufferedBytes, maxMessages: MAX_PENDING_MESSAGES },
      {
        schedule: () => ctx.scheduleFlush(this),
        slow: (why) => this.dropSlowConsumer(why),
        failed: () => this.close(CloseCode.InternalError, 'internal error while reading the topic'),
      },
    );
    this.limiter = new FrameRateLimiter(ctx.limits.clientRate, ctx.limits.clientBurst, Date.now());
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('pong', () => {
      this.lastSeen = Date.now();
    });
    ws.on('error', (error: Error & { code?: string }) => {
      // ws closes the socket itself (1009 for an oversized frame, 1002/1007 for protocol errors).
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') ctx.metrics.closed(CloseCode.MessageTooBig);
      else if (error.code === 'WS_ERR_INVALID_UTF8') ctx.metrics.closed(CloseCode.InvalidPayload);
      else if (error.code?.startsWith('WS_ERR_')) ctx.metrics.closed(CloseCode.ProtocolError);
    });
    ws.on('close', () => this.onClosed());
    this.helloTimer = setTimeout(() => this.close(CloseCode.BadHello, `no hello within ${ctx.helloTimeoutMs} ms`), ctx.helloTimeoutMs);
  }

  /** Queues a message (the same object for every client it goes to). */
  enqueue(message: OutMessage): void {
    if (this.gone || this.silenced) return;
    if (!this.queue.push(message))
      this.dropSlowConsumer(`more than ${MAX_PENDING_MESSAGES} messages or ${BACKLOG_MARKS * this.ctx.limits.maxBufferedBytes} bytes queued`);
  }

  private pushReply(reply: DeferredReply): void {
    if (this.gone || this.silenced) return;
    if (!this.queue.pushReply(reply)) this.dropSlowConsumer(`more than ${MAX_PENDING_MESSAGES} messages and replies queued`);
  }

  private enqueueJson(json: string): void {
    this.enqueue(new OutMessage(json));
  }

  /**
   * Writes from the queue while the socket takes data (server/send-queue.ts). Frames come
   * from `turn`, which builds each distinct run of messages' frames once for all the
   * sessions it flushes, and counts what is sent. A client that stops taking data is
   * closed (4408) by the queue's slow-consumer rule and resumes from history when it
   * reconnects.
   */
  flush(turn?: FlushTurn): void {
    if (this.silenced || this.ws.readyState !== WebSocket.OPEN) {
      this.queue.stop(); // the socket is going (or silenced): nothing more is written
      return;
    }
    // Outside the server's flush of a turn (a close), the session has a turn of its own.
    const into = turn ?? new FlushTurn();
    // A closing session writes what is queued before its first reply, and no reply.
    this.queue.flush(into, this.gone);
    if (!turn) into.report(this.ctx.metrics);
  }

  /** Closes with a protocol close code (after sending what is queued); terminates if the client does not answer. */
  close(code: number, reason: string, flush = true): void {
    if (this.gone) return;
    this.phase = 'closing';
    this.inbox = [];
    clearTimeout(this.expiryTimer);
    if (flush) this.flush();
    this.queue.stop();
    this.ctx.metrics.closed(code);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reasonText(reason));
    this.killTimer ??= setTimeout(() => this.ws.terminate(), 2000);
    this.killTimer.unref?.();
  }

  terminate(reason: string): void {
    this.ctx.metrics.closed(reason);
    this.ws.terminate();
  }

  /** Stops sending and reading: for the client the link is dead. */
  silence(): void {
    this.silenced = true;
    this.queue.stop();
    this.inbox = [];
    this.ws.pause();
  }

  /**
   * Dev control: the upgrade completed but the handshake hangs. Like `silence()` from the
   * start (nothing sent, nothing read, so `hello` is never answered) and without the hello
   * timeout: the client did nothing wrong, so no 4400; whoever stalled it terminates it.
   */
  stall(): void {
    clearTimeout(this.helloTimer);
    this.silence();
  }

  /** One heartbeat turn: terminate a client silent for two intervals, else ping it. */
  heartbeat(now: number): void {
    if (this.silenced || this.phase === 'closed' || this.ws.readyState !== WebSocket.OPEN) return;
    if (now - this.lastSeen > 2 * this.ctx.heartbeatMs) {
      this.terminate('heartbeat');
      return;
    }
    this.ws.ping();
  }

  /**
   * The client stopped taking data: stop fan-out to it at once, drop what is queued and
   * close with 4408. What ws already buffered still goes out before the close frame (if
   * the client reads it within the 2 s kill delay).
   */
  private dropSlowConsumer(why: string): void {
    if (this.gone) return;
    this.unsubscribeAll();
    this.queue.stop();
    this.close(CloseCode.SlowConsumer, `slow consumer: ${why}`, false);
  }

  private unsubscribeAll(): void {
    for (const name of this.following) this.ctx.engine.unfollow(name, this);
    this.following.clear();
    this.topics.clear();
    this.queuedOps.clear();
  }

  /** Stops the engine's live delivery of `name` (the topic may stay held). */
  private unfollow(name: string): void {
    if (this.following.delete(name)) this.ctx.engine.unfollow(name, this);
  }

  private addOp(name: string): void {
    this.queuedOps.set(name, (this.queuedOps.get(name) ?? 0) + 1);
  }

  /** One queued op of `name` is written; returns whether others are still queued after it. */
  private releaseOp(name: string): boolean {
    const left = (this.queuedOps.get(name) ?? 1) - 1;
    if (left > 0) this.queuedOps.set(name, left);
    else this.queuedOps.delete(name);
    return left > 0;
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.silenced || this.gone) return;
    const now = Date.now();
    this.lastSeen = now;
    const verdict = this.limiter.take(now);
    if (verdict !== 'accept') {
      this.ctx.metrics.frameDropped();
      if (verdict === 'close') this.close(CloseCode.RateLimited, 'rate limit exceeded');
      else if (verdict === 'drop-and-notify')
        this.sendError('rate_limited', `over ${this.limiter.rate} frames/s (burst ${this.limiter.burst}): frames are being dropped unread`);
      return;
    }
    if (this.waiting) {
      if (this.inbox.length >= MAX_INBOX_FRAMES) this.close(CloseCode.RateLimited, 'too many frames while the token is verified');
      else this.inbox.push([data, isBinary]);
      return;
    }
    this.handle(data, isBinary);
  }

  private handle(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      if (this.phase === 'awaiting-hello') this.rejectHello('the first frame must be a hello text frame');
      else this.sendError('bad_request', 'binary frames are not supported; send JSON text frames');
      return;
    }
    const result = parseClientFrame(data.toString());
    if (this.phase === 'awaiting-hello') {
      if (!result.ok) this.rejectHello(`the first frame must be a valid hello: ${result.message}`);
      else if (result.message.op !== 'hello') this.rejectHello(`the first frame must be a hello, got "${result.message.op}"`);
      else this.onHello(result.message);
      return;
    }
    if (!result.ok) {
      this.sendError(result.code, result.message, result.id);
      return;
    }
    const message = result.message;
    switch (message.op) {
      case 'hello':
        this.sendError('bad_request', 'hello was already received');
        return;
      case 'sub':
        this.onSub(message);
        return;
      case 'unsub':
        this.onUnsub(message);
        return;
      case 'ping':
        this.onPing(message);
        return;
      case 'refresh':
        this.onRefresh(message);
        return;
    }
  }

  /**
   * Runs asynchronous work (a token check, a read from an engine that answers later);
   * frames that arrive meanwhile wait and are handled in order after it.
   */
  private wait(work: () => Promise<void>, failure: string): void {
    this.waiting = true;
    work()
      .catch(() => this.close(CloseCode.InternalError, failure))
      .finally(() => {
        this.waiting = false;
        while (!this.waiting && this.inbox.length > 0 && !this.gone) {
          const [data, isBinary] = this.inbox.shift()!;
          this.handle(data, isBinary);
        }
      });
  }

  /** Goes on with an engine's answer: at once when it is there (the memory engine), else once it comes. */
  private after<T>(answer: Awaitable<T>, then: (value: T) => void): void {
    if (answer instanceof Promise) this.wait(() => answer.then(then), 'internal error while reading the topic');
    else then(answer);
  }

  private get gone(): boolean {
    return this.phase === 'closing' || this.phase === 'closed';
  }

  private rejectHello(message: string): void {
    this.sendError('bad_request', message);
    this.close(CloseCode.BadHello, message);
  }

  private onHello(hello: HelloMessage): void {
    clearTimeout(this.helloTimer);
    this.compact = hello.caps?.includes('compact') === true;
    const auth = this.ctx.auth;
    if (!auth) {
      this.open();
      return;
    }
    this.wait(async () => {
      const result = await auth.verify(hello.token);
      if (this.gone) return;
      if (!result.ok) {
        this.sendError('unauthorized', result.reason);
        this.close(CloseCode.Unauthorized, result.reason);
        return;
      }
      this.grant = result.grant;
      this.armExpiry();
      this.open();
    }, 'internal error while checking the token');
  }

  private open(): void {
    if (this.phase !== 'awaiting-hello') return;
    this.phase = 'open';
    this.enqueueJson(
      JSON.stringify({
        op: 'welcome',
        v: PROTOCOL_VERSION,
        session: this.id,
        heartbeatMs: this.ctx.heartbeatMs,
        serverTime: Date.now(),
        ...(this.compact ? { caps: ['compact'] } : {}),
      }),
    );
  }

  /** Closes the session with 4401 `token_expired` when its token's `exp` passes. */
  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    const grant = this.grant;
    if (!grant) return;
    const left = grant.exp * 1000 - Date.now();
    if (left <= 0) {
      this.close(CloseCode.Unauthorized, 'token_expired');
      return;
    }
    this.expiryTimer = setTimeout(() => this.armExpiry(), Math.min(left, MAX_TIMER_MS));
    this.expiryTimer.unref?.();
  }

  /**
   * With auth: a valid token replaces the session's grant (new `exp`, new topics) and
   * nothing is sent back; subscriptions the new grant does not cover end with
   * `error forbidden` (with the topic). A bad token gets `error unauthorized` and the
   * current token stays in effect until it expires. Without auth: ignored.
   */
  private onRefresh({ token }: RefreshMessage): void {
    const auth = this.ctx.auth;
    if (!auth) return;
    this.wait(async () => {
      const result = await auth.verify(token);
      if (this.gone) return;
      if (!result.ok) {
        this.sendError('unauthorized', `refresh rejected (${result.reason}); the current token stays in effect until it expires`);
        return;
      }
      this.grant = result.grant;
      this.armExpiry();
      if (this.gone) return;
      for (const name of [...this.topics]) {
        if (grantAllows(result.grant, name)) continue;
        // A reply still queued for it is dropped unsent (SubReply: no longer held).
        this.unfollow(name);
        this.topics.delete(name);
        this.sendError('forbidden', 'subscription ended: the refreshed token does not grant this topic', undefined, name);
      }
    }, 'internal error while checking the token');
  }

  /**
   * Holds the topic and queues its reply (`SubReply`): the topic is followed, and
   * `subscribed` plus the missed updates or a snapshot produced, when the send queue
   * reaches the reply, so they are taken at the reader's pace and in order with the
   * topic's live updates, which start right after them.
   */
  private onSub({ id, topic: name, since }: SubMessage): void {
    const checked = checkTopicName(name);
    if (!checked.ok) {
      this.sendError(checked.code, checked.message, id, name);
      return;
    }
    // Checked before the lookup, so a token cannot probe which topics exist.
    if (this.grant && !grantAllows(this.grant, name)) {
      this.sendError('forbidden', 'your token does not grant this topic', id, name);
      return;
    }
    this.after(this.ctx.engine.has(name), (exists) => {
      if (this.gone) return;
      if (!exists) {
        this.sendError('unknown_topic', unknownTopicMessage(checked.topic), id, name);
        return;
      }
      if (!this.topics.has(name) && this.topics.size >= this.ctx.limits.maxSubscriptions) {
        this.sendError('too_many_subscriptions', `at most ${this.ctx.limits.maxSubscriptions} topics per connection; unsub one first`, id, name);
        return;
      }
      // A second sub of a held topic restarts it: its live updates stop here and start
      // again after the new reply (the set holds the name once).
      this.topics.add(name);
      this.unfollow(name);
      this.addOp(name);
      this.pushReply(new SubReply(this, id, name, since));
    });
  }

  /**
   * What a `SubReply` reads when the queue reaches it. The last queued op of a held
   * topic follows it (live updates start after the reply); a reply with a later sub or
   * unsub of the same topic queued behind it only reads (that op restarts or ends the
   * topic); a reply of a topic no longer held (a refresh revoked it) is dropped. A fresh
   * sub gets the topic's recent cached snapshot and the updates after it when there is
   * one (server/snapshot-messages.ts), so it encodes nothing. Only a client's own
   * `since` may be answered compacted (when it announced `compact`): the updates after
   * a reused snapshot, and a read-only reply, are exact.
   */
  startReply(name: string, since: Since | undefined): Awaitable<ReplyStart> | 'drop' {
    const later = this.releaseOp(name);
    if (this.gone) return 'drop';
    if (!later && !this.topics.has(name)) return 'drop';
    const { engine, snapshots } = this.ctx;
    const recent = since ? undefined : snapshots.recent(name, engine.epoch);
    const after = since ?? (recent && { epoch: recent.epoch, seq: recent.seq });
    const reused = recent?.message;
    if (later) {
      // Read only: the updates after `since` (or after the recent snapshot) when kept, else a snapshot.
      const snapshot = () =>
        then(engine.snapshot(name), ({ epoch, seq, data }): ReplyStart => ({ epoch, seq, snapshot: snapshots.message(name, epoch, seq, () => data), updates: [] }));
      if (!after) return snapshot();
      return then(engine.updatesSince(name, after), (read) =>
        read.ok ? { epoch: after.epoch, seq: after.seq + (reused ? 0 : read.updates.length), snapshot: reused, updates: read.updates } : snapshot(),
      );
    }
    const start = engine.follow(name, this, after, { compact: since !== undefined && this.compact });
    this.following.add(name);
    return then(start, (value): ReplyStart => {
      if (!value.recovered) return { epoch: value.epoch, seq: value.seq, snapshot: snapshots.messageOf(name, value.snapshot), updates: [] };
      // A reused snapshot at `after.seq`, then the exact updates since; or a replay up to the topic's seq.
      if (reused) return { epoch: value.epoch, seq: after!.seq, snapshot: reused, updates: value.missed };
      return { epoch: value.epoch, seq: value.seq, updates: value.missed, compacted: value.compacted && value.missed.length > 0 };
    });
  }

  /** Closing or closed: replies produce nothing more. */
  get isGone(): boolean {
    return this.gone;
  }

  private onUnsub({ id, topic: name }: UnsubMessage): void {
    const checked = checkTopicName(name);
    if (!checked.ok) {
      this.sendError(checked.code, checked.message, id, name);
      return;
    }
    this.unfollow(name);
    this.topics.delete(name);
    // Idempotent: unsub of a topic not subscribed (or unknown) is answered the same way.
    const json = JSON.stringify({ op: 'unsubscribed', id, topic: name });
    if (!this.queuedOps.has(name)) {
      this.enqueueJson(json);
      return;
    }
    // A reply of the topic is still queued: it must know that this unsub comes after it.
    this.addOp(name);
    let sent = false;
    this.pushReply({
      next: () => {
        if (sent) return undefined;
        sent = true;
        this.releaseOp(name);
        return new OutMessage(json);
      },
    });
  }

  private onPing({ id, t }: PingMessage): void {
    this.enqueueJson(JSON.stringify({ op: 'pong', id, t, serverTime: Date.now() }));
  }

  sendError(code: ErrorCode, message: string, id?: number, topic?: string): void {
    this.ctx.metrics.error(code);
    this.enqueueJson(
      JSON.stringify({
        op: 'error',
        ...(id !== undefined ? { id } : {}),
        code,
        message: message.slice(0, MAX_ERROR_MESSAGE_LENGTH),
        ...(topic !== undefined ? { topic: topic.slice(0, MAX_TOPIC_LENGTH) } : {}),
      }),
    );
  }

  private onClosed(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearTimeout(this.helloTimer);
    clearTimeout(this.killTimer);
    clearTimeout(this.expiryTimer);
    this.unsubscribeAll();
    this.queue.stop();
    this.inbox = [];
    this.ctx.closed(this);
  }
}

/**
 * Where a reply starts: `subscribed` at `seq`, then the snapshot at `seq` when there is
 * one (`recovered: false`), then `updates` (the missed ones after `since`, or those after
 * a reused snapshot), in seq order. Live updates follow from the last of them + 1.
 */
interface ReplyStart {
  epoch: string;
  /** The seq of `subscribed`: the snapshot's, or the last replayed update's. */
  seq: number;
  snapshot?: OutMessage;
  updates: readonly string[];
  /** The replay is compacted (seqs may jump; only for a client that announced `compact`). */
  compacted?: boolean;
}

/** `f(value)` now, or once the value comes. */
function then<T, U>(value: Awaitable<T>, f: (value: T) => Awaitable<U>): Awaitable<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/**
 * What one `sub` asked for, produced when the send queue reaches it: `subscribed`
 * (with the topic's seq at that moment), then the missed updates (the engine's texts,
 * one at a time) or the snapshot (shared per topic and seq). Nothing is read or encoded
 * before the socket can take it.
 */
class SubReply implements DeferredReply {
  private start: ReplyStart | undefined;
  private reading: Promise<unknown> | undefined;
  /** Next message: -2 = `subscribed`, -1 = the snapshot, then the updates. */
  private index = -2;
  private done = false;

  constructor(
    private readonly session: Session,
    private readonly id: number,
    private readonly topic: string,
    private readonly since: Since | undefined,
  ) {}

  next(): OutMessage | undefined | Promise<unknown> {
    if (this.done || this.session.isGone) return undefined;
    if (!this.start) {
      if (this.reading) return this.reading;
      const start = this.session.startReply(this.topic, this.since);
      if (start === 'drop') {
        this.done = true;
        return undefined;
      }
      if (start instanceof Promise) {
        this.reading = start.then((value) => {
          this.start = value;
          this.reading = undefined;
        });
        return this.reading;
      }
      this.start = start;
    }
    const start = this.start;
    if (this.index === -2) {
      this.index = start.snapshot ? -1 : 0;
      const { epoch, seq, compacted } = start;
      const recovered = !start.snapshot;
      return new OutMessage(JSON.stringify({ op: 'subscribed', id: this.id, topic: this.topic, epoch, seq, recovered, ...(compacted ? { compacted } : {}) }));
    }
    if (this.index === -1) {
      this.index = 0;
      return start.snapshot;
    }
    if (this.index < start.updates.length) return new OutMessage(start.updates[this.index++]!);
    this.done = true;
    this.start = { epoch: start.epoch, seq: start.seq, updates: [] }; // let go of the texts
    return undefined;
  }
}
