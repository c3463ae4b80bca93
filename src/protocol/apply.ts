/**
 * Applying updates to a topic's state. The server builds its snapshots with these
 * functions and the client keeps its state with them, so a snapshot at seq s plus
 * the updates after it is, by construction, the server's later snapshot.
 */
import {
  DEFAULT_MAX_BARS,
  type Bar,
  type CandleSnapshotData,
  type EventEnvelope,
  type EventsSnapshotData,
  type JsonObject,
  type PortfolioSnapshotData,
  type PortfolioTotals,
  type PortfolioUpdateData,
  type Position,
} from './messages.js';
import { applyMergePatch } from './merge-patch.js';
import type { ParsedTopic } from './topics.js';

export type TopicKind = ParsedTopic['kind'];

/** Index of the bar with `time`, or `-(insertionPoint + 1)` when absent. */
export function findBar(bars: readonly Bar[], time: number): number {
  let lo = 0;
  let hi = bars.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const t = bars[mid]!.time;
    if (t === time) return mid;
    if (t < time) lo = mid + 1;
    else hi = mid - 1;
  }
  return -(lo + 1);
}

/**
 * Puts `bar` into `bars` in place: replaces the bar with the same time, appends a
 * later one, inserts an older one where it belongs. Keeps at most `maxBars`
 * (oldest dropped). A bar older than everything kept once the window is full is
 * ignored. Returns the mutated array.
 */
export function upsertBar(bars: Bar[], bar: Bar, maxBars = DEFAULT_MAX_BARS): Bar[] {
  const last = bars[bars.length - 1];
  if (!last || bar.time > last.time) {
    bars.push(bar);
  } else if (bar.time === last.time) {
    bars[bars.length - 1] = bar;
  } else {
    const index = findBar(bars, bar.time);
    const insertAt = -(index + 1);
    if (index >= 0) bars[index] = bar;
    // A full window has no room before its oldest bar.
    else if (bars.length < maxBars || insertAt > 0) bars.splice(insertAt, 0, bar);
  }
  if (bars.length > maxBars) bars.splice(0, bars.length - maxBars);
  return bars;
}

export function applyCandleUpdate(state: CandleSnapshotData, bar: Bar, maxBars = DEFAULT_MAX_BARS): CandleSnapshotData {
  upsertBar(state.bars, bar, maxBars);
  return state;
}

/** Upserts changed rows (keeping row order, new rows last), removes gone ones, takes the totals. */
export function applyPortfolioUpdate(state: PortfolioSnapshotData, update: PortfolioUpdateData): PortfolioSnapshotData {
  if (update.removed.length > 0) {
    const removed = new Set(update.removed);
    state.positions = state.positions.filter((row) => !removed.has(row.symbol));
  }
  for (const row of update.positions) {
    const index = state.positions.findIndex((p) => p.symbol === row.symbol);
    if (index >= 0) state.positions[index] = row;
    else state.positions.push(row);
  }
  state.totals = update.totals;
  return state;
}

/** Appends one event, dropping the oldest past `state.max`. */
export function applyEventsUpdate(state: EventsSnapshotData, event: EventEnvelope): EventsSnapshotData {
  state.events.push(event);
  if (state.events.length > state.max) state.events.splice(0, state.events.length - state.max);
  return state;
}

/** The document after a merge patch: a new object (unchanged members shared), `state` untouched. */
export function applyStateUpdate(state: JsonObject, patch: JsonObject): JsonObject {
  return applyMergePatch(state, patch);
}

/**
 * The one dispatch from a topic's kind to its applier. Returns the new state: the same
 * object, mutated, except for `state:` topics, whose applier returns a new document.
 */
export function applyUpdateOfKind(kind: TopicKind, state: unknown, data: unknown, maxBars = DEFAULT_MAX_BARS): unknown {
  switch (kind) {
    case 'candles':
      return applyCandleUpdate(state as CandleSnapshotData, data as Bar, maxBars);
    case 'portfolio':
      return applyPortfolioUpdate(state as PortfolioSnapshotData, data as PortfolioUpdateData);
    case 'events':
      return applyEventsUpdate(state as EventsSnapshotData, data as EventEnvelope);
    case 'state':
      return applyStateUpdate(state as JsonObject, data as JsonObject);
  }
}

/** A deep copy cheap enough for plain JSON data (snapshots are plain JSON). */
export function cloneData<T>(data: T): T {
  return structuredClone(data);
}

/** Sums of the rows, the way totals must add up after every update. */
export function sumPositions(positions: readonly Position[]): PortfolioTotals {
  let marketValue = 0;
  let unrealizedPnl = 0;
  let realizedPnl = 0;
  for (const p of positions) {
    marketValue += p.marketValue;
    unrealizedPnl += p.unrealizedPnl;
    realizedPnl += p.realizedPnl;
  }
  // Rows are in cents; their float sum is not (0.1 + 0.2), so the totals are rounded back to cents.
  return {
    marketValue: cents(marketValue),
    unrealizedPnl: cents(unrealizedPnl),
    realizedPnl: cents(realizedPnl),
    totalPnl: cents(unrealizedPnl + realizedPnl),
  };
}

const cents = (value: number) => Math.round(value * 100) / 100;
