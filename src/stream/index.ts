/** The shared stream controller: one resilient WebSocket per server URL for the whole page. */
export * from './types.js';
export { getStream } from './get-stream.js';
export { MarketStream, STREAM_DEFAULTS, pausedStorageKey } from './market-stream.js';
export { normaliseStreamUrl, httpBaseOf } from './url.js';
export { backoffDelay, backoffCeiling, Backoff, type BackoffOptions } from './backoff.js';
export { REGISTRY_KEY } from './registry.js';
// Payload types integrators need to read `state.data` and `update.data` (types only, no runtime cost).
export type {
  Bar,
  CandleSnapshotData,
  CandleUpdateData,
  EventEnvelope,
  EventsSnapshotData,
  EventsUpdateData,
  Interval,
  JsonObject,
  JsonValue,
  PortfolioSnapshotData,
  PortfolioTotals,
  PortfolioUpdateData,
  Position,
  StateSnapshotData,
  StateUpdateData,
  TopicSnapshot,
  UpdateMessage,
} from '../protocol/index.js';
