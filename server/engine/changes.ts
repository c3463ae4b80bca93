/**
 * What a publisher hands the engine, per topic kind, and the fold that turns it into the
 * update the topic records. Every write is "fold the change into the state, next seq,
 * append to history, deliver", so an engine that keeps its topics elsewhere (Redis, issue
 * 14) runs the same folds: they read only the topic's state and return the update, or
 * null when the change changes nothing (no seq is spent on it).
 */
import {
  mergePatchBetween,
  type Bar,
  type EventEnvelope,
  type JsonObject,
  type PortfolioUpdateData,
} from '../../src/protocol/index.js';

/** A change to a `state:` topic: replace the document, or merge a patch into it. */
export type StateChange = { op: 'put'; doc: JsonObject } | { op: 'patch'; patch: JsonObject };

/**
 * A change published to a topic: a candle topic takes its bar's new state, a portfolio its
 * changed rows and totals, an events topic one event (with its time), a state topic a
 * `StateChange`. Changes are validated before they reach the engine.
 */
export type TopicChange = Bar | PortfolioUpdateData | EventEnvelope | StateChange;

/** The update of a state change: the patch itself, or the patch from the document to the new one; null when nothing changes. */
export function foldStateChange(doc: JsonObject, change: StateChange): JsonObject | null {
  const patch = change.op === 'put' ? mergePatchBetween(doc, change.doc) : change.patch;
  return Object.keys(patch).length === 0 ? null : patch;
}

/** The update of an event: the event itself, or null when its id was already stored (a retried POST). */
export function foldEvent(seenIds: ReadonlyMap<string, number>, event: EventEnvelope): EventEnvelope | null {
  return event.id !== undefined && seenIds.has(event.id) ? null : event;
}
