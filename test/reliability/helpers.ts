/** Helpers for the reliability tests: a continuity-checking recorder, a seeded random source, frames. */
import type { TopicEvent } from '../../src/stream/index.js';
import type { MarketElement } from '../../src/index.js';

export interface TopicLog {
  /** Applied update seqs per epoch, in the order the listener saw them. */
  seqs: Map<string, number[]>;
  /** Full states seen (`snapshot` / `reset`), with epoch and seq. */
  states: Array<{ kind: string; epoch: string; seq: number }>;
  /** Continuity violations: an update that is not last+1, a state that goes back. */
  problems: string[];
  /** The last state seq the listener knows of, and its epoch. */
  epoch?: string;
  seq?: number;
}

/**
 * A `coalesce: 'none'` listener that checks, as it goes, that every applied update is
 * exactly last+1 of the state the listener had (in the same epoch), or above it in a
 * compacted resume replay (`event.compacted`, whose seqs may jump), that no update is
 * applied twice, and that a full state never goes back within an epoch.
 */
export function topicRecorder(): { listener: (event: TopicEvent) => void; log: TopicLog } {
  const log: TopicLog = { seqs: new Map(), states: [], problems: [] };
  const applied = new Map<string, Set<number>>();
  const listener = (event: TopicEvent) => {
    const { epoch, seq } = event.state;
    if (event.kind !== 'update') {
      if (event.kind === 'snapshot' && log.epoch === epoch && log.seq !== undefined && seq < log.seq) {
        log.problems.push(`snapshot went back from ${log.seq} to ${seq} in epoch ${epoch}`);
      }
      log.states.push({ kind: event.kind, epoch, seq });
      log.epoch = epoch;
      log.seq = seq;
      return;
    }
    for (const update of event.updates ?? []) {
      if (log.epoch !== epoch) log.problems.push(`update ${update.seq} without a base state in epoch ${epoch}`);
      else if (event.compacted ? update.seq <= log.seq! : update.seq !== log.seq! + 1)
        log.problems.push(`update ${update.seq} after ${log.seq} in epoch ${epoch}`);
      const seen = applied.get(epoch) ?? new Set<number>();
      if (seen.has(update.seq)) log.problems.push(`update ${update.seq} applied twice in epoch ${epoch}`);
      seen.add(update.seq);
      applied.set(epoch, seen);
      const list = log.seqs.get(epoch) ?? [];
      list.push(update.seq);
      log.seqs.set(epoch, list);
      log.seq = update.seq;
    }
    if (log.seq !== seq) log.problems.push(`state.seq ${seq} != last applied update ${log.seq}`);
  };
  return { listener, log };
}

export function countUpdates(log: TopicLog): number {
  let n = 0;
  for (const list of log.seqs.values()) n += list.length;
  return n;
}


export { seededRandom } from '../../server/feeds/random.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

let counter = 0;
/** A URL of its own for one test (the query string makes a distinct stream; the server ignores it). */
export function uniqueUrl(base: string, label: string): string {
  return `${base}?${label}=${Date.now()}-${++counter}`;
}

/** Mounts `tag` with `attributes` at a fixed size and remembers it in `mounted` (for afterEach cleanup). */
export function mountElement(tag: string, attributes: Record<string, string>, mounted: HTMLElement[]): MarketElement {
  const el = document.createElement(tag) as MarketElement;
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.style.cssText = 'display:block;width:400px;height:200px';
  document.body.append(el);
  mounted.push(el);
  return el;
}
