/**
 * One client session: the hello handshake, the ops, error frames and the
 * outgoing queue. Everything queued during one turn of the event loop goes out
 * as one frame (a JSON array when there is more than one message), built by
 * joining messages that were serialised once for all clients.
 */
import { randomUUID } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import {
  CloseCode,
  MAX_TOPIC_LENGTH,
  parseClientFrame,
  PROTOCOL_VERSION,
  type ErrorCode,
  type HelloMessage,
  type PingMessage,
  type SubMessage,
  type UnsubMessage,
} from '../src/protocol/index.js';
import type { ServerMetrics } from './metrics.js';
import type { Subscriber, Topic, TopicRegistry } from './topics.js';

/** What a `hello` handler decides (auth, issue 5, plugs in here). */
export type HelloVerdict = { ok: true } | { ok: false; code: ErrorCode; message: string; closeCode: number };

export interface SessionContext {
  readonly registry: TopicRegistry;
  readonly metrics: ServerMetrics;
  readonly heartbeatMs: number;
  readonly helloTimeoutMs: number;
  /** Called once when a session's queue goes from empty to non-empty. */
  scheduleFlush(session: Session): void;
  /** Decides on a valid `hello`; the default accepts every one. */
  acceptHello(hello: HelloMessage, session: Session): HelloVerdict;
  closed(session: Session): void;
}

/** Close reasons must fit in 123 bytes. */
const reasonText = (reason: string) => (Buffer.byteLength(reason) <= 123 ? reason : reason.slice(0, 100));

export class Session implements Subscriber {
  readonly id = randomUUID();
  readonly topics = new Set<Topic>();
  /** Last time the client showed a sign of life (a frame or a pong). */
  lastSeen = Date.now();
  /** Dev control: the server neither sends nor reads on this socket any more. */
  silenced = false;
  private phase: 'hello' | 'open' | 'closed' = 'hello';
  private pending: string[] = [];
  private closing = false;
  private helloTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly ws: WebSocket,
    private readonly ctx: SessionContext,
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('pong', () => {
      this.lastSeen = Date.now();
    });
    ws.on('error', (error: Error & { code?: string }) => {
      // ws closes the socket itself (1009 for an oversized frame, 1002 for protocol errors).
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') ctx.metrics.closed(CloseCode.MessageTooBig);
    });
    ws.on('close', () => this.onClosed());
    this.helloTimer = setTimeout(() => this.close(CloseCode.BadHello, `no hello within ${ctx.helloTimeoutMs} ms`), ctx.helloTimeoutMs);
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  enqueue(json: string): void {
    if (this.phase === 'closed' || this.silenced) return;
    this.pending.push(json);
    if (this.pending.length === 1) this.ctx.scheduleFlush(this);
  }

  /**
   * Sends what is queued as one frame. `shared` holds the encoded bytes of single-message
   * frames for this flush, so a message fanned out alone to many clients is encoded once.
   */
  flush(shared?: Map<string, Buffer>): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    if (this.silenced || this.ws.readyState !== WebSocket.OPEN) return;
    // Slow-consumer limits (issue 5) belong here: look at ws.bufferedAmount before sending.
    let frame: Buffer;
    if (pending.length === 1) {
      const json = pending[0]!;
      frame = shared?.get(json) ?? Buffer.from(json);
      shared?.set(json, frame);
    } else {
      frame = Buffer.from(`[${pending.join(',')}]`);
    }
    this.ws.send(frame, { binary: false });
    this.ctx.metrics.sent(pending.length, frame.length);
  }

  /** Closes with a protocol close code; terminates if the client does not answer the close. */
  close(code: number, reason: string): void {
    if (this.phase === 'closed' || this.closing) return;
    this.closing = true;
    this.flush();
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
    this.pending = [];
    this.ws.pause();
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

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.silenced || this.closing || this.phase === 'closed') return;
    this.lastSeen = Date.now();
    if (isBinary) {
      if (this.phase === 'hello') this.rejectHello('the first frame must be a hello text frame');
      else this.sendError('bad_request', 'binary frames are not supported; send JSON text frames');
      return;
    }
    const result = parseClientFrame(data.toString());
    if (this.phase === 'hello') {
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
        // Tokens are not checked without auth (issue 5 adds it); nothing to extend.
        return;
    }
  }

  private rejectHello(message: string): void {
    this.sendError('bad_request', message);
    this.close(CloseCode.BadHello, message);
  }

  private onHello(hello: HelloMessage): void {
    clearTimeout(this.helloTimer);
    const verdict = this.ctx.acceptHello(hello, this);
    if (!verdict.ok) {
      this.sendError(verdict.code, verdict.message);
      this.close(verdict.closeCode, verdict.message);
      return;
    }
    this.phase = 'open';
    this.enqueue(
      JSON.stringify({
        op: 'welcome',
        v: PROTOCOL_VERSION,
        session: this.id,
        heartbeatMs: this.ctx.heartbeatMs,
        serverTime: Date.now(),
      }),
    );
  }

  /**
   * Subscribes and, in the same synchronous step, queues `subscribed` and either the
   * missed updates or a snapshot: the next live update of the topic can only be
   * queued after them, so nothing is lost or repeated in between.
   */
  private onSub({ id, topic: name, since }: SubMessage): void {
    const { registry } = this.ctx;
    const resolved = registry.resolve(name);
    if (!resolved.ok) {
      this.sendError(resolved.code, resolved.message, id, name);
      return;
    }
    const topic = resolved.topic;
    const epoch = registry.epoch;
    const missed = since && since.epoch === epoch ? topic.history.after(since.seq, topic.seq) : undefined;
    if (since && missed) {
      this.enqueue(JSON.stringify({ op: 'subscribed', id, topic: name, epoch, seq: topic.seq, recovered: true }));
      for (const json of missed) this.enqueue(json);
    } else {
      this.enqueue(JSON.stringify({ op: 'subscribed', id, topic: name, epoch, seq: topic.seq, recovered: false }));
      this.enqueue(topic.snapshotJson(epoch));
    }
    // A second sub of the same topic only restarts it: the set holds the session once.
    topic.subscribers.add(this);
    this.topics.add(topic);
  }

  private onUnsub({ id, topic: name }: UnsubMessage): void {
    const resolved = this.ctx.registry.resolve(name);
    if (!resolved.ok && resolved.code === 'bad_request') {
      this.sendError('bad_request', resolved.message, id, name);
      return;
    }
    if (resolved.ok) {
      resolved.topic.subscribers.delete(this);
      this.topics.delete(resolved.topic);
    }
    // Idempotent: unsub of a topic not subscribed (or unknown) is answered the same way.
    this.enqueue(JSON.stringify({ op: 'unsubscribed', id, topic: name }));
  }

  private onPing({ id, t }: PingMessage): void {
    this.enqueue(JSON.stringify({ op: 'pong', id, t, serverTime: Date.now() }));
  }

  sendError(code: ErrorCode, message: string, id?: number, topic?: string): void {
    this.ctx.metrics.error(code);
    this.enqueue(JSON.stringify({ op: 'error', ...(id !== undefined ? { id } : {}), code, message, ...(topic !== undefined ? { topic: topic.slice(0, MAX_TOPIC_LENGTH) } : {}) }));
  }

  private onClosed(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearTimeout(this.helloTimer);
    clearTimeout(this.killTimer);
    for (const topic of this.topics) topic.subscribers.delete(this);
    this.topics.clear();
    this.pending = [];
    this.ctx.closed(this);
  }
}
