/** Fakes for the stream's unit tests: a clock whose timers run only when the test advances time, and a transport the test plays the server on. */
import type { Transport, TransportEvents, TransportFactory } from '../../src/stream/transport.js';

/** A fake clock with timers that run only when the test advances time. */
export class FakeClock {
  time = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  /** The jitter source handed to the stream (`clock.random`). */
  randomValue = 0.5;
  now = () => this.time;
  random = () => this.randomValue;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  };
  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  /** Timers waiting, with their due times. */
  get pending(): number[] {
    return this.timers.map((t) => t.at - this.time).sort((a, b) => a - b);
  }
  /** Moves time forward, running due timers in order (each at its due time). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = end;
  }
  /** Moves time forward with no timer running (a frozen page), then lets the late timers fire. */
  freeze(ms: number): void {
    this.time += ms;
    this.advance(0);
  }
}


// ---- transport -------------------------------------------------------------------


/** One link opened by the stream: records what it sends; the test plays the server. */
export class FakeLink implements Transport {
  /** Client frames sent, parsed. */
  readonly sent: Array<Record<string, any>> = [];
  /** Set when the stream closed this link itself. */
  closedWith: { code: number; reason: string } | undefined;
  private state: 'connecting' | 'open' | 'ended' = 'connecting';

  constructor(
    readonly url: string,
    private readonly events: TransportEvents,
  ) {}

  send(text: string): boolean {
    if (this.state !== 'open') return false;
    this.sent.push(JSON.parse(text) as Record<string, any>);
    return true;
  }

  close(code: number, reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.closedWith = { code, reason };
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Frames sent with this op. */
  ops(op: string): Array<Record<string, any>> {
    return this.sent.filter((m) => m.op === op);
  }

  // The server's side.
  open(): void {
    this.state = 'open';
    this.events.open();
  }

  /** Delivers messages as one frame (an array when more than one); even after close, like a frame already queued. */
  receive(...messages: unknown[]): void {
    this.events.message(JSON.stringify(messages.length === 1 ? messages[0] : messages));
  }

  /** A raw frame (e.g. binary data). */
  receiveRaw(data: unknown): void {
    this.events.message(data);
  }

  /** Opens, answers the hello with `welcome`. */
  welcome(options: { heartbeatMs?: number; serverTime?: number } = {}): void {
    if (this.state === 'connecting') this.open();
    this.receive({ op: 'welcome', v: 1, session: 's', heartbeatMs: options.heartbeatMs ?? 10_000, serverTime: options.serverTime ?? Date.now() });
  }

  /** The far side ends the link. */
  drop(code = 1006, reason = ''): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.events.close(code, reason);
  }
}

/** A TransportFactory that hands out FakeLinks (or throws, when told to). */
export class FakeTransport {
  readonly links: FakeLink[] = [];
  /** The next open() throws this. */
  failNext: Error | undefined;
  readonly factory: TransportFactory = (url, events) => {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const link = new FakeLink(url, events);
    this.links.push(link);
    return link;
  };

  get last(): FakeLink {
    const link = this.links[this.links.length - 1];
    if (!link) throw new Error('no link opened yet');
    return link;
  }
}

/** Lets pending promise callbacks run (the stream awaits its token before opening a link). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
