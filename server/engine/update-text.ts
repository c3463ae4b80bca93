/**
 * The text of a candle update, written by hand: it is the hot path of every trade
 * (the server's topics and the bench feeds both write it here). The same bytes as
 * `JSON.stringify({ op: 'update', topic, seq, time, data: bar })`, key order included.
 */
import type { Bar } from '../../src/protocol/index.js';

/** The part of a topic's update text that never changes: compute it once per topic. */
export function candleUpdatePrefix(topic: string): string {
  return `{"op":"update","topic":${JSON.stringify(topic)},"seq":`;
}

/** One candle update; `prefix` is `candleUpdatePrefix(topic)`. */
export function candleUpdateText(prefix: string, seq: number, time: number, bar: Bar): string {
  const { open, high, low, close, volume, trades } = bar;
  // JSON writes a non-finite number as null; the template would not, so leave those to it.
  if (!Number.isFinite(open + high + low + close + volume + trades + time + bar.time))
    return `${prefix}${seq},"time":${JSON.stringify(time)},"data":${JSON.stringify(bar)}}`;
  return `${prefix}${seq},"time":${time},"data":{"time":${bar.time},"open":${open},"high":${high},"low":${low},"close":${close},"volume":${volume},"trades":${trades}}}`;
}
