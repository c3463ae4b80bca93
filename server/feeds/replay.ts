/**
 * Replays a JSON Lines trades file ({symbol, price, size, time} per line) at
 * `speed` times the recorded pace. Trades keep their recorded times, so the bars
 * are the bars of the recording.
 */
import { readFile } from 'node:fs/promises';
import { validateTrade, type Trade } from '../../src/protocol/index.js';

export async function loadTradesFile(path: string): Promise<Trade[]> {
  const text = await readFile(path, 'utf8');
  const trades: Trade[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${i + 1}: not valid JSON`);
    }
    const error = validateTrade(value);
    if (error) throw new Error(`${path}:${i + 1}: ${error}`);
    const { symbol, price, size, time } = value as Trade;
    trades.push({ symbol, price, size, time });
  }
  return trades;
}

export interface ReplayOptions {
  speed: number;
  tickMs?: number;
  onDone?: () => void;
}

export class ReplayFeed {
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private startedAt = 0;

  constructor(
    private readonly trades: readonly Trade[],
    private readonly sink: (trades: Trade[]) => void,
    private readonly options: ReplayOptions,
  ) {
    if (!(options.speed > 0)) throw new Error('replay speed must be a positive number');
  }

  get done(): boolean {
    return this.next >= this.trades.length;
  }

  start(): void {
    if (this.timer || this.trades.length === 0) return;
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 20);
    this.timer.unref?.();
    this.tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const first = this.trades[0]!.time;
    const due = first + (Date.now() - this.startedAt) * this.options.speed;
    const batch: Trade[] = [];
    while (this.next < this.trades.length && this.trades[this.next]!.time <= due) batch.push(this.trades[this.next++]!);
    if (batch.length > 0) this.sink(batch);
    if (this.done) {
      this.stop();
      this.options.onDone?.();
    }
  }
}
