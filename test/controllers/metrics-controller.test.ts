/** MetricsController against the real server. */
import { expect, fixture, html } from '@open-wc/testing';
import { MetricsController } from '../../src/controllers/index.js';
import type { StreamMetrics } from '../../src/stream/index.js';
import { waitFor } from '../support/browser/server.js';
import { closeOpenStreams, freshStream, sleep } from '../stream/helpers.js';
import { TOPIC, type BareHost } from './helpers.js';

describe('MetricsController', function () {
  this.timeout(30_000);
  afterEach(() => closeOpenStreams());

  it('hands every metrics event to its handler and updates the host, while the host is connected', async () => {
    const stream = await freshStream();
    const host = await fixture<BareHost>(html`<lmw-test-bare-host></lmw-test-bare-host>`);
    const seen: StreamMetrics[] = [];
    /** Whether each event carried the stream's metrics of that moment (checked there: a frame may change them right after). */
    const current: boolean[] = [];
    const controller = new MetricsController(host, {
      onMetrics: (m) => {
        seen.push(m);
        current.push(m === stream.metrics);
      },
    });
    controller.setUrl(stream.url);
    expect(controller.stream).to.equal(stream);
    expect(stream.debug.listeners.metrics).to.equal(1);
    stream.subscribe(TOPIC, () => {});
    await waitFor(() => seen.some((m) => m.lastMessageAt !== null), 10_000, 'metrics with traffic');
    const updates = host.updates;
    await waitFor(() => host.updates > updates, 3_000, 'host updated on metrics');
    expect(current.every(Boolean), 'each event is the stream metrics of its moment').to.equal(true);

    host.remove();
    expect(stream.debug.listeners.metrics).to.equal(0);
    const count = seen.length;
    await sleep(600); // more than two metrics intervals of traffic
    expect(seen.length).to.equal(count);
    document.body.append(host);
    expect(stream.debug.listeners.metrics).to.equal(1); // the same URL, followed again
    host.remove();
  });

  it('follows a URL change and gives no metrics for a bad URL', async () => {
    const first = await freshStream();
    const second = await freshStream();
    const host = await fixture<BareHost>(html`<lmw-test-bare-host></lmw-test-bare-host>`);
    const controller = new MetricsController(host);
    controller.setUrl(first.url);
    controller.setUrl(second.url);
    expect(first.debug.listeners.metrics).to.equal(0);
    expect(second.debug.listeners.metrics).to.equal(1);
    expect(controller.metrics).to.equal(second.metrics);
    controller.setUrl('ftp://nope');
    expect(second.debug.listeners.metrics).to.equal(0);
    expect(controller.stream).to.equal(undefined);
    expect(controller.metrics).to.equal(undefined);
  });
});
