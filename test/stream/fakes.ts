/** Fakes for the stream's unit tests: a clock whose timers run only when the test advances time. */

/** A fake clock with timers that run only when the test advances time. */
export class FakeClock {
  time = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  now = () => this.time;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  };
  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
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

