/**
 * Snapshot messages, encoded once per (topic, epoch, seq) and shared by every client that
 * asks for that topic at that seq: the JSON text and the `OutMessage` around it (so the
 * frame, ~190 KB for a full candle series, is also built once). A snapshot is always
 * taken at a topic's current seq, so one entry per topic is enough: a later seq
 * replaces it. A live topic moves every tick, so a snapshot younger than
 * SNAPSHOT_REUSE_MS is also served to later subs, followed by the updates after its seq
 * (`recent`): a topic is encoded at most about once a second however many clients
 * subscribe. The entries are bounded in total text (MAX_SNAPSHOT_CACHE_CHARS, least
 * recently used out first), so the cache never holds more than that whatever the
 * number of topics. State that changes without a new seq (a candle series' precision,
 * the seeded start-up history) must `forget` its topic.
 *
 * One instance per server (app.ts): the memory engine encodes through it, sessions
 * read its messages, and `/metrics` reports `lmw_snapshot_encodes_total` and
 * `lmw_snapshot_cache_hits_total`.
 */
import { OutMessage } from './frame-writer.js';

/** Most snapshot text (characters) kept over all topics. */
// 16 Mi chars: a 60-topic dashboard of full candle windows (about 13 M) fits.
export const MAX_SNAPSHOT_CACHE_CHARS = 16 * 1024 * 1024;
/**
 * A snapshot this young is served again, followed by the updates since its seq, instead of
 * encoding a new one (a live topic moves every tick, so otherwise every `sub` would encode).
 */
export const SNAPSHOT_REUSE_MS = 1000;

export interface CachedSnapshot {
  readonly epoch: string;
  readonly seq: number;
  readonly message: OutMessage;
  /** When it was encoded (ms since the epoch). */
  readonly at: number;
}

type Entry = CachedSnapshot;

export class SnapshotMessages {
  /** Snapshots encoded (cache misses). */
  encodes = 0;
  /** Snapshots served from the cache. */
  hits = 0;
  /** Topic -> its latest snapshot; Map order is the LRU order (oldest use first). */
  private readonly entries = new Map<string, Entry>();
  private chars = 0;

  constructor(private readonly maxChars = MAX_SNAPSHOT_CACHE_CHARS) {}

  /**
   * The snapshot message of `topic` at `seq`: from the cache, or encoded from `read()`
   * (called only then: building a topic's snapshot data costs) and cached.
   */
  message(topic: string, epoch: string, seq: number, read: () => unknown): OutMessage {
    const entry = this.entries.get(topic);
    if (entry && entry.seq === seq && entry.epoch === epoch) {
      this.hits += 1;
      this.touch(topic, entry);
      return entry.message;
    }
    this.encodes += 1;
    const message = new OutMessage(JSON.stringify({ op: 'snapshot', topic, epoch, seq, data: read() }));
    if (entry) this.remove(topic, entry);
    if (message.json.length <= this.maxChars) {
      this.entries.set(topic, { epoch, seq, message, at: Date.now() });
      this.chars += message.json.length;
      for (const [oldest, old] of this.entries) {
        if (this.chars <= this.maxChars) break;
        this.remove(oldest, old);
      }
    }
    return message;
  }

  /**
   * The topic's cached snapshot when it is of `epoch` and younger than `maxAgeMs`: a
   * reply may send it and the updates after its seq (counted as a hit).
   */
  recent(topic: string, epoch: string, maxAgeMs = SNAPSHOT_REUSE_MS): CachedSnapshot | undefined {
    const entry = this.entries.get(topic);
    if (!entry || entry.epoch !== epoch || Date.now() - entry.at > maxAgeMs) return undefined;
    this.hits += 1;
    this.touch(topic, entry);
    return entry;
  }

  /**
   * The cached message whose text is `json` (the text an engine got from `message`), so
   * every client shares its frame; a text the cache does not hold gets its own message.
   */
  messageOf(topic: string, json: string): OutMessage {
    const entry = this.entries.get(topic);
    // Identity first: the engine's text is the cached string itself.
    if (entry && (entry.message.json === json)) return entry.message;
    return new OutMessage(json);
  }

  /** Drops the topic's entry: its state changed without a new seq. */
  forget(topic: string): void {
    const entry = this.entries.get(topic);
    if (entry) this.remove(topic, entry);
  }

  /** Characters of snapshot text held. */
  get size(): number {
    return this.chars;
  }

  private touch(topic: string, entry: Entry): void {
    this.entries.delete(topic);
    this.entries.set(topic, entry);
  }

  private remove(topic: string, entry: Entry): void {
    this.entries.delete(topic);
    this.chars -= entry.message.json.length;
  }
}
