/**
 * `npm run bench:ingest`: the reference server's CPU per published trade (Node, in
 * process, no sockets). 50 symbols, so 300 candle topics (six intervals each); trades
 * go through `publishTrades` in calls of one trade per symbol, as the browser part's
 * real-server ladder drives them, with nobody subscribed: every update goes to its
 * topic's state and history only, which is what most of a server's topics see most of
 * the time. Prints the median over rounds of the CPU microseconds per trade. A
 * diagnosis, not a target.
 */
import { startMarketServer, type MarketServer } from '../server/app.js';
import type { Trade } from '../src/protocol/index.js';
import { benchSymbols, prng, tick } from './lib/wire.js';
import { median } from './lib/stats.js';

const SYMBOLS = benchSymbols(50);
const CALLS_PER_ROUND = 4_000; // 200,000 trades
const ROUNDS = 5;

async function measure(): Promise<number> {
  const server: MarketServer = await startMarketServer({ feed: 'none', symbols: SYMBOLS, port: 0, host: '127.0.0.1' });
  try {
    const random = prng(9);
    const prices = new Map<string, number>();
    const batch = (time: number): Trade[] =>
      SYMBOLS.map((symbol) => {
        const price = tick((prices.get(symbol) ?? 100) * (1 + (random() - 0.5) * 0.002));
        prices.set(symbol, price);
        return { symbol, price, size: 1, time };
      });
    const t0 = Date.now();
    server.publishTrades(batch(t0)); // creates the topics
    const before = process.cpuUsage();
    for (let i = 1; i <= CALLS_PER_ROUND; i++) server.publishTrades(batch(t0 + i));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / (CALLS_PER_ROUND * SYMBOLS.length);
  } finally {
    await server.close();
  }
}

const rounds: number[] = [];
for (let round = 0; round < ROUNDS; round++) rounds.push(await measure());
console.log(`reference server ingest, 50 symbols, nobody subscribed: ${median(rounds).toFixed(2)} us CPU per trade (rounds: ${rounds.map((v) => v.toFixed(1)).join(' ')})`);
process.exit(0);
