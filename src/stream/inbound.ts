/**
 * What arrives from the server: a frame is parsed into messages and each goes to the part
 * that owns it (the connection for `welcome`, subscriptions for topic traffic, metrics for
 * `pong`). The hot path is onFrame -> subs.onUpdate -> delivery.notify: no allocation per
 * message beyond what the parser makes.
 */
import { parseServerFrame, type ErrorMessage, type ServerMessage } from '../protocol/index.js';
import type { Auth } from './auth.js';
import type { Connection } from './connection.js';
import type { MetricsTracker } from './metrics.js';
import type { Subscriptions } from './subscriptions.js';
import type { StreamError } from './types.js';


const perfNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class Inbound {
  constructor(
    private readonly connection: Connection,
    private readonly subs: Subscriptions,
    private readonly metrics: MetricsTracker,
    private readonly auth: Auth,
    private readonly error: (error: StreamError) => void,
  ) {}

  onFrame(data: unknown): void {
    const tracker = this.metrics;
    tracker.lastMessageAt = Date.now();
    if (typeof data !== 'string') {
      this.badFrame('binary frame (protocol v1 uses JSON text frames)');
      tracker.changed();
      return;
    }
    tracker.bytes.add(data.length);
    const { messages, errors } = parseServerFrame(data);
    for (const reason of errors) this.badFrame(reason);
    tracker.messages.add(messages.length); // once per frame, not per message
    const connection = this.connection;
    const generation = connection.generation;
    for (const message of messages) {
      if (generation !== connection.generation) break; // a message closed the socket
      this.onMessage(message);
    }
    tracker.changed();
  }

  private onMessage(message: ServerMessage): void {
    if (!this.connection.isOpen && message.op !== 'welcome' && message.op !== 'error') return;
    switch (message.op) {
      case 'update':
        return this.subs.onUpdate(message);
      case 'welcome':
        return this.connection.welcome(message);
      case 'subscribed':
        return this.subs.onSubscribed(message);
      case 'snapshot':
        return this.subs.onSnapshot(message);
      case 'pong': {
        const rtt = perfNow() - message.t;
        if (rtt >= 0 && rtt < 600_000) {
          this.metrics.latencyMs = rtt;
          this.metrics.rtt.add(rtt);
        }
        return;
      }
      case 'unsubscribed':
        return this.subs.onUnsubscribed(message.id, message.topic);
      case 'error':
        return this.onServerError(message);
    }
  }

  private onServerError(message: ErrorMessage): void {
    if (message.code === 'rate_limited' && message.id === undefined) this.subs.onRateLimited();
    const record = message.id !== undefined ? this.subs.pending(message.id) : undefined;
    const text = this.auth.redact(message.message).slice(0, 300);
    if (!record && message.code === 'unauthorized') {
      // The hello was refused: the 4401 close that follows is what counts (see refused()).
      if (!this.connection.isOpen) return this.auth.helloRefused(text);
      // A `refresh` was refused: the session goes on until the old token expires (then 4401 and a reconnect).
      return this.error({ code: 'refresh_rejected', message: `token refresh refused: ${text}` });
    }
    const error: StreamError = {
      code: message.code,
      message: text,
      ...(record ? { topic: record.topic } : message.topic ? { topic: message.topic } : {}),
    };
    // A refreshed token no longer grants a topic we hold: the server ended that subscription.
    const ended = message.id === undefined && message.code === 'forbidden' && message.topic ? this.subs.topics.get(message.topic) : undefined;
    if (ended && ended.wire !== 'none') return this.subs.end(ended, error);
    if (record && record.subId === message.id) return this.subs.end(record, error);
    this.error(error);
  }

  badFrame(reason: string): void {
    this.metrics.badFrames++;
    this.error({ code: 'bad_frame', message: `bad frame from the server: ${reason}` });
  }
}
