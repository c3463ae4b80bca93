/**
 * Leaks: mounting and removing the four elements 1,000 times leaves no subscriptions
 * (stream refcounts, wire unsub, server gauges), no socket (after idleClose), no stream
 * listeners, every removed element collectable, and a flat heap (measured after a real
 * full GC through the DevTools protocol).
 */
import { expect } from '@open-wc/testing';
import '../../src/index.js';
import type { LivePriceChart, MarketElement } from '../../src/index.js';
import { getStream, type MarketStream } from '../../src/stream/index.js';
import { collectGarbage, serverInfo, serverMetricsText, waitFor } from '../support/browser/server.js';
import { nextFrame, sleep, uniqueUrl } from './helpers.js';

const CYCLES = 1_000;
const WARM_UP = 30;
/** Retained heap growth allowed over all cycles: ~1 KiB per cycle. One leaked chart (canvases,
 * series, bars) or element with its shadow tree per cycle would be far above this. */
const HEAP_BOUND_BYTES = 1_024 * CYCLES;
const LINGER_MS = 200;
const IDLE_CLOSE_MS = 300;

async function serverGauges(): Promise<{ connections: number; subscriptions: number }> {
  const text = await serverMetricsText();
  const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { connections: read('lmw_connections'), subscriptions: read('lmw_subscriptions') };
}

function makeElements(src: string): MarketElement[] {
  const chart = document.createElement('live-price-chart');
  chart.setAttribute('symbol', 'BTC-USD');
  chart.setAttribute('interval', '1s');
  chart.style.cssText = 'display:block;width:320px;height:160px';
  const pnl = document.createElement('pnl-summary');
  pnl.setAttribute('account', 'demo');
  const elements = [chart, pnl, document.createElement('connection-badge'), document.createElement('ws-metrics-panel')];
  for (const el of elements) el.setAttribute('src', src);
  return elements as unknown as MarketElement[];
}

/** Waits (microtasks first, frames only if needed) until the chart drew its canvas and the P&L has rows. */
async function untilRendered(chart: LivePriceChart, pnl: MarketElement): Promise<boolean> {
  const done = () => chart.shadowRoot?.querySelector('canvas') !== null && pnl.state === 'live';
  for (let i = 0; i < 10 && !done(); i++) {
    await chart.updateComplete;
    await pnl.updateComplete;
  }
  for (let i = 0; i < 60 && !done(); i++) await nextFrame();
  return done();
}

async function idleAndEmpty(stream: MarketStream): Promise<void> {
  await waitFor(
    () => stream.state === 'idle' && !stream.debug.socket && Object.keys(stream.debug.topics).length === 0,
    10_000,
    `stream idle without topics or socket (state ${stream.state}, topics ${JSON.stringify(stream.debug.topics)})`,
  );
}

describe('leaks: mounting and removing the four elements', function () {
  this.timeout(120_000);

  it(`${CYCLES} mount/remove cycles leave no subscription, socket or listener, and a flat heap`, async () => {
    const { url } = await serverInfo();
    const src = uniqueUrl(url, 'leaks');
    const stream = getStream(src, { lingerMs: LINGER_MS, idleCloseMs: IDLE_CLOSE_MS });
    const host = document.createElement('div');
    document.body.append(host);

    const collected = { count: 0 };
    const registry = new FinalizationRegistry<string>(() => void collected.count++);

    let rendered = 0;
    const cycle = async (track: boolean) => {
      const elements = makeElements(src);
      host.append(...elements);
      if (await untilRendered(elements[0] as unknown as LivePriceChart, elements[1]!)) rendered++;
      for (const el of elements) {
        el.remove();
        if (track) registry.register(el, el.localName);
      }
      // Let the page breathe between cycles, as a real page would: socket frames and timers run.
      await sleep(0);
    };

    try {
      // Warm up: the chart chunk, Lit's template caches, formatters, the socket.
      for (let i = 0; i < WARM_UP; i++) await cycle(false);
      await idleAndEmpty(stream);
      const before = await collectGarbage();
      const server0 = await serverGauges();
      const sent0 = { ...stream.debug.sentOps };
      rendered = 0;

      for (let i = 0; i < CYCLES; i++) await cycle(true);
      expect(rendered, 'cycles in which the chart drew and the P&L showed live data').to.equal(CYCLES);

      // Nothing held: refcounts at zero after the linger, unsub sent, socket closed after idleClose.
      await idleAndEmpty(stream);
      const sent = stream.debug.sentOps;
      const subs = (sent.sub ?? 0) - (sent0.sub ?? 0);
      const unsubs = (sent.unsub ?? 0) - (sent0.unsub ?? 0);
      expect(subs, 'wire subs during the cycles').to.be.greaterThan(0);
      expect(unsubs, 'every wire sub was undone').to.equal(subs);
      expect(stream.debug.listeners, 'stream event listeners').to.deep.equal({ statechange: 0, metrics: 0, error: 0 });
      await waitFor(
        async () => {
          const g = await serverGauges();
          return g.connections === server0.connections && g.subscriptions === server0.subscriptions;
        },
        5_000,
        'server connection and subscription gauges back to where they were',
      );

      // Every removed element can be collected, and the heap is flat.
      let after = await collectGarbage();
      for (let i = 0; i < 50 && collected.count < CYCLES * 4; i++) {
        await sleep(20); // finalizers run in a task after the GC
        if (i % 10 === 9) after = await collectGarbage();
      }
      after = await collectGarbage();
      const growth = after.usedSize - before.usedSize;
      console.log(
        `leaks: ${CYCLES} cycles (${CYCLES * 4} elements), ${collected.count} collected; wire sub/unsub ${subs}/${unsubs}; ` +
          `heap after GC ${before.usedSize} -> ${after.usedSize} bytes (${growth >= 0 ? '+' : ''}${growth})`,
      );
      expect(collected.count, 'removed elements garbage-collected').to.equal(CYCLES * 4);
      expect(growth, 'retained heap growth (bytes)').to.be.below(HEAP_BOUND_BYTES);
    } finally {
      host.remove();
      stream.close();
    }
  });
});
