/**
 * The seeded market simulator: random-walk prices per symbol, trades at `rate` per
 * second per symbol, a start-up history long enough for full charts at every
 * interval, and fills for the simulated `demo` account.
 */
import type { Trade } from '../../src/protocol/index.js';
import type { InitialHolding } from '../portfolio.js';
import { Random } from './random.js';

export interface MarketSink {
  /** Trades to aggregate; `publish` false only for the start-up history. */
  ingest(trades: Trade[], publish: boolean): void;
  /** A fill for the simulated account (applied before the trades of the same tick). */
  fill(symbol: string, qty: number, price: number): void;
  /** Symbols the simulated account holds now. */
  held(symbol: string): boolean;
}

export interface SimulatorOptions {
  seed: number;
  symbols: readonly string[];
  /** Trades per second per symbol. */
  rate: number;
  /** Loop period; everything one tick produces goes out as one frame per client. */
  tickMs?: number;
  /** Account fills per second (on average). */
  fillRate?: number;
}

interface Profile {
  price: number;
  /** Volatility per sqrt(second), as a fraction of price. */
  vol: number;
  /** Price increment. */
  tick: number;
  /** Mean trade size. */
  size: number;
  /** Size increment. */
  lot: number;
}

const PROFILES: Record<string, Profile> = {
  'BTC-USD': { price: 65_000, vol: 0.0003, tick: 0.01, size: 0.05, lot: 0.0001 },
  'ETH-USD': { price: 3_200, vol: 0.00035, tick: 0.01, size: 0.8, lot: 0.001 },
  'SOL-USD': { price: 150, vol: 0.0004, tick: 0.001, size: 10, lot: 0.01 },
  AAPL: { price: 190, vol: 0.00012, tick: 0.01, size: 50, lot: 1 },
  MSFT: { price: 420, vol: 0.00012, tick: 0.01, size: 30, lot: 1 },
  EURUSD: { price: 1.08, vol: 0.00004, tick: 0.00001, size: 10_000, lot: 1_000 },
  USDJPY: { price: 151.2, vol: 0.00004, tick: 0.001, size: 10_000, lot: 1_000 },
};

function profileOf(symbol: string): Profile {
  const known = PROFILES[symbol];
  if (known) return known;
  let hash = 2166136261;
  for (const ch of symbol) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
  return { price: 20 + (hash % 480), vol: 0.0002, tick: 0.01, size: 10, lot: 1 };
}

/** The price step of a simulated symbol: its snapshots' tick size and precision. */
export function tickSizeOf(symbol: string): number {
  return profileOf(symbol).tick;
}

/** Rounds to a step without float tails (0.1 + 0.2 style). */
function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return Number((Math.round(value / step) * step).toFixed(decimals));
}

/**
 * Start-up history: [seconds ago where the segment starts, spacing between trades].
 * Sparse far back, dense near now, so every interval gets >= 300 bars (1h needs
 * 300 hours, 1s needs 300 seconds) from about 11k trades per symbol.
 */
const BACKFILL_SEGMENTS: ReadonlyArray<readonly [number, number]> = [
  [330 * 3600, 450],
  [83 * 3600, 112],
  [28 * 3600, 37],
  [5.5 * 3600, 8],
  [28 * 60, 0.625],
  [6 * 60, 0.2],
];

const REVERSION_HALF_LIFE_SEC = 24 * 3600;

export class MarketSimulator {
  private readonly random: Random;
  private readonly prices = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  readonly tickMs: number;
  private readonly fillRate: number;

  constructor(
    private readonly options: SimulatorOptions,
    private readonly sink: MarketSink,
  ) {
    this.random = new Random(options.seed);
    this.tickMs = options.tickMs ?? 50;
    this.fillRate = options.fillRate ?? 0.3;
    for (const symbol of options.symbols) this.prices.set(symbol, profileOf(symbol).price);
  }

  price(symbol: string): number {
    return this.prices.get(symbol) ?? profileOf(symbol).price;
  }

  /** Generates and ingests (unpublished) the start-up history up to `now`. */
  backfill(now = Date.now()): void {
    for (const symbol of this.options.symbols) {
      const trades: Trade[] = [];
      for (let i = 0; i < BACKFILL_SEGMENTS.length; i++) {
        const [agoSec, spacing] = BACKFILL_SEGMENTS[i]!;
        const endAgo = BACKFILL_SEGMENTS[i + 1]?.[0] ?? 0;
        const spacingMs = spacing * 1000;
        for (let t = now - agoSec * 1000; t < now - endAgo * 1000; t += spacingMs) {
          trades.push(this.trade(symbol, Math.floor(t + this.random.next() * spacingMs * 0.9), spacing));
        }
      }
      this.sink.ingest(trades, false);
    }
    this.lastTick = now;
  }

  /** Holdings for the simulated account: a position in up to five of the symbols. */
  initialHoldings(): InitialHolding[] {
    return this.options.symbols.slice(0, 5).map((symbol) => {
      const profile = profileOf(symbol);
      const price = this.price(symbol);
      const qty = Math.max(profile.lot, roundTo((20_000 + this.random.next() * 40_000) / price, profile.lot));
      const avgPrice = roundTo(price * (1 + (this.random.next() - 0.55) * 0.08), profile.tick);
      return { symbol, qty, avgPrice, lastPrice: price };
    });
  }

  start(): void {
    if (this.timer) return;
    if (this.lastTick === 0) this.lastTick = Date.now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One loop turn: the trades (and maybe a fill) since the last tick. */
  tick(now = Date.now()): void {
    const dtMs = Math.max(0, now - this.lastTick);
    const from = this.lastTick;
    this.lastTick = now;
    if (dtMs === 0) return;
    const trades: Trade[] = [];
    for (const symbol of this.options.symbols) {
      const count = this.random.poisson((this.options.rate * dtMs) / 1000);
      const times: number[] = [];
      for (let i = 0; i < count; i++) times.push(from + Math.floor(this.random.next() * dtMs));
      times.sort((a, b) => a - b);
      for (const time of times) {
        const trade = this.trade(symbol, time, Math.max(dtMs / 1000 / Math.max(count, 1), 0.001));
        // Now and then a trade arrives late, as on real feeds: it updates an older bar.
        if (this.random.next() < 0.005) trade.time -= 1000 + Math.floor(this.random.next() * 3000);
        trades.push(trade);
      }
    }
    if (this.random.next() < (this.fillRate * dtMs) / 1000) this.randomFill();
    this.sink.ingest(trades, true);
  }

  private trade(symbol: string, time: number, dtSec: number): Trade {
    const profile = profileOf(symbol);
    const last = this.price(symbol);
    // A random walk with a slow pull back to the profile price, so days of history stay plausible.
    const pull = -Math.min(1, (dtSec * Math.LN2) / REVERSION_HALF_LIFE_SEC) * Math.log(last / profile.price);
    const drifted = last * Math.exp(pull + profile.vol * Math.sqrt(dtSec) * this.random.normal());
    const price = Math.max(profile.tick, roundTo(drifted, profile.tick));
    this.prices.set(symbol, price);
    const size = Math.max(profile.lot, roundTo(this.random.exponential(profile.size), profile.lot));
    return { symbol, price, size, time };
  }

  private randomFill(): void {
    const symbols = this.options.symbols;
    if (symbols.length === 0) return;
    const symbol = symbols[Math.floor(this.random.next() * symbols.length)]!;
    const profile = profileOf(symbol);
    const price = this.price(symbol);
    const notional = 2_000 + this.random.next() * 8_000;
    const qty = Math.max(profile.lot, roundTo(notional / price, profile.lot));
    if (!this.sink.held(symbol)) {
      this.sink.fill(symbol, qty, price);
      return;
    }
    const roll = this.random.next();
    if (roll < 0.05) this.sink.fill(symbol, -Infinity, price); // close the position
    else if (roll < 0.55) this.sink.fill(symbol, qty, price);
    else this.sink.fill(symbol, -qty, price);
  }
}
