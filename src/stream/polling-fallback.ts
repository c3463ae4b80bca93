/**
 * The polling fallback as the connection machine sees it (start, stop, active): a Poller
 * whose snapshots and errors land in the stream's topics while no socket is open, and
 * whose refused rounds (401) count like 4401 closes.
 *
 * Metrics while polling: every poll response counts its bytes (Bytes/s), and its round
 * trip is the latency, p50 and p99 (the RTT ring is emptied when polling starts and when
 * the socket is back, so socket pings and HTTP round trips never mix in one percentile).
 */
import type { TopicSnapshot } from '../protocol/index.js';
import type { Auth } from './auth.js';
import type { Delivery } from './delivery.js';
import type { MetricsTracker } from './metrics.js';
import { Poller } from './polling.js';
import type { TopicRecord } from './topic-record.js';
import type { StreamError, StreamOptions } from './types.js';

export interface PollingFallbackOptions {
  httpBase: string;
  pollIntervalMs: number;
  token?: StreamOptions['token'];
  auth: Auth;
  /** Topics with listeners. */
  held(): string[];
  topic(name: string): TopicRecord | undefined;
  /** Counts a message for its topic. */
  count(record: TopicRecord): void;
  delivery: Delivery;
  metrics: MetricsTracker;
  /** A socket is open (it is in charge; polled results are dropped). */
  socketOpen(): boolean;
  /** A round was refused (401). */
  refused(reason: string): void;
  error(error: StreamError): void;
  guard(fn: () => void): void;
}

export class PollingFallback {
  /** Polling requests made (`GET /api/snapshot`). */
  polls = 0;
  private readonly poller: Poller;
  /** A polling failure was reported in this outage (once per outage, not per topic per period). */
  private failureReported = false;
  /** The RTT ring holds poll round trips (cleared again when the socket is back). */
  private pollSamples = false;

  constructor(private readonly o: PollingFallbackOptions) {
    const { auth, guard } = o;
    this.poller = new Poller({
      httpBase: o.httpBase,
      intervalMs: o.pollIntervalMs,
      topics: () => o.held(),
      onSnapshot: (topic, snapshot) => guard(() => this.onSnapshot(topic, snapshot)),
      onError: (error) => guard(() => this.onError(error)),
      ...(o.token !== undefined ? { token: () => auth.forPolling() } : {}),
      onUnauthorized: (reason) =>
        guard(() => {
          if (!o.socketOpen()) o.refused(reason); // counted like a 4401 close
        }),
      unauthorizedDelayMs: () => auth.pollRetryDelayMs(o.pollIntervalMs),
      fetch: (input, init) => {
        this.polls++;
        return fetch(input, init);
      },
      onResponse: (bytes, roundTripMs) => guard(() => this.onResponse(bytes, roundTripMs)),
    });
  }

  get active(): boolean {
    return this.poller.active;
  }

  start(): void {
    if (this.poller.active) return;
    // From now on latency means the poll round trip: old socket RTTs must not stand in for it.
    this.resetLatency();
    this.pollSamples = true;
    this.o.metrics.startTicker(); // rates decay between polls even if no socket was ever welcomed
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }

  /** A topic taken while polling is fetched at once, not a period later. */
  pollNow(topic: string): void {
    this.poller.pollNow(topic);
  }

  /** The socket is back: the next outage reports its first failure again. */
  socketBack(): void {
    this.failureReported = false;
    if (this.pollSamples) this.resetLatency(); // pings measure again from the next pong
    this.pollSamples = false;
  }

  private resetLatency(): void {
    const tracker = this.o.metrics;
    tracker.rtt.clear();
    tracker.latencyMs = null;
    tracker.changed();
  }

  private onResponse(bytes: number, roundTripMs: number): void {
    if (this.o.socketOpen()) return; // a late answer: the socket's figures are in charge
    const tracker = this.o.metrics;
    tracker.bytes.add(bytes);
    if (roundTripMs >= 0 && roundTripMs < 600_000) {
      tracker.latencyMs = roundTripMs;
      tracker.rtt.add(roundTripMs);
    }
    tracker.changed();
  }

  private onSnapshot(topic: string, snapshot: TopicSnapshot): void {
    if (this.o.socketOpen()) return; // the socket is back in charge
    const record = this.o.topic(topic);
    if (!record || record.subscribers.size === 0) return;
    this.failureReported = false;
    this.o.auth.accepted(); // the server took our token: a refusal streak (4401s, 401 rounds) is over
    const tracker = this.o.metrics;
    tracker.messages.add(1);
    tracker.lastMessageAt = Date.now();
    const current = record.state;
    if (current && current.epoch === snapshot.epoch && snapshot.seq <= current.seq) {
      tracker.changed();
      return; // nothing new
    }
    const continuous = current !== undefined && current.epoch === snapshot.epoch;
    let kind = record.replace(snapshot.epoch, snapshot.seq, snapshot.data);
    // A newer state of the same epoch continues what listeners had; another epoch does not.
    if (continuous) kind = 'snapshot';
    else if (kind === 'reset') tracker.resyncs++;
    this.o.count(record);
    tracker.changed();
    this.o.delivery.notify(record, kind);
  }

  private onError(polled: StreamError): void {
    if (this.o.socketOpen()) return;
    const error = { ...polled, message: this.o.auth.redact(polled.message) };
    const record = error.topic ? this.o.topic(error.topic) : undefined;
    if (record) {
      // Refused again (e.g. forbidden) round after round: tell the listeners once.
      if (record.error?.code === error.code && record.error.message === error.message) return;
      this.o.delivery.topicError(record, error);
      return;
    }
    if (this.failureReported) return;
    this.failureReported = true;
    this.o.error(error);
  }
}
