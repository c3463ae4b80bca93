/** Helpers for the stream tests: fresh stream URLs, continuity-checking recorders, a wire tap. */
import { getStream, type MarketStream, type StreamOptions, type TopicEvent } from '../../src/stream/index.js';
import { serverInfo } from '../support/browser/server.js';

export { restartServer, serverInfo } from '../support/browser/server.js';

let counter = 0;

/**
 * A stream of its own for one test: the query string makes a distinct registry key
 * (the server ignores it). Tests close their streams in afterEach through `openStreams`.
 */
export const openStreams: MarketStream[] = [];

export async function freshStream(options?: StreamOptions, label = 't'): Promise<MarketStream> {
  const { url } = await serverInfo();
  const stream = getStream(`${url}?${label}=${Date.now()}-${++counter}`, options);
  openStreams.push(stream);
  return stream;
}

const restores: Array<() => void> = [];

/** afterEach: closes the test's streams and undoes any wire tap. */
export function closeOpenStreams(): void {
  for (const stream of openStreams.splice(0)) stream.close();
  for (const restore of restores.splice(0)) restore();
}

export interface Recorded<D = unknown> {
  events: TopicEvent<D>[];
  /** seqs per epoch of every applied update, in the order seen. */
  seqs: Map<string, number[]>;
  /** Problems seen: a seq that is not last+1 within an epoch. */
  problems: string[];
  /** Seqs of updates that came in a compacted resume replay (their seqs may jump). */
  compacted: Set<number>;
  last(): TopicEvent<D> | undefined;
}

/**
 * A listener that records every event and checks continuity: within an epoch, each
 * update's seq must be the previous state's seq + 1 (or above it, in a compacted resume
 * replay: `event.compacted`); a snapshot/reset restarts the count.
 */
export function recorder<D = unknown>(): { listener: (e: TopicEvent<D>) => void; rec: Recorded<D> } {
  let epoch: string | undefined;
  let seq: number | undefined;
  const rec: Recorded<D> = {
    events: [],
    seqs: new Map(),
    problems: [],
    compacted: new Set(),
    last: () => rec.events[rec.events.length - 1],
  };
  const listener = (event: TopicEvent<D>) => {
    rec.events.push(event);
    if (event.kind === 'update') {
      for (const update of event.updates ?? []) {
        if (epoch !== event.state.epoch) rec.problems.push(`update without a base in epoch ${event.state.epoch}`);
        if (seq !== undefined && (event.compacted ? update.seq <= seq : update.seq !== seq + 1)) rec.problems.push(`seq ${update.seq} after ${seq}`);
        seq = update.seq;
        if (event.compacted) rec.compacted.add(update.seq);
        const list = rec.seqs.get(event.state.epoch) ?? [];
        list.push(update.seq);
        rec.seqs.set(event.state.epoch, list);
      }
      if (seq !== event.state.seq) rec.problems.push(`state.seq ${event.state.seq} != last update ${seq}`);
    } else {
      if (event.kind === 'snapshot' && epoch === event.state.epoch && seq !== undefined && event.state.seq < seq)
        rec.problems.push(`snapshot went back from ${seq} to ${event.state.seq}`);
      epoch = event.state.epoch;
      seq = event.state.seq;
    }
  };
  return { listener, rec };
}

/**
 * Records what really goes over the wire, independently of the stream's own counters:
 * swaps the page's WebSocket for a subclass that logs each socket and each sent frame.
 */
export function wireTap(): { sockets: WebSocket[]; sent: Array<Record<string, unknown>>; restore(): void } {
  const Original = globalThis.WebSocket;
  const sockets: WebSocket[] = [];
  const sent: Array<Record<string, unknown>> = [];
  class TappedWebSocket extends Original {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
    override send(data: Parameters<WebSocket['send']>[0]): void {
      if (typeof data === 'string') sent.push(JSON.parse(data) as Record<string, unknown>);
      super.send(data);
    }
  }
  globalThis.WebSocket = TappedWebSocket;
  const restore = () => void (globalThis.WebSocket = Original);
  restores.push(restore);
  return { sockets, sent, restore };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
