/** Helpers for the Redis suites: nodes on one Redis, posting trades, and a recorder that checks a topic's seqs. */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Trade } from '../../../src/protocol/index.js';
import type { InternalServerOptions, MarketServer } from '../../../server/app.js';
import { serverFor, type Message, type TestClient } from './server.js';

export const PUBLISH_TOKEN = 'redis-test-token';

/** A server node on `redisUrl` for one test (no feed, publishing on). */
export function nodeFor(t: TestContext, redisUrl: string, options: InternalServerOptions = {}): Promise<MarketServer> {
  return serverFor(t, { redis: redisUrl, feed: 'none', publishToken: PUBLISH_TOKEN, publishRate: 0, ...options });
}

/** POST /api/trades on a node (by its http URL); resolves with the status. */
export async function postTrades(httpUrl: string, trades: Trade[]): Promise<number> {
  const response = await fetch(`${httpUrl}/api/trades`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${PUBLISH_TOKEN}` },
    body: JSON.stringify(trades),
  });
  await response.text();
  return response.status;
}

/** `n` trades of one symbol, one per ms from `t0`, prices and sizes exact in binary (sums do not depend on order). */
export function tradesOf(symbol: string, t0: number, n: number, offset = 0): Trade[] {
  return Array.from({ length: n }, (_, i) => ({ symbol, price: 100 + ((i * 7 + offset) % 13) * 0.25, size: 0.5 + (i % 4) * 0.25, time: t0 + i }));
}

/**
 * The updates of `topic` a client got, checked: after each `subscribed`, the next update is
 * its seq + 1 (or the snapshot's seq + 1), and every seq follows the last by one within an
 * epoch. `from`: the point the client's first (recovered) sub resumes from. Returns them.
 */
export function checkContinuity(client: TestClient, topic: string, from?: { epoch: string; seq: number }): Message[] {
  /** `from`: where the client resumes (what it held on another connection). */
  let expected: number | undefined = from && from.seq + 1;
  let epoch: string | undefined = from?.epoch;
  const updates: Message[] = [];
  for (const m of client.messages) {
    if (m.topic !== topic) continue;
    if (m.op === 'subscribed') {
      if (m.recovered) assert.equal(m.epoch, epoch, 'a recovered resume stays in its epoch');
      epoch = m.epoch;
      // Recovered: the missed updates follow from the client's since.seq + 1 (checked below against the last one held).
      if (!m.recovered) expected = undefined;
      continue;
    }
    if (m.op === 'snapshot') {
      expected = m.seq + 1;
      continue;
    }
    if (m.op !== 'update') continue;
    if (expected !== undefined) assert.equal(m.seq, expected, `${topic}: seq ${m.seq} where ${expected} was due`);
    expected = m.seq + 1;
    updates.push(m);
  }
  return updates;
}
