/**
 * Protocol v1 frames as the reference server writes them, for the bench feed and the
 * bare `ws` baseline. The candle update text is the reference server's own
 * (server/engine/update-text.ts); each message is serialised once, then shared by every
 * client; `selfCheck` proves the text equals `JSON.stringify` of the same message.
 */
import type { Bar, UpdateMessage } from '../../src/protocol/index.js';
import { candleUpdatePrefix, candleUpdateText as writeCandleUpdate } from '../../server/engine/update-text.js';

const prefixes = new Map<string, string>();

/** Text of `{"op":"update","topic","seq","time","data":bar}`: the reference server's own writer. */
export function candleUpdateText(topic: string, seq: number, time: number, bar: Bar): string {
  let prefix = prefixes.get(topic);
  if (prefix === undefined) prefixes.set(topic, (prefix = candleUpdatePrefix(topic)));
  return writeCandleUpdate(prefix, seq, time, bar);
}

/** One server frame: a batch (JSON array) of already serialised messages. */
export function batchText(messages: readonly string[]): string {
  return `[${messages.join(',')}]`;
}

/** Throws when the hand-built text differs from JSON.stringify of the same message. */
export function selfCheck(): void {
  const bar: Bar = { time: 1_700_000_040, open: 101.25, high: 101.5, low: 100.75, close: 101.125, volume: 12.5, trades: 7 };
  const message: UpdateMessage<Bar> = { op: 'update', topic: 'candles:SYM00:1m', seq: 42, time: 1_700_000_040_123, data: bar };
  const text = candleUpdateText(message.topic, message.seq, message.time, bar);
  if (text !== JSON.stringify(message)) throw new Error(`bench wire text differs from JSON.stringify:\n${text}\n${JSON.stringify(message)}`);
  if (batchText([text, text]) !== JSON.stringify([message, message])) throw new Error('bench batch text differs');
}

/** Deterministic PRNG (the simulator's mulberry32) so every run offers the same market. */
export { seededRandom as prng } from '../../server/feeds/random.js';

/** Prices on a 1/64 grid stay short and exact in JSON. */
export const tick = (price: number) => Math.max(1, Math.round(price * 64) / 64);

export function benchSymbols(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `SYM${String(i).padStart(2, '0')}`);
}
