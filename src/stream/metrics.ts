/**
 * Fixed-size rolling windows for the stream's metrics. Nothing here grows with time or
 * traffic: a ring of RTT samples and a ring of one-second buckets.
 */
import type { SharingMode, StreamMetrics, StreamMode } from './types.js';

/** The last `capacity` samples; percentiles over them. */
export class RollingSamples {
  private readonly samples: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity = 128) {
    this.samples = new Float64Array(capacity);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Nearest-rank percentile, p in [0, 100]; null when empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const sorted = this.samples.slice(0, this.count).sort(); // a typed array sorts numerically
    const rank = Math.min(this.count - 1, Math.max(0, Math.ceil((p / 100) * this.count) - 1));
    return sorted[rank]!;
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }
}

/**
 * Per-second counters over the last `windowSeconds` complete seconds. The rate is the
 * sum of the complete seconds seen (up to the window) divided by their number, so it
 * neither counts the partial current second nor starts at a misleading zero.
 */
export class PerSecondCounter {
  private readonly buckets: Float64Array;
  private readonly bucketSecond: Float64Array;
  private firstSecond: number | null = null;

  constructor(
    private readonly now: () => number = Date.now,
    readonly windowSeconds = 5,
  ) {
    this.buckets = new Float64Array(windowSeconds + 1);
    this.bucketSecond = new Float64Array(windowSeconds + 1).fill(-1);
  }

  add(amount = 1): void {
    const second = Math.floor(this.now() / 1000);
    if (this.firstSecond === null) this.firstSecond = second;
    const index = second % this.buckets.length;
    if (this.bucketSecond[index] !== second) {
      this.bucketSecond[index] = second;
      this.buckets[index] = 0;
    }
    this.buckets[index]! += amount;
  }

  /** Average per second over the complete seconds of the window. */
  rate(): number {
    if (this.firstSecond === null) return 0;
    const current = Math.floor(this.now() / 1000);
    const complete = Math.min(this.windowSeconds, current - this.firstSecond);
    if (complete <= 0) return 0;
    let sum = 0;
    for (let s = current - complete; s < current; s++) {
      const index = s % this.buckets.length;
      if (this.bucketSecond[index] === s) sum += this.buckets[index]!;
    }
    return sum / complete;
  }

  reset(): void {
    this.firstSecond = null;
    this.bucketSecond.fill(-1);
  }
}


/** Smallest gap between two `metrics` events (at most 4 a second). */
export const METRICS_MIN_INTERVAL_MS = 250;

/**
 * The stream's counters. `snapshot()` returns the same object until something changes,
 * then a fresh one (so a Lit host sees a new value); `changed()` schedules one `metrics`
 * event, throttled to METRICS_MIN_INTERVAL_MS.
 */
export class MetricsTracker {
  readonly rtt = new RollingSamples(128);
  readonly messages: PerSecondCounter;
  readonly bytes: PerSecondCounter;
  latencyMs: number | null = null;
  reconnects = 0;
  gapsRecovered = 0;
  gapsDetected = 0;
  resyncs = 0;
  duplicatesDropped = 0;
  badFrames = 0;
  lastMessageAt: number | null = null;
  connectedSince: number | null = null;
  mode: StreamMode = 'realtime';
  attempt = 0;
  sharing: SharingMode = 'direct';
  handoffs = 0;
  readonly topicMessages = new Map<string, number>();

  private current: StreamMetrics | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastEmitAt = -Infinity;
  private disposed = false;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly emit: (metrics: StreamMetrics) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.messages = new PerSecondCounter(now);
    this.bytes = new PerSecondCounter(now);
  }

  /** Marks the metrics changed and schedules a (throttled) `metrics` event. */
  changed(): void {
    this.current = undefined;
    if (this.disposed || this.timer !== undefined) return;
    const wait = Math.max(0, this.lastEmitAt + METRICS_MIN_INTERVAL_MS - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.disposed) return;
      this.lastEmitAt = this.now();
      this.emit(this.snapshot());
    }, wait);
  }

  snapshot(): StreamMetrics {
    if (this.current) return this.current;
    const r = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
    this.current = {
      latencyMs: r(this.latencyMs),
      latencyP50Ms: r(this.rtt.percentile(50)),
      latencyP99Ms: r(this.rtt.percentile(99)),
      messagesPerSecond: Math.round(this.messages.rate() * 10) / 10,
      bytesPerSecond: Math.round(this.bytes.rate()),
      reconnects: this.reconnects,
      gapsRecovered: this.gapsRecovered,
      gapsDetected: this.gapsDetected,
      resyncs: this.resyncs,
      duplicatesDropped: this.duplicatesDropped,
      badFrames: this.badFrames,
      lastMessageAt: this.lastMessageAt,
      connectedSince: this.connectedSince,
      mode: this.mode,
      attempt: this.attempt,
      topicMessages: Object.fromEntries(this.topicMessages),
      sharing: this.sharing,
      handoffs: this.handoffs,
    };
    return this.current;
  }

  /** Rates decay with time even without traffic: refresh the metrics once a second while connected. */
  startTicker(): void {
    if (this.ticker === undefined) this.ticker = setInterval(() => this.changed(), 1_000);
  }

  stopTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  dispose(): void {
    this.stopTicker();
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
