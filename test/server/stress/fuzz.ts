/**
 * Fuzz driver: several clients at once send malformed and hostile frames from a seeded
 * generator (so a failure can be replayed), reconnecting whenever the server closes
 * them, while one well-behaved client checks that its stream stays gapless.
 */
import { WebSocket } from 'ws';
import { seededRandom } from '../../../server/feeds/random.js';


export type FrameKind =
  | 'invalid_json'
  | 'wrong_types'
  | 'huge_numbers'
  | 'deep_nesting'
  | 'unknown_op'
  | 'not_object'
  | 'binary'
  | 'invalid_utf8'
  | 'oversized'
  | 'hostile_valid'
  | 'flood';

export interface HostileFrame {
  kind: FrameKind;
  /** One frame, or several for a flood. */
  frames: Array<{ data: string | Buffer; binary: boolean }>;
}

const KINDS: Array<[FrameKind, number]> = [
  ['invalid_json', 14],
  ['wrong_types', 14],
  ['huge_numbers', 10],
  ['deep_nesting', 5],
  ['unknown_op', 10],
  ['not_object', 8],
  ['binary', 6],
  ['invalid_utf8', 1],
  ['oversized', 1],
  ['hostile_valid', 30],
  ['flood', 0.25],
];
const TOTAL_WEIGHT = KINDS.reduce((n, [, w]) => n + w, 0);

const MARKUP = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>', '\u202e', '\u0000', '😀', '\\u0000'];
const NUMBERS = ['1e308', '-1e308', '1e400', '-1e400', '9007199254740993', '123456789012345678901234567890', '-0', '0.1', '-1', 'NaN', 'Infinity', '1e-400', '0x10'];

export interface GeneratorContext {
  epoch: string;
  /** Topics that exist (cheap ones: small snapshots). */
  topics: string[];
  maxFrameBytes: number;
  floodSize: number;
}

export function createGenerator(seed: number, ctx: GeneratorContext): () => HostileFrame {
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const text = (max: number) => {
    let s = '';
    const n = int(max);
    for (let i = 0; i < n; i++) s += rnd() < 0.1 ? pick(MARKUP) : String.fromCharCode(32 + int(95));
    return s;
  };
  const anyValue = (): unknown => pick<() => unknown>([() => text(20), () => int(1e9), () => null, () => true, () => [], () => ({}), () => -int(5), () => 1.5])();
  const one = (data: string | Buffer, binary = false): HostileFrame['frames'] => [{ data, binary }];

  const make: Record<FrameKind, () => HostileFrame['frames']> = {
    invalid_json: () =>
      one(
        pick([
          () => text(200),
          () => JSON.stringify({ op: 'sub', id: int(100), topic: pick(ctx.topics) }).slice(0, 1 + int(40)),
          () => '{"op":"ping","id":1,"t":1,}',
          () => "{'op':'ping'}",
          () => '{"op":"ping" "id":1}',
          () => '',
          () => ' ',
          () => '{"op":"sub","id":1,"topic":"candles:BTC-USD:1m"}}',
          () => '\u0000{"op":"ping"}',
          () => '[' + text(50),
        ])(),
      ),
    wrong_types: () => {
      const op = pick(['hello', 'sub', 'unsub', 'ping', 'refresh']);
      const message: Record<string, unknown> = { op };
      for (const key of ['id', 'topic', 't', 'v', 'token', 'since']) if (rnd() < 0.6) message[key] = anyValue();
      if (rnd() < 0.3) message.since = { epoch: anyValue(), seq: anyValue() };
      return one(JSON.stringify(message));
    },
    huge_numbers: () => {
      const n = pick(NUMBERS);
      return one(
        pick([
          `{"op":"ping","id":${n},"t":1}`,
          `{"op":"ping","id":1,"t":${n}}`,
          `{"op":"sub","id":${n},"topic":"${pick(ctx.topics)}"}`,
          `{"op":"sub","id":2,"topic":"${pick(ctx.topics)}","since":{"epoch":"${ctx.epoch}","seq":${n}}}`,
          `{"op":"hello","v":${n}}`,
          `${n}`,
          '9'.repeat(1 + int(ctx.maxFrameBytes - 100)),
        ]),
      );
    },
    deep_nesting: () => {
      const depth = 10 + int(Math.floor((ctx.maxFrameBytes - 64) / 6));
      return one(
        pick([
          () => '['.repeat(depth * 2) + ']'.repeat(depth * 2),
          () => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
          () => '['.repeat(depth * 2),
          () => `{"op":"sub","id":1,"topic":"x","since":${'{"e":'.repeat(depth)}1${'}'.repeat(depth)}}`,
        ])().slice(0, ctx.maxFrameBytes - 1),
      );
    },
    unknown_op: () => one(JSON.stringify({ op: pick(['', 'HELLO', 'subscribe', '__proto__', 'constructor', 'toString', text(80)]), id: int(1000), topic: text(30) })),
    not_object: () => one(pick(['[]', '[{"op":"ping","id":1,"t":1}]', '"ping"', '42', 'null', 'true', 'false', '{}', '{"op":null}', '{"__proto__":{"op":"ping"}}'])),
    binary: () => {
      const bytes = Buffer.alloc(int(2048));
      for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
      if (rnd() < 0.3) bytes.write('{"op":"ping","id":1,"t":1}');
      return one(bytes, true);
    },
    invalid_utf8: () => one(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0xa0, 0xa1, 0xff, 0x22, 0x7d]), false),
    oversized: () => one(JSON.stringify({ op: 'ping', id: 1, t: 1, pad: 'x'.repeat(ctx.maxFrameBytes + int(4096)) })),
    hostile_valid: () =>
      one(
        JSON.stringify(
          pick<() => unknown>([
            () => ({ op: 'sub', id: int(1e6), topic: pick(ctx.topics) }),
            () => ({ op: 'sub', id: int(1e6), topic: pick(ctx.topics), since: { epoch: ctx.epoch, seq: int(5000) } }),
            () => ({ op: 'sub', id: int(1e6), topic: pick(ctx.topics), since: { epoch: text(20) || 'e', seq: int(100) } }),
            () => ({ op: 'unsub', id: int(1e6), topic: pick(ctx.topics) }),
            () => ({ op: 'sub', id: int(1e6), topic: `candles:${text(40)}:1m` }),
            () => ({ op: 'sub', id: int(1e6), topic: `portfolio:${text(70)}` }),
            () => ({ op: 'sub', id: int(1e6), topic: 'candles:NOPE:1m' }),
            () => ({ op: 'unsub', id: int(1e6), topic: text(200) }),
            () => ({ op: 'hello', v: 1, token: text(100) }),
            () => ({ op: 'refresh', token: text(300) || 't' }),
            () => ({ op: 'ping', id: int(1e6), t: rnd() * 1e15 }),
          ])(),
        ),
      ),
    flood: () => Array.from({ length: ctx.floodSize }, (_, i) => ({ data: `{"op":"ping","id":${i},"t":0}`, binary: false })),
  };

  return () => {
    let r = rnd() * TOTAL_WEIGHT;
    let kind: FrameKind = 'hostile_valid';
    for (const [k, w] of KINDS) {
      if ((r -= w) < 0) {
        kind = k;
        break;
      }
    }
    return { kind, frames: make[kind]() };
  };
}

export interface FuzzStats {
  framesSent: number;
  byKind: Record<string, number>;
  connections: number;
  closes: Record<string, number>;
  bytesReceived: number;
}

/**
 * Runs `clients` fuzzing connections until `frames` frames were sent in total. Each
 * connection says hello (9 times in 10) and then sends generated frames in small
 * bursts; when the server closes it (1009, 1007, 4400, 4429, ...) it reconnects.
 */
export async function runFuzz(options: {
  url: string;
  frames: number;
  clients: number;
  seed: number;
  ctx: GeneratorContext;
  /** Frames per burst, and pause between bursts (ms). */
  burst?: number;
  pauseMs?: number;
}): Promise<FuzzStats> {
  const stats: FuzzStats = { framesSent: 0, byKind: {}, connections: 0, closes: {}, bytesReceived: 0 };
  const burst = options.burst ?? 8;
  const pauseMs = options.pauseMs ?? 10;
  const budgetLeft = () => options.frames - stats.framesSent;

  const worker = async (index: number) => {
    const next = createGenerator(options.seed * 1000 + index, options.ctx);
    const rnd = seededRandom(options.seed * 7919 + index);
    while (budgetLeft() > 0) {
      const ws = new WebSocket(options.url, { perMessageDeflate: false });
      stats.connections += 1;
      ws.on('error', () => {});
      ws.on('message', (data: Buffer) => (stats.bytesReceived += data.length));
      const closed = new Promise<void>((resolve) =>
        ws.once('close', (code) => {
          stats.closes[code] = (stats.closes[code] ?? 0) + 1;
          resolve();
        }),
      );
      const opened = await new Promise<boolean>((resolve) => {
        ws.once('open', () => resolve(true));
        ws.once('close', () => resolve(false));
      });
      if (!opened) {
        await closed;
        continue;
      }
      const sendOne = (data: string | Buffer, binary: boolean, kind: string) => {
        if (ws.readyState !== WebSocket.OPEN) return false;
        ws.send(data, { binary });
        stats.framesSent += 1;
        stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
        return true;
      };
      if (rnd() < 0.9) sendOne('{"op":"hello","v":1}', false, 'hello');
      let open = true;
      while (open && budgetLeft() > 0) {
        for (let i = 0; i < burst && open; i++) {
          const frame = next();
          for (const { data, binary } of frame.frames) {
            if (budgetLeft() <= 0 || !(open = sendOne(data, binary, frame.kind))) break;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        open &&= ws.readyState === WebSocket.OPEN;
      }
      ws.terminate();
      await closed;
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, i) => worker(i)));
  return stats;
}

/** A well-behaved subscriber that checks every update is the topic's last seq + 1 in one epoch. */
export class GaplessWatcher {
  readonly ws: WebSocket;
  readonly updates = new Map<string, number>();
  readonly problems: string[] = [];
  readonly epochs = new Set<string>();
  private readonly last = new Map<string, number>();
  private closedCode: number | undefined;
  readonly ready: Promise<void>;

  constructor(url: string, readonly topics: string[]) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on('error', (error) => this.problems.push(`socket error: ${error.message}`));
    this.ws.on('close', (code) => (this.closedCode = code));
    let subscribed = 0;
    this.ready = new Promise((resolve, reject) => {
      this.ws.once('close', (code) => reject(new Error(`watcher closed early (${code})`)));
      this.ws.on('message', (data: Buffer) => {
        const value = JSON.parse(data.toString()) as Record<string, any> | Array<Record<string, any>>;
        for (const m of Array.isArray(value) ? value : [value]) {
          if (m.op === 'welcome') topics.forEach((topic, i) => this.ws.send(JSON.stringify({ op: 'sub', id: i + 1, topic })));
          else if (m.op === 'subscribed') {
            this.epochs.add(m.epoch);
            this.last.set(m.topic, m.seq);
            if (m.recovered) this.problems.push(`unexpected recovered sub of ${m.topic}`);
            if (++subscribed === topics.length) resolve();
          } else if (m.op === 'snapshot') {
            if (m.seq !== this.last.get(m.topic)) this.problems.push(`snapshot seq ${m.seq} != subscribed seq for ${m.topic}`);
          } else if (m.op === 'update') {
            const last = this.last.get(m.topic);
            if (last === undefined) this.problems.push(`update before subscribed on ${m.topic}`);
            else if (m.seq !== last + 1) this.problems.push(`${m.topic}: seq ${m.seq} after ${last}`);
            this.last.set(m.topic, m.seq);
            this.updates.set(m.topic, (this.updates.get(m.topic) ?? 0) + 1);
          } else if (m.op === 'error') this.problems.push(`error ${m.code}: ${m.message}`);
        }
      });
    });
    this.ws.once('open', () => this.ws.send('{"op":"hello","v":1}'));
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN && this.closedCode === undefined;
  }

  get totalUpdates(): number {
    let n = 0;
    for (const count of this.updates.values()) n += count;
    return n;
  }

  lastSeq(topic: string): number | undefined {
    return this.last.get(topic);
  }

  close(): void {
    this.ws.terminate();
  }
}
