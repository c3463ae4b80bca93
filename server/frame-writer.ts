/**
 * Outgoing messages and frames, shared between clients, and the one place that writes
 * them. A message is serialised once (its JSON text) and encoded once (UTF-8, then one
 * complete WebSocket frame) however many clients get it; the frame of a run of several
 * messages (at most MAX_BATCHED_CHARS of them) is built once for every client whose
 * queue holds the same messages in the same order. `FrameWriter` puts a session's frames
 * on its socket, says when its buffer is full (the send queue, server/send-queue.ts,
 * decides what to write when), and holds the one assumption this makes about `ws`
 * (test/server/frame-writer.test.ts keeps it honest).
 */
import type { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ServerMetrics } from './metrics.js';

/**
 * Largest frame of several messages (characters of JSON): a longer run is sent as several
 * frames, and a message longer than this goes alone. Small enough that the send buffer is
 * checked often (the send queue writes frame by frame while the socket is under its mark).
 */
export const MAX_BATCHED_CHARS = 16 * 1024;

/** One server-to-client text frame, encoded once and shared by every client it goes to. */
export class OutFrame {
  private whole: Buffer | undefined;

  constructor(
    /** The UTF-8 JSON text: one message, or an array of them. */
    readonly payload: Buffer,
    /** Protocol messages in it. */
    readonly messages: number,
    /** The complete frame when it is already built (`payload` is then a view into it). */
    wire?: Buffer,
  ) {
    this.whole = wire;
  }

  /** The frame of `text`, encoded straight into one buffer with its header (one copy of the text, not two). */
  static ofText(text: string, messages: number): OutFrame {
    const length = Buffer.byteLength(text);
    const header = textFrameHeader(length);
    const wire = Buffer.allocUnsafe(header.length + length);
    header.copy(wire, 0);
    wire.write(text, header.length);
    return new OutFrame(wire.subarray(header.length), messages, wire);
  }

  /** The complete WebSocket frame (header and payload) as it goes on the wire, built on first use. */
  get wire(): Buffer {
    return (this.whole ??= Buffer.concat([textFrameHeader(this.payload.length), this.payload]));
  }
}

/**
 * RFC 6455 header of a final, unmasked text frame (servers never mask) of `length` bytes,
 * without extension bits: what `ws` writes for `send(text)` with permessage-deflate off.
 */
export function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65_536) return Buffer.from([0x81, 126, length >>> 8, length & 0xff]);
  const header = Buffer.alloc(10);
  header[0] = 0x81;
  header[1] = 127;
  header.writeUIntBE(length, 4, 6); // lengths here are far below 2^48; the top two bytes stay 0
  return header;
}

let nextMessageId = 1;

/** One protocol message as it goes out: its JSON text and, once needed, its frame alone. */
export class OutMessage {
  /** Identity within the process: queues are compared by these, never by text. */
  readonly id = nextMessageId++;
  private alone: OutFrame | undefined;

  constructor(readonly json: string) {}

  /** The frame of this message sent on its own (a plain object, not an array). */
  get frame(): OutFrame {
    return (this.alone ??= OutFrame.ofText(this.json, 1));
  }
}

/** Start value of a queue fingerprint (FNV-1a offset basis). */
export const EMPTY_FINGERPRINT = 0x811c9dc5 | 0;

/** Folds one message into a queue fingerprint: equal queues have equal fingerprints. */
export function addToFingerprint(fingerprint: number, message: OutMessage): number {
  return Math.imul(fingerprint ^ message.id, 0x01000193);
}

/**
 * The frames of one queue, in order: as many messages per frame as fit in
 * MAX_BATCHED_CHARS (a message that does not fit with others goes alone), a lone
 * message as itself, several as a JSON array.
 */
export function framesOf(queue: readonly OutMessage[]): OutFrame[] {
  const frames: OutFrame[] = [];
  let start = 0;
  while (start < queue.length) {
    let end = start + 1;
    let chars = queue[start]!.json.length;
    while (end < queue.length && chars + queue[end]!.json.length + 1 <= MAX_BATCHED_CHARS) chars += queue[end++]!.json.length + 1;
    if (end - start === 1) frames.push(queue[start]!.frame);
    else {
      let text = `[${queue[start]!.json}`;
      for (let i = start + 1; i < end; i++) text += `,${queue[i]!.json}`;
      frames.push(OutFrame.ofText(`${text}]`, end - start));
    }
    start = end;
  }
  return frames;
}

interface CachedQueue {
  queue: readonly OutMessage[];
  frames: readonly OutFrame[];
  /** Another queue with the same fingerprint (a collision). */
  next: CachedQueue | undefined;
}

/**
 * One flush of every session with something queued (one turn of the event loop):
 * builds the frames of each distinct run of queued messages once (the same live
 * updates queued for many clients) and counts what is sent, reported to the metrics
 * once at the end instead of per frame.
 */
export class FlushTurn {
  private readonly cache = new Map<number, CachedQueue>();
  private messages = 0;
  private frames = 0;
  private bytes = 0;

  /** The frames of `queue` (a queue of several messages; `fingerprint` is its fingerprint). */
  framesFor(queue: readonly OutMessage[], fingerprint: number): readonly OutFrame[] {
    const first = this.cache.get(fingerprint);
    for (let entry = first; entry; entry = entry.next) if (sameMessages(entry.queue, queue)) return entry.frames;
    const frames = framesOf(queue);
    this.cache.set(fingerprint, { queue, frames, next: first });
    return frames;
  }

  sent(frame: OutFrame): void {
    this.messages += frame.messages;
    this.frames += 1;
    this.bytes += frame.payload.length;
  }

  /** Adds what this turn sent to the server's counters. */
  report(metrics: ServerMetrics): void {
    if (this.frames > 0) metrics.sent(this.messages, this.frames, this.bytes);
    this.messages = this.frames = this.bytes = 0;
  }
}

function sameMessages(a: readonly OutMessage[], b: readonly OutMessage[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Writes one session's frames, and says when its send buffer is full.
 *
 * A frame is written to the socket `ws` took over in the upgrade, whole and as `ws`
 * would frame it (`textFrameHeader`): one buffer built once for every client instead of
 * framing per client in `ws.send`. This rests on one assumption about `ws`: without
 * extensions its sender writes each frame (pings, pongs, the close frame) to that socket
 * at once, in call order, so our frames, written synchronously into the same stream,
 * stay whole and in order with its own. With permessage-deflate it compresses
 * asynchronously and queues frames, which ours could overtake: the server never
 * negotiates it (app.ts), and the constructor refuses a socket that did.
 *
 * The writer never refuses a frame: the send queue (server/send-queue.ts) asks `full`
 * before each one and waits for the socket's `drain` when it is, so the buffer holds at
 * most the mark plus one frame.
 */
export class FrameWriter {
  constructor(
    ws: WebSocket,
    /** The socket `ws` took over in the upgrade (what `ws` writes to). */
    readonly socket: Writable,
    /** Send-buffer high-water mark in bytes; 0 = no mark (everything is written at once). */
    readonly highWater: number,
  ) {
    if (ws.extensions !== '') throw new TypeError(`FrameWriter needs a WebSocket without extensions, got "${ws.extensions}"`);
  }

  /** Bytes written and not yet taken by the kernel (what `ws.bufferedAmount` reports). */
  get buffered(): number {
    return this.socket.writableLength;
  }

  /** The send buffer is at or past the mark: write nothing more until it drains. */
  get full(): boolean {
    return this.highWater > 0 && this.socket.writableLength >= this.highWater;
  }

  /** Writes a frame whole and counts it in `turn`. The caller checked that the socket is open. */
  write(frame: OutFrame, turn: FlushTurn): void {
    this.socket.write(frame.wire);
    turn.sent(frame);
  }
}
