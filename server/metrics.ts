/**
 * Prometheus metrics, one registry per server instance (so tests can run several
 * servers in one process). The hot path bumps plain numbers; the registry reads
 * them when scraped.
 */
import { Counter, Gauge, Registry } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  /** Messages (not frames) sent to clients; a batch of n counts n. */
  messagesSent = 0;
  framesSent = 0;
  bytesSent = 0;
  private readonly errors: Counter<'code'>;
  private readonly closes: Counter<'code'>;
  private readonly connectionsTotal: Counter;

  /** Client frames dropped unread by the rate limiter. */
  framesDropped = 0;
  private readonly upgradesRefused: Counter<'reason'>;

  constructor(sources: {
    connections: () => number;
    subscriptions: () => number;
    topics: () => number;
    addresses: () => number;
    /** Snapshot messages encoded, and served from the cache (server/snapshot-messages.ts). */
    snapshotEncodes?: () => number;
    snapshotHits?: () => number;
    /** What the engine keeps for resume, when it can tell (the memory engine). */
    history?: () => { barBytes: number; ringBytes: number; logUpdates: number };
    /** The Redis engine's state (`--redis`). */
    redis?: () => { up: boolean; outages: number; refused: number; gapsRepaired: number; resubscribes: number };
  }) {
    const registers = [this.registry];
    const history = sources.history;
    if (history) {
      new Gauge({
        name: 'lmw_history_bytes',
        help: 'Bytes the engine keeps for resume, by part (bars: the candle windows with their per-bar seqs; exact: exact rings of candle topics)',
        labelNames: ['part'],
        registers,
        collect() {
          const now = history();
          this.set({ part: 'bars' }, now.barBytes);
          this.set({ part: 'exact' }, now.ringBytes);
        },
      });
      new Gauge({
        name: 'lmw_log_updates_kept',
        help: 'Updates kept for exact resume by portfolio, events and state topics',
        registers,
        collect() {
          this.set(history().logUpdates);
        },
      });
    }
    new Gauge({
      name: 'lmw_connections',
      help: 'Open WebSocket connections',
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
    new Gauge({
      name: 'lmw_subscriptions',
      help: 'Topic subscriptions over all connections',
      registers,
      collect() {
        this.set(sources.subscriptions());
      },
    });
    new Gauge({
      name: 'lmw_topics',
      help: 'Topics the server publishes',
      registers,
      collect() {
        this.set(sources.topics());
      },
    });
    new Gauge({
      name: 'lmw_client_addresses',
      help: 'Distinct client addresses with open connections (tracked for the per-IP limit)',
      registers,
      collect() {
        this.set(sources.addresses());
      },
    });
    this.connectionsTotal = new Counter({ name: 'lmw_connections_total', help: 'WebSocket connections accepted', registers });
    const counterOf = (name: string, help: string, read: () => number) => {
      let reported = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const value = read();
          if (value > reported) this.inc(value - reported);
          reported = value;
        },
      });
    };
    counterOf('lmw_messages_sent_total', 'Protocol messages sent (a batch frame of n messages counts n)', () => this.messagesSent);
    counterOf('lmw_frames_sent_total', 'WebSocket frames sent', () => this.framesSent);
    counterOf('lmw_bytes_sent_total', 'Payload bytes sent in WebSocket frames', () => this.bytesSent);
    const redis = sources.redis;
    if (redis) {
      new Gauge({
        name: 'lmw_redis_up',
        help: 'Whether both Redis connections (commands and pub/sub) are up (1) or not (0: /healthz says degraded)',
        registers,
        collect() {
          this.set(redis().up ? 1 : 0);
        },
      });
      counterOf('lmw_redis_outages_total', 'Times the Redis command connection was lost', () => redis().outages);
      counterOf('lmw_redis_refused_total', 'Requests refused (HTTP 503, failed subs) because Redis was not reachable', () => redis().refused);
      counterOf('lmw_redis_gaps_repaired_total', 'Live messages past a gap that made the node read the missing updates from the stream', () => redis().gapsRepaired);
      counterOf('lmw_redis_resubscribes_total', 'Times the pub/sub connection came back and every served topic was re-read from its last seq', () => redis().resubscribes);
    }
    counterOf('lmw_frames_dropped_total', 'Client frames dropped unread by the rate limiter', () => this.framesDropped);
    const { snapshotEncodes, snapshotHits } = sources;
    if (snapshotEncodes) counterOf('lmw_snapshot_encodes_total', 'Snapshot messages encoded (once per topic and seq, shared by every client asking at that seq)', snapshotEncodes);
    if (snapshotHits) counterOf('lmw_snapshot_cache_hits_total', 'Snapshot messages served from the shared cache instead of encoded again', snapshotHits);
    this.upgradesRefused = new Counter({
      name: 'lmw_upgrades_refused_total',
      help: 'WebSocket upgrades refused, by reason (origin, max_connections, max_connections_per_ip, refusing, shutting_down, not_found)',
      labelNames: ['reason'],
      registers,
    });
    this.errors = new Counter({ name: 'lmw_errors_total', help: 'Error frames sent, by code', labelNames: ['code'], registers });
    this.closes = new Counter({ name: 'lmw_closes_total', help: 'Connections closed by the server, by close code', labelNames: ['code'], registers });
  }

  connectionOpened(): void {
    this.connectionsTotal.inc();
  }

  error(code: string): void {
    this.errors.inc({ code });
  }

  closed(code: number | string): void {
    this.closes.inc({ code: String(code) });
  }

  frameDropped(): void {
    this.framesDropped += 1;
  }

  upgradeRefused(reason: string): void {
    this.upgradesRefused.inc({ reason });
  }

  /** What a flush sent: counted once per flush, not per frame. */
  sent(messages: number, frames: number, bytes: number): void {
    this.messagesSent += messages;
    this.framesSent += frames;
    this.bytesSent += bytes;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
