// Outgoing frames: built once per distinct queue in a turn, written whole to the socket by the
// FrameWriter with the same bytes ws would frame, in order with ws's own control frames; metrics
// counted per turn, exactly.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import { CloseCode } from '../../src/protocol/index.js';
import { addToFingerprint, EMPTY_FINGERPRINT, FlushTurn, framesOf, FrameWriter, MAX_BATCHED_CHARS, OutFrame, OutMessage } from '../../server/frame-writer.js';
import { ServerMetrics } from '../../server/metrics.js';
import { metricValue, serverFor, TestClient, waitUntil } from '../support/node/server.js';

/** ws's own framing (exported by ws as `Sender`, not in its type definitions). */
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
};
const fingerprintOf = (queue: OutMessage[]) => queue.reduce(addToFingerprint, EMPTY_FINGERPRINT);
const T0 = Date.UTC(2030, 0, 1);
const trade = (symbol: string, price: number, time: number) => ({ symbol, price, size: 1, time });

describe('frames', () => {
  test('a frame written whole is byte-identical to what ws frames for the same text', () => {
    for (const length of [0, 1, 125, 126, 127, 1000, 65_535, 65_536, 70_000, 300_000]) {
      const payload = Buffer.alloc(length, 0x61);
      const wsFrame = Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
      const ours = new OutFrame(payload, 1).wire;
      assert.ok(ours.equals(wsFrame), `length ${length}: ${ours.subarray(0, 10).toString('hex')} vs ${wsFrame.subarray(0, 10).toString('hex')}`);
    }
  });

  test('a lone message is its own frame, encoded once', () => {
    const message = new OutMessage('{"op":"pong","id":1,"t":1,"serverTime":2}');
    assert.equal(message.frame, message.frame);
    assert.equal(message.frame.payload.toString(), message.json);
    assert.equal(message.frame.messages, 1);
    assert.deepEqual(framesOf([message]), [message.frame]);
  });

  test('queues with the same messages in the same order share one set of frames; other queues get their own', () => {
    const [a, b, c] = ['{"n":1}', '{"n":2}', '{"n":"é"}'].map((json) => new OutMessage(json)) as [OutMessage, OutMessage, OutMessage];
    const turn = new FlushTurn();
    const first = turn.framesFor([a, b, c], fingerprintOf([a, b, c]));
    assert.equal(first.length, 1);
    assert.equal(first[0]!.payload.toString(), '[{"n":1},{"n":2},{"n":"é"}]');
    assert.equal(first[0]!.messages, 3);
    // Another session's queue: a different array holding the same messages.
    assert.equal(turn.framesFor([a, b, c], fingerprintOf([a, b, c])), first);
    const reordered = turn.framesFor([b, a, c], fingerprintOf([b, a, c]));
    assert.notEqual(reordered, first);
    assert.equal(reordered[0]!.payload.toString(), '[{"n":2},{"n":1},{"n":"é"}]');
    // Two queues whose fingerprints collide still get their own frames.
    const collided = turn.framesFor([a, c], fingerprintOf([a, b, c]));
    assert.equal(collided[0]!.payload.toString(), '[{"n":1},{"n":"é"}]');
    assert.equal(turn.framesFor([a, b, c], fingerprintOf([a, b, c])), first);
    // A new turn builds afresh (nothing is kept from one turn to the next).
    assert.notEqual(new FlushTurn().framesFor([a, b, c], fingerprintOf([a, b, c])), first);
  });

  test('a queue past MAX_BATCHED_CHARS (16 KiB) is cut into bounded frames, in order; a message that fits with no other goes alone', () => {
    assert.equal(MAX_BATCHED_CHARS, 16 * 1024);
    const big = (n: number) => new OutMessage(JSON.stringify({ n, pad: 'x'.repeat(MAX_BATCHED_CHARS / 2 - 40) }));
    const queue = [big(1), big(2), big(3), new OutMessage('{"n":4}')];
    const frames = framesOf(queue);
    const texts = frames.map((f) => f.payload.toString());
    assert.ok(texts.every((t) => t.length <= MAX_BATCHED_CHARS + 2));
    const order = texts.flatMap((t) => {
      const value = JSON.parse(t) as { n: number } | { n: number }[];
      return (Array.isArray(value) ? value : [value]).map((m) => m.n);
    });
    assert.deepEqual(order, [1, 2, 3, 4]);
    assert.deepEqual(
      frames.map((f) => f.messages),
      [2, 2],
    );
    const alone = framesOf([big(5), new OutMessage(JSON.stringify({ n: 6, pad: 'y'.repeat(MAX_BATCHED_CHARS) })), big(7)]);
    assert.equal(alone.length, 3);
    assert.ok(alone.every((f) => f.messages === 1));
  });
});

describe('frame writer', () => {
  /** A socket that takes every write and never drains (a client that stopped reading). */
  const stuckSocket = () => {
    const chunks: Buffer[] = [];
    const socket = new Writable({ write: (chunk: Buffer) => void chunks.push(chunk) });
    return { socket, chunks };
  };
  const noExtensions = { extensions: '' } as WebSocket;

  test('writes each frame whole to the socket and counts it; says when the buffer is at or past the high-water mark', async () => {
    const { socket, chunks } = stuckSocket();
    const writer = new FrameWriter(noExtensions, socket, 100);
    const turn = new FlushTurn();
    const small = new OutMessage('{"n":1}').frame;
    const big = new OutFrame(Buffer.alloc(150, 0x61), 3);
    assert.equal(writer.full, false);
    writer.write(small, turn);
    assert.equal(writer.full, false, 'under the mark');
    writer.write(big, turn);
    assert.equal(writer.full, true, 'now it is over: the send queue writes nothing more until it drains');
    assert.equal(writer.buffered, small.wire.length + big.wire.length);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(chunks[0]!.equals(small.wire), 'the first chunk is the whole first frame, header included');
    const metrics = new ServerMetrics({ addresses: () => 0, connections: () => 0, subscriptions: () => 0, topics: () => 0 });
    turn.report(metrics);
    const text = await metrics.text();
    assert.match(text, /lmw_messages_sent_total 4\b/);
    assert.match(text, /lmw_frames_sent_total 2\b/);
    assert.match(text, new RegExp(`lmw_bytes_sent_total ${small.payload.length + 150}\\b`));
  });

  test('with the high-water mark off (0) it is never full', () => {
    const { socket } = stuckSocket();
    const writer = new FrameWriter(noExtensions, socket, 0);
    const turn = new FlushTurn();
    for (let i = 0; i < 3; i++) writer.write(new OutFrame(Buffer.alloc(1000), 1), turn);
    assert.equal(writer.full, false);
  });

  test('refuses a WebSocket with extensions: ws queues compressed frames, and ours could overtake them', () => {
    const { socket } = stuckSocket();
    assert.throws(() => new FrameWriter({ extensions: 'permessage-deflate' } as WebSocket, socket, 0), TypeError);
  });
});

describe('fan-out through the server', () => {
  test('clients following the same topics get the same array frame; metrics count every message, frame and byte', async (t) => {
    const server = await serverFor(t, { feed: 'none' });
    server.publishTrades([trade('AAA', 10, T0), trade('BBB', 20, T0)]);
    const both = await Promise.all([1, 2, 3].map(() => TestClient.connect(server)));
    for (const client of both) {
      await client.sub('candles:AAA:1m');
      await client.next((m) => m.op === 'snapshot');
      await client.sub('candles:BBB:1m');
      await client.next((m) => m.op === 'snapshot');
    }
    const one = await TestClient.connect(server);
    await one.sub('candles:AAA:1m');
    await one.next((m) => m.op === 'snapshot');
    const clients = [...both, one];
    const framesBefore = clients.map((c) => c.frames.length);
    const read = (name: string) => metricValue(server.httpUrl, name);
    const [messages0, frames0, bytes0] = [await read('lmw_messages_sent_total'), await read('lmw_frames_sent_total'), await read('lmw_bytes_sent_total')];

    server.publishTrades([trade('AAA', 11, T0 + 60_000), trade('BBB', 21, T0 + 60_000)]);
    for (const client of both) await client.next((m) => m.op === 'update' && m.topic === 'candles:BBB:1m');
    await one.next((m) => m.op === 'update');
    const received = clients.map((c, i) => c.frames.slice(framesBefore[i]));
    for (const frames of received) assert.equal(frames.length, 1, 'one frame per client for the turn');
    const shared = received[0]![0]!;
    assert.equal(received[1]![0], shared);
    assert.equal(received[2]![0], shared);
    const batch = JSON.parse(shared) as { topic: string; seq: number }[];
    assert.deepEqual(
      batch.map((m) => `${m.topic}#${m.seq}`),
      ['candles:AAA:1m#2', 'candles:BBB:1m#2'],
    );
    assert.deepEqual(JSON.parse(received[3]![0]!), batch[0], 'a client of one topic gets that update alone');

    assert.equal((await read('lmw_messages_sent_total')) - messages0, 3 * 2 + 1);
    assert.equal((await read('lmw_frames_sent_total')) - frames0, 4);
    const bytes = received.flat().reduce((n, text) => n + Buffer.byteLength(text), 0);
    assert.equal((await read('lmw_bytes_sent_total')) - bytes0, bytes);
    for (const c of clients) c.close();
  });

  test("frames written to the socket stay whole and in order with ws's pongs and close frame", async (t) => {
    const { startMarketServer } = await import('../../server/app.js');
    const server = await startMarketServer({ port: 0, feed: 'none' });
    let closed = false;
    t.after(() => (closed ? undefined : server.close()));
    server.publishTrades([trade('AAA', 10, T0)]);
    const client = await TestClient.connect(server);
    await client.sub('candles:AAA:1s');
    const snapshot = await client.next((m) => m.op === 'snapshot');
    let pongs = 0;
    client.ws.on('pong', () => pongs++);
    const turns = 300;
    for (let i = 1; i <= turns; i++) {
      // Each turn: one update written by the server, one ping answered by ws itself.
      server.publishTrades([trade('AAA', 10 + (i % 7), T0 + i * 1000)]);
      client.ws.ping();
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The last update is queued in the same turn as the shutdown: it goes out before the close frame.
    server.publishTrades([trade('AAA', 9, T0 + (turns + 1) * 1000)]);
    const closing = server.close();
    closed = true;
    assert.equal((await client.closed).code, CloseCode.GoingAway);
    await closing;
    const seqs = client.all((m) => m.op === 'update').map((m) => m.seq as number);
    assert.equal(seqs.length, turns + 1);
    seqs.forEach((seq, i) => assert.equal(seq, snapshot.seq + i + 1, 'gapless, in order'));
    await waitUntil(() => client.ws.readyState === WebSocket.CLOSED);
    assert.ok(pongs > 0, `${pongs} pongs`);
  });
});
