/**
 * A dashboard of 60 topics against the real server with its default limits: every fresh
 * connect and every resume is answered at the page's pace (flow-controlled replies), so
 * five forced drops cost five reconnects, never a 4408 "slow consumer" and never a sixth.
 */
import { expect } from '@open-wc/testing';
import { INTERVALS } from '../../src/protocol/index.js';
import { getStream, type MarketStream } from '../../src/stream/index.js';
import { dropWideConnections, waitFor, wideServerInfo, wideServerMetricsText } from '../support/browser/server.js';
import { recorder, sleep, type Recorded } from './helpers.js';

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'EURUSD', 'USDJPY', 'GOOG', 'AMZN', 'NVDA'];
const TOPICS = SYMBOLS.flatMap((symbol) => INTERVALS.map((interval) => `candles:${symbol}:${interval}`));

function metric(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

describe('60 topics on one connection (real server, default limits)', () => {
  let stream: MarketStream | undefined;
  afterEach(() => stream?.close());

  it('five forced drops: five reconnects, no 4408, every topic gapless and equal to the server', async () => {
    const { url, httpUrl } = await wideServerInfo();
    const before = metric(await wideServerMetricsText(), 'lmw_closes_total{code="4408"}');
    stream = getStream(`${url}?many=${Date.now()}`);
    const recs = new Map<string, Recorded>();
    for (const topic of TOPICS) {
      const { listener, rec } = recorder();
      recs.set(topic, rec);
      stream.subscribe(topic, listener, { coalesce: 'none' });
    }
    const s = stream;
    await waitFor(() => TOPICS.every((t) => s.getTopicState(t)), 30_000, 'a state for each of the 60 topics');
    expect(s.metrics.reconnects, 'the first connect took no retry').to.equal(0);

    for (let drop = 1; drop <= 5; drop++) {
      const seqs = new Map(TOPICS.map((t) => [t, s.getTopicState(t)!.seq]));
      expect(await dropWideConnections(), `drop ${drop} hit the socket`).to.be.at.least(1);
      await sleep(400); // updates flow meanwhile: the resume has a replay to send
      await waitFor(() => s.state === 'open', 20_000, `open again after drop ${drop}`);
      await waitFor(() => TOPICS.every((t) => s.getTopicState(t)!.seq > seqs.get(t)! || t.endsWith(':1h')), 30_000, `resumed after drop ${drop}`);
    }

    // Final state of each topic equals the server's at the same seq (fetched until they meet).
    for (const topic of TOPICS) {
      const match = await waitFor(
        async () => {
          const response = await fetch(`${httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
          const server = (await response.json()) as { epoch: string; seq: number; data: unknown };
          const local = s.getTopicState(topic);
          return local && local.seq === server.seq ? { server, local: structuredClone(local) } : undefined;
        },
        10_000,
        `${topic} at the server's seq`,
      );
      expect(match.local.data, topic).to.deep.equal(match.server.data);
    }
    for (const [topic, rec] of recs) {
      expect(rec.problems, `${topic} continuity`).to.deep.equal([]);
      expect(rec.events.filter((e) => e.kind === 'reset'), `${topic}: resumed, never reset`).to.have.length(0);
    }
    expect(s.metrics.reconnects, 'one reconnect per drop, none beyond').to.equal(5);
    expect(metric(await wideServerMetricsText(), 'lmw_closes_total{code="4408"}') - before, 'no slow-consumer close').to.equal(0);
  });
});
