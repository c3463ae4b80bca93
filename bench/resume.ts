/**
 * Part 7 (issue 12): what a resume costs on the wire. A client that holds
 * `candles:<SYMBOL>:1m` goes away for `awayMs` (60 s by default) while the simulator trades
 * at the default rate, then comes back with `since`: with `compact` in its hello it gets a
 * compacted replay (the bars that changed); the baseline, a client of the same run without
 * `compact`, gets what an exact-history server gives (the missed updates, or a snapshot).
 * Bytes are the JSON text of the topic's messages after `subscribed`.
 */
import WebSocket from 'ws';
import { sleep, spawnChild } from './lib/proc.js';

export interface ResumeOptions {
  awayMs: number;
  log: (line: string) => void;
}

export interface ResumeAnswer {
  recovered: boolean;
  compacted: boolean;
  messages: number;
  bytes: number;
}

export interface ResumeResult {
  topic: string;
  awaySeconds: number;
  snapshotBytes: number;
  missedUpdates: number;
  compact: ResumeAnswer;
  plain: ResumeAnswer;
  /** Compacted resume bytes / snapshot bytes. */
  ratio: number;
  errors: string[];
}

const SYMBOL = 'BTC-USD';
const TOPIC = `candles:${SYMBOL}:1m`;

/** One connection: hello (with caps), then the frames of one sub, read until `until` says done. */
async function exchange(url: string, caps: string[] | undefined, sub: Record<string, unknown>, until: (m: any, state: { seq?: number }) => boolean) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const messages: Array<{ m: any; bytes: number }> = [];
  const state: { seq?: number } = {};
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ op: 'hello', v: 1, ...(caps ? { caps } : {}) })));
    socket.on('message', (raw) => {
      const parsed = JSON.parse(raw.toString());
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m.op === 'welcome') socket.send(JSON.stringify({ op: 'sub', id: 1, topic: TOPIC, ...sub }));
        else if (m.topic === TOPIC) {
          messages.push({ m, bytes: Buffer.byteLength(JSON.stringify(m)) });
          if (until(m, state)) resolve();
        }
      }
    });
    socket.once('error', reject);
    setTimeout(() => reject(new Error('resume bench: no answer in 10 s')), 10_000).unref();
  });
  socket.terminate();
  return messages;
}

const untilSnapshotOrLast = (m: any, state: { seq?: number }) => {
  if (m.op === 'subscribed') {
    state.seq = m.seq;
    return false;
  }
  return m.op === 'snapshot' || (m.op === 'update' && m.seq === state.seq);
};

export async function runResumePart(opts: ResumeOptions): Promise<ResumeResult> {
  const errors: string[] = [];
  const server = spawnChild('memory-server-child.ts', [], {});
  try {
    const { url } = (await server.call('start', { symbols: [SYMBOL] }, 60_000)) as { url: string };
    const first = await exchange(url, ['compact'], {}, (m) => m.op === 'snapshot');
    const snapshot = first.find((x) => x.m.op === 'snapshot')!;
    const since = { epoch: snapshot.m.epoch, seq: snapshot.m.seq };
    opts.log(`resume: holding ${TOPIC} at seq ${since.seq}; away for ${Math.round(opts.awayMs / 1000)} s`);
    await sleep(opts.awayMs);
    const answer = async (caps: string[] | undefined): Promise<ResumeAnswer & { seq: number }> => {
      const got = await exchange(url, caps, { since }, untilSnapshotOrLast);
      const subscribed = got.find((x) => x.m.op === 'subscribed')!.m;
      if (subscribed.recovered && got.at(-1)!.m.seq !== subscribed.seq) errors.push(`${caps ? 'compact' : 'plain'} replay did not end at subscribed.seq`);
      const rest = got.filter((x) => x.m.op !== 'subscribed');
      return { recovered: subscribed.recovered, compacted: subscribed.compacted === true, messages: rest.length, bytes: rest.reduce((n, x) => n + x.bytes, 0), seq: subscribed.seq };
    };
    const compact = await answer(['compact']);
    const plain = await answer(undefined);
    return {
      topic: TOPIC,
      awaySeconds: Math.round(opts.awayMs / 1000),
      snapshotBytes: snapshot.bytes,
      missedUpdates: compact.seq - since.seq,
      compact,
      plain,
      ratio: compact.bytes / snapshot.bytes,
      errors,
    };
  } finally {
    await server.stop();
  }
}
