// The send queue on a socket we drain by hand: it writes frame by frame while the buffer is under
// the mark and resumes on drain; replies are produced lazily, one message at a time, and batched
// into frames of at most MAX_BATCHED_CHARS (a larger message alone); a client that stops taking
// data is cut after slowConsumerMs, or when its backlog passes its bound.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { FlushTurn, FrameWriter, MAX_BATCHED_CHARS, OutMessage } from '../../server/frame-writer.js';
import { SendQueue, type DeferredReply, type SendQueueLimits } from '../../server/send-queue.js';
import { delay } from '../support/node/server.js';

/** A socket whose writes complete only when `release()` is called (a client that reads only then). */
function handSocket() {
  const written: Buffer[] = [];
  let callbacks: Array<() => void> = [];
  const socket = new Writable({
    highWaterMark: 1024,
    write(_chunk: Buffer, _encoding, callback) {
      callbacks.push(callback);
    },
  });
  // What the queue wrote, in order (the stream passes chunks on to `write` one at a time).
  const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
  socket.write = ((chunk: Buffer) => {
    written.push(chunk);
    return write(chunk);
  }) as typeof socket.write;
  return {
    socket,
    written,
    /** Lets every write so far complete (the client read it all). */
    release() {
      const pending = callbacks;
      callbacks = [];
      for (const done of pending) done();
    },
  };
}

/** The JSON payload of each frame written (headers stripped). */
const payloads = (written: readonly Buffer[]) =>
  written.map((frame) => {
    const len = frame[1]! & 0x7f;
    const offset = len < 126 ? 2 : len === 126 ? 4 : 10;
    return frame.subarray(offset).toString();
  });
/** Every message's `n`, in order, over the frames. */
const order = (texts: readonly string[]) =>
  texts.flatMap((text) => {
    const value = JSON.parse(text) as { n: number } | { n: number }[];
    return (Array.isArray(value) ? value : [value]).map((m) => m.n);
  });
const msg = (n: number, size = 0) => new OutMessage(JSON.stringify({ n, pad: 'x'.repeat(size) }));

function queueOn(socket: Writable, limits: Partial<SendQueueLimits> = {}) {
  const events = { scheduled: 0, slow: [] as string[] };
  const highWater = limits.highWater ?? 4096;
  const writer = new FrameWriter({ extensions: '' } as WebSocket, socket, highWater);
  const queue = new SendQueue(
    writer,
    { highWater, slowConsumerMs: 10_000, maxBacklogChars: 1_000_000, maxMessages: 100_000, ...limits },
    {
      schedule: () => void events.scheduled++,
      slow: (why) => void events.slow.push(why),
    },
  );
  const flush = () => queue.flush(new FlushTurn());
  return { queue, writer, events, flush };
}

/** A reply of `count` messages of `size` chars; counts how many it was asked for. */
function replyOf(from: number, count: number, size: number) {
  const reply = {
    produced: 0,
    next(): OutMessage | undefined {
      if (reply.produced >= count) return undefined;
      return msg(from + reply.produced++, size);
    },
  };
  return reply;
}

describe('send queue', () => {
  test('messages bigger than the batch cap go alone; the others are batched into frames of at most MAX_BATCHED_CHARS, in order', () => {
    const { socket, written } = handSocket();
    const { queue, flush } = queueOn(socket, { highWater: 0 });
    const big = MAX_BATCHED_CHARS + 500;
    for (const [n, size] of [[1, 10], [2, big], [3, 10], [4, 6000], [5, 6000], [6, 6000], [7, big], [8, 10]] as const) queue.push(msg(n, size));
    flush();
    const texts = payloads(written);
    assert.deepEqual(order(texts), [1, 2, 3, 4, 5, 6, 7, 8]);
    for (const text of texts) {
      if (text.startsWith('[')) assert.ok(text.length <= MAX_BATCHED_CHARS + 2, `a batch of ${text.length} chars`);
      else assert.ok(text.length > MAX_BATCHED_CHARS || JSON.parse(text).n !== 2, 'a big message alone');
    }
    assert.ok(texts.some((t) => !t.startsWith('[') && t.length > MAX_BATCHED_CHARS), 'the big ones went alone');
    // The same through a reply: 40 messages of 1 KB and big ones are cut the same way.
    written.length = 0;
    let i = 0;
    const sizes = [big, ...Array(40).fill(1000), big, 10];
    queue.pushReply({ next: () => (i < sizes.length ? msg(100 + i, sizes[i++]) : undefined) });
    flush();
    const replyTexts = payloads(written);
    assert.deepEqual(order(replyTexts), sizes.map((_, k) => 100 + k));
    for (const text of replyTexts) if (text.startsWith('[')) assert.ok(text.length <= MAX_BATCHED_CHARS + 2, `a reply batch of ${text.length} chars`);
    assert.equal(queue.length, 0);
  });

  test('writes while the buffer is under the mark, stops past it, resumes on drain; nothing lost or reordered', async () => {
    const { socket, written, release } = handSocket();
    const { queue, writer, events, flush } = queueOn(socket, { highWater: 4096 });
    for (let n = 1; n <= 60; n++) queue.push(msg(n, 1000));
    assert.equal(events.scheduled, 1, 'one flush asked for');
    flush();
    const first = written.length;
    assert.ok(writer.full, 'stopped because the buffer is full');
    assert.ok(writer.buffered <= 4096 + MAX_BATCHED_CHARS + 16, `${writer.buffered} bytes buffered: at most the mark and one frame`);
    assert.ok(queue.length > 0, 'the rest waits in the queue');
    assert.equal(queue.waitingForDrain, true);
    // More messages while blocked are queued without asking for a flush (the drain will).
    queue.push(msg(61, 1000));
    assert.equal(events.scheduled, 1);
    for (let rounds = 0; queue.length > 0 && rounds < 100; rounds++) {
      release();
      await delay(0); // drain is emitted after the writes complete
      assert.ok(events.scheduled > 1, 'drain asks for a flush');
      flush();
    }
    release();
    assert.equal(queue.length, 0);
    assert.ok(written.length > first);
    assert.deepEqual(order(payloads(written)), Array.from({ length: 61 }, (_, k) => k + 1));
    assert.deepEqual(events.slow, []);
  });

  test('a reply is produced only when the queue reaches it and the socket takes data, one message at a time', async () => {
    const { socket, written, release } = handSocket();
    const { queue, flush } = queueOn(socket, { highWater: 8 * 1024 });
    queue.push(msg(1, 10));
    const a = replyOf(100, 200, 2000); // 400 KB if built at once
    const b = replyOf(1000, 3, 10);
    queue.pushReply(a);
    queue.pushReply(b);
    queue.push(msg(2, 10)); // a live message behind the replies
    flush();
    assert.ok(a.produced > 0 && a.produced <= 16, `reply produced ${a.produced} of 200 messages before the buffer filled`);
    assert.equal(b.produced, 0, 'the next reply is not even started');
    for (let rounds = 0; queue.length > 0 && rounds < 500; rounds++) {
      release();
      await delay(0);
      flush();
    }
    assert.equal(queue.length, 0);
    assert.deepEqual(order(payloads(written)), [1, ...Array.from({ length: 200 }, (_, k) => 100 + k), 1000, 1001, 1002, 2]);
  });

  test('a reply that waits for its data holds the queue; it goes on, in order, once the data is there', async () => {
    const { socket, written } = handSocket();
    const { queue, events, flush } = queueOn(socket, { highWater: 0 });
    let ready!: () => void;
    const data = new Promise<void>((resolve) => (ready = resolve));
    let loaded = false;
    let sent = 0;
    const reply: DeferredReply = {
      next: () => {
        if (!loaded) return data.then(() => (loaded = true));
        return sent < 2 ? msg(10 + sent++) : undefined;
      },
    };
    queue.push(msg(1));
    queue.pushReply(reply);
    queue.push(msg(2));
    flush();
    assert.deepEqual(order(payloads(written)), [1]);
    queue.push(msg(3));
    const before = events.scheduled;
    ready();
    await delay(0);
    assert.ok(events.scheduled > before, 'the answer asks for a flush');
    flush();
    assert.deepEqual(order(payloads(written)), [1, 10, 11, 2, 3]);
  });

  test('a closing flush writes the messages before the first reply and produces no reply', () => {
    const { socket, written } = handSocket();
    const { queue } = queueOn(socket, { highWater: 0 });
    const reply = replyOf(100, 3, 10);
    queue.push(msg(1));
    queue.pushReply(reply);
    queue.push(msg(2));
    queue.flush(new FlushTurn(), true);
    assert.deepEqual(order(payloads(written)), [1]);
    assert.equal(reply.produced, 0);
  });

  test('a client that takes nothing for slowConsumerMs is cut; one that drains in time is not', async () => {
    const stuck = handSocket();
    const slow = queueOn(stuck.socket, { highWater: 2048, slowConsumerMs: 150 });
    for (let n = 1; n <= 10; n++) slow.queue.push(msg(n, 1000));
    slow.flush();
    await delay(80);
    assert.deepEqual(slow.events.slow, [], 'not before slowConsumerMs');
    await delay(200);
    assert.equal(slow.events.slow.length, 1);
    assert.match(slow.events.slow[0]!, /send buffer over 2048 bytes for 150 ms/);
    assert.equal(slow.queue.length, 0, 'its queue is dropped');
    assert.equal(slow.queue.push(msg(99)), true, 'a stopped queue takes nothing (and does not ask for a close again)');
    assert.equal(slow.queue.length, 0);

    // A reader that drains every 100 ms (under the 150 ms) keeps going, however long the backlog.
    const reading = handSocket();
    const ok = queueOn(reading.socket, { highWater: 2048, slowConsumerMs: 150 });
    for (let n = 1; n <= 30; n++) ok.queue.push(msg(n, 1000));
    ok.flush();
    for (let rounds = 0; ok.queue.length > 0 && rounds < 50; rounds++) {
      await delay(100);
      reading.release();
      await delay(0);
      ok.flush();
    }
    assert.equal(ok.queue.length, 0);
    assert.deepEqual(ok.events.slow, []);
    assert.deepEqual(order(payloads(reading.written)), Array.from({ length: 30 }, (_, k) => k + 1));
  });

  test('the backlog is bounded: past maxBacklogChars or maxMessages (replies included) the queue refuses', () => {
    const { socket } = handSocket();
    const { queue } = queueOn(socket, { highWater: 1024, maxBacklogChars: 10_000, maxMessages: 50 });
    let accepted = 0;
    while (queue.push(msg(accepted, 1000))) accepted++;
    assert.ok(accepted >= 9 && accepted < 10, `${accepted} messages of ~1 KB under a 10,000-char bound`);
    assert.ok(queue.backlogChars <= 10_000);
    const { queue: counted } = queueOn(handSocket().socket, { highWater: 1024, maxMessages: 50 });
    let n = 0;
    while (counted.push(msg(n))) n++;
    assert.equal(n, 50);
    // Replies count as items too, so a client cannot queue them without bound either.
    const { queue: replies } = queueOn(handSocket().socket, { highWater: 1024, maxMessages: 50 });
    let r = 0;
    while (replies.pushReply(replyOf(0, 1, 10))) r++;
    assert.equal(r, 50);
    assert.equal(replies.push(msg(1)), false);
  });
});
