/** A MarketStream on a fake transport and a fake clock, for unit tests that run without a server. */
import { MarketStream, type StreamError, type StreamOptions, type TopicEvent } from '../../src/stream/index.js';
import { FakeClock, FakeTransport, settle } from './fakes.js';

export const TOPIC = 'candles:BTC-USD:1s';
export const EPOCH = 'e1';

export const bar = (time: number, close = 100) => ({ time, open: 100, high: 101, low: 99, close, volume: 1, trades: 1 });
export const snapshotData = () => ({ symbol: 'BTC-USD', interval: '1s', bars: [bar(1_000)] });

export interface Harness {
  stream: MarketStream;
  clock: FakeClock;
  transport: FakeTransport;
  states: string[];
  errors: StreamError[];
}

const open: MarketStream[] = [];
let counter = 0;

export function fakeStream(options: StreamOptions = {}): Harness {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  // Polling must not fire on its own in these tests unless a test asks for it.
  const stream = new MarketStream(`ws://fake.test/${++counter}`, { pollIntervalMs: 3_600_000, clock, transport: transport.factory, ...options });
  open.push(stream);
  const states: string[] = [];
  const errors: StreamError[] = [];
  stream.on('statechange', ({ state }) => states.push(state));
  stream.on('error', (error) => errors.push(error));
  return { stream, clock, transport, states, errors };
}

/** afterEach: closes every stream the tests made. */
export function closeFakeStreams(): void {
  for (const stream of open.splice(0)) stream.close();
}

/** Subscribes a recording listener (coalesce `none`, so nothing waits for a frame). */
export function listen(stream: MarketStream, topic = TOPIC) {
  const events: TopicEvent[] = [];
  const errors: StreamError[] = [];
  const handle = stream.subscribe(topic, (event) => events.push(event), { coalesce: 'none', onError: (error) => errors.push(error) });
  return { events, errors, handle };
}

/** Subscribes, lets the stream open a link, welcomes it, answers the sub and sends a snapshot at `seq`. */
export async function openWithSnapshot(h: Harness, seq = 5) {
  const listener = listen(h.stream);
  await settle();
  const link = h.transport.last;
  link.welcome({ serverTime: h.clock.now() });
  const sub = link.ops('sub').at(-1)!;
  link.receive(
    { op: 'subscribed', id: sub.id, topic: TOPIC, epoch: EPOCH, seq, recovered: false },
    { op: 'snapshot', topic: TOPIC, epoch: EPOCH, seq, data: snapshotData() },
  );
  return { ...listener, link };
}

export const update = (seq: number, time = 1_000 + seq) => ({ op: 'update', topic: TOPIC, seq, time, data: bar(time) });
