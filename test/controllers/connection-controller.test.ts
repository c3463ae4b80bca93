/** ConnectionController against the real server. */
import { expect, fixture, html } from '@open-wc/testing';
import { ConnectionController, MetricsController } from '../../src/controllers/index.js';
import { waitFor } from '../support/browser/server.js';
import { closeOpenStreams, freshStream } from '../stream/helpers.js';
import { TOPIC, type BareHost, type TopicHost } from './helpers.js';

describe('ConnectionController', function () {
  this.timeout(30_000);
  afterEach(() => closeOpenStreams());

  // Moved from test/stream/features.test.ts; the metrics half is MetricsController's now.
  it('ConnectionController follows state changes and MetricsController metrics', async () => {
    const stream = await freshStream();
    const seen: string[] = [];
    let metricsCalls = 0;
    const host = await fixture<TopicHost>(html`<lmw-test-topic-host></lmw-test-topic-host>`);
    const controller = new ConnectionController(host, {
      onStateChange: ({ state }) => seen.push(state),
    });
    const metrics = new MetricsController(host, { onMetrics: () => void metricsCalls++ });
    controller.setUrl(stream.url);
    metrics.setUrl(stream.url);
    expect(controller.stream).to.equal(stream);
    expect(controller.state).to.equal('idle');
    stream.subscribe(TOPIC, () => {});
    await waitFor(() => controller.state === 'open' && metricsCalls > 0, 10_000, 'open');
    expect(seen).to.deep.equal(['connecting', 'open']);
    expect(metrics.metrics).to.equal(stream.metrics);
    host.remove(); // listeners go with the host
    stream.pause();
    expect(seen).to.deep.equal(['connecting', 'open']);
  });

  it('reports a bad URL as bad_url (state idle), and clears it on a good URL', async () => {
    const host = await fixture<BareHost>(html`<lmw-test-bare-host></lmw-test-bare-host>`);
    const errors: string[] = [];
    const controller = new ConnectionController(host, { onError: (e) => errors.push(`${e.code}: ${e.message}`) });
    controller.setUrl('ftp://nope');
    expect(controller.stream).to.equal(undefined);
    expect(controller.state).to.equal('idle');
    expect(controller.error?.code).to.equal('bad_url');
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/^bad_url: Cannot use data source ftp:\/\/nope: /);
    const stream = await freshStream();
    controller.setUrl(stream.url);
    expect(controller.error).to.equal(undefined);
    expect(controller.stream).to.equal(stream);
  });

  it('leaves the old stream when the URL changes: its state changes no longer reach the host', async () => {
    const first = await freshStream();
    const second = await freshStream();
    const seen: string[] = [];
    const host = await fixture<BareHost>(html`<lmw-test-bare-host></lmw-test-bare-host>`);
    const controller = new ConnectionController(host, { onStateChange: ({ state }) => seen.push(state) });
    controller.setUrl(first.url);
    controller.setUrl(second.url);
    expect(first.debug.listeners.statechange).to.equal(0);
    expect(second.debug.listeners.statechange).to.equal(1);
    first.subscribe(TOPIC, () => {});
    await waitFor(() => first.state === 'open', 10_000, 'first open');
    expect(seen).to.deep.equal([]);
    second.subscribe(TOPIC, () => {});
    await waitFor(() => controller.state === 'open', 10_000, 'second open');
    expect(seen).to.deep.equal(['connecting', 'open']);
  });
});
