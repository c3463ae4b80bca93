/**
 * One client session: the hello handshake (with token auth when enabled), the ops,
 * error frames, per-connection limits and the outgoing queue. Topics are reached only
 * through the engine (server/engine/engine.ts). Everything queued during one turn of
 * the event loop goes out as one frame (a JSON array when there is more than one
 * message), built once for every client with the same queue from messages serialised
 * once and written by the session's FrameWriter (server/frame-writer.ts); a very large
 * turn is cut into several frames so the send buffer can be checked between them.
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
import type { Awaitable, Engine, FollowStart, Subscriber } from './engine/engine.js';
import { addToFingerprint, EMPTY_FINGERPRINT, FlushTurn, FrameWriter, OutMessage } from './frame-writer.js';
import { FrameRateLimiter } from './limits.js';
import type { ServerMetrics } from './metrics.js';
import { checkTopicName, unknownTopicMessage } from './topic-names.js';

export interface SessionLimits {
  /** Client frames per second (token bucket refill); 0 = no rate limit. */
  clientRate: number;
  /** Token bucket size (frames accepted at once). */
  clientBurst: number;
  /** Topics one connection may be subscribed to at once. */
  maxSubscriptions: number;
  /** Send-buffer high-water mark: past it the client is a slow consumer (close 4408); 0 = off. */
  maxBufferedBytes: number;
}

export interface SessionContext {
  readonly engine: Engine;
  readonly metrics: ServerMetrics;
  readonly heartbeatMs: number;
  readonly helloTimeoutMs: number;
  readonly limits: SessionLimits;
  /** Set when auth is on (`--auth-secret`): hello and refresh tokens are verified with it. */
  readonly auth: TokenVerifier | undefined;
  /** Called once when a session's queue goes from empty to non-empty. */
  scheduleFlush(session: Session): void;
  closed(session: Session): void;
}

/** Close reasons must fit in 123 bytes. */
const reasonText = (reason: string) => (Buffer.byteLength(reason) <= 123 ? reason : reason.slice(0, 100));
/** Longest text of an error message (they may quote a little of what the client sent). */
export const MAX_ERROR_MESSAGE_LENGTH = 200;
/** Most messages one session may have queued within one turn; more is treated as a slow consumer. */
export const MAX_PENDING_MESSAGES = 100_000;
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
  /** Names of the topics this session follows. */
  readonly topics = new Set<string>();
  /** Last time the client showed a sign of life (a frame or a pong). */
  lastSeen = Date.now();
  /** Dev control, in any phase: the server neither sends nor reads on this socket any more. */
  silenced = false;
  private phase: SessionPhase = 'awaiting-hello';
  /** The client announced `compact` in `hello.caps`: its resumes may be compacted. */
  private compact = false;
  private pending: OutMessage[] = [];
  /** Fingerprint of `pending` (server/frame-writer.ts), so equal queues share their frames. */
  private fingerprint = EMPTY_FINGERPRINT;
  private readonly writer: FrameWriter;
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
    this.writer = new FrameWriter(ws, socket, ctx.limits.maxBufferedBytes);
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

  /** Queues a message (the same object for every client it goes to) for the end of this turn. */
  enqueue(message: OutMessage): void {
    if (this.gone || this.silenced) return;
    const pending = this.pending;
    if (pending.length >= MAX_PENDING_MESSAGES) {
      this.dropSlowConsumer(`more than ${MAX_PENDING_MESSAGES} messages queued`);
      return;
    }
    pending.push(message);
    this.fingerprint = addToFingerprint(this.fingerprint, message);
    if (pending.length === 1) this.ctx.scheduleFlush(this);
  }

  private clearQueue(): void {
    this.pending = [];
    this.fingerprint = EMPTY_FINGERPRINT;
  }

  private enqueueJson(json: string): void {
    this.enqueue(new OutMessage(json));
  }

  /**
   * Sends what is queued. Frames come from `turn`, which builds each distinct queue's
   * frames once for all the sessions it flushes (a lone message is its own frame,
   * encoded once), and counts what is sent. Before each frame the writer checks the
   * send buffer: a client that does not read is not queued for, it is closed (4408)
   * and resumes from history when it reconnects.
   */
  flush(turn?: FlushTurn): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    const fingerprint = this.fingerprint;
    this.clearQueue();
    if (this.silenced || this.ws.readyState !== WebSocket.OPEN) return;
    // Outside the server's flush of a turn (a close), the session has a turn of its own.
    const into = turn ?? new FlushTurn();
    if (pending.length === 1) {
      if (!this.writer.write(pending[0]!.frame, into)) this.dropSlowConsumer();
    } else {
      for (const frame of into.framesFor(pending, fingerprint))
        if (!this.writer.write(frame, into)) {
          this.dropSlowConsumer();
          break;
        }
    }
    if (!turn) into.report(this.ctx.metrics);
  }

  /** Closes with a protocol close code (after sending what is queued); terminates if the client does not answer. */
  close(code: number, reason: string, flush = true): void {
    if (this.gone) return;
    this.phase = 'closing';
    this.inbox = [];
    clearTimeout(this.expiryTimer);
    if (flush) this.flush();
    this.clearQueue();
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
    this.clearQueue();
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
   * The client does not read fast enough: stop fan-out to it at once, drop what is
   * queued and close with 4408. What ws already buffered still goes out before the
   * close frame (if the client reads it within the 2 s kill delay).
   */
  private dropSlowConsumer(why = `send buffer over ${this.ctx.limits.maxBufferedBytes} bytes`): void {
    if (this.gone) return;
    this.unsubscribeAll();
    this.clearQueue();
    this.close(CloseCode.SlowConsumer, `slow consumer: ${why}`, false);
  }

  private unsubscribeAll(): void {
    for (const name of this.topics) this.ctx.engine.unfollow(name, this);
    this.topics.clear();
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
        this.ctx.engine.unfollow(name, this);
        this.topics.delete(name);
        this.sendError('forbidden', 'subscription ended: the refreshed token does not grant this topic', undefined, name);
      }
    }, 'internal error while checking the token');
  }

  /**
   * Follows the topic and, in the same synchronous step (with the memory engine),
   * queues `subscribed` and either the missed updates or a snapshot: the engine
   * delivers the topic's next live update only after them, so nothing is lost or
   * repeated in between.
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
    const { engine } = this.ctx;
    this.after(engine.has(name), (exists) => {
      if (this.gone) return;
      if (!exists) {
        this.sendError('unknown_topic', unknownTopicMessage(checked.topic), id, name);
        return;
      }
      if (!this.topics.has(name) && this.topics.size >= this.ctx.limits.maxSubscriptions) {
        this.sendError('too_many_subscriptions', `at most ${this.ctx.limits.maxSubscriptions} topics per connection; unsub one first`, id, name);
        return;
      }
      this.after(engine.follow(name, this, since, { compact: this.compact }), (start) => this.started(id, name, start));
    });
  }

  /** Queues the start of a followed topic's stream. */
  private started(id: number, name: string, start: FollowStart): void {
    const { epoch, seq, recovered } = start;
    const compacted = start.recovered && start.compacted && start.missed.length > 0;
    this.enqueueJson(JSON.stringify({ op: 'subscribed', id, topic: name, epoch, seq, recovered, ...(compacted ? { compacted } : {}) }));
    if (start.recovered) for (const json of start.missed) this.enqueueJson(json);
    else this.enqueueJson(start.snapshot);
    if (this.gone) {
      // Closed meanwhile, or the queue overflowed (closed as a slow consumer): follow no more.
      this.ctx.engine.unfollow(name, this);
      return;
    }
    // A second sub of the same topic only restarts it: the set holds the name once.
    this.topics.add(name);
  }

  private onUnsub({ id, topic: name }: UnsubMessage): void {
    const checked = checkTopicName(name);
    if (!checked.ok) {
      this.sendError(checked.code, checked.message, id, name);
      return;
    }
    this.ctx.engine.unfollow(name, this);
    this.topics.delete(name);
    // Idempotent: unsub of a topic not subscribed (or unknown) is answered the same way.
    this.enqueueJson(JSON.stringify({ op: 'unsubscribed', id, topic: name }));
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
    this.clearQueue();
    this.inbox = [];
    this.ctx.closed(this);
  }
}
