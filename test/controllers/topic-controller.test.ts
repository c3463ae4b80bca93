/** TopicController against the real server. */
import { expect, fixture, html } from '@open-wc/testing';
import { waitFor } from '../support/browser/server.js';
import { closeOpenStreams, freshStream } from '../stream/helpers.js';
import { TOPIC, type TopicHost } from './helpers.js';

describe('TopicController', function () {
  this.timeout(30_000);
  afterEach(() => closeOpenStreams());

  it('TopicController subscribes while connected, follows target changes, releases on disconnect', async () => {
    const stream = await freshStream({ lingerMs: 200 });
    const el = await fixture<TopicHost>(html`<lmw-test-topic-host .url=${stream.url} .topic=${TOPIC}></lmw-test-topic-host>`);
    await waitFor(() => el.data.state && el.data.state.seq > 0, 10_000, 'state');
    expect(el.data.stream).to.equal(stream);
    expect(el.connection.state).to.equal('open');
    expect(el.events[0]).to.equal('snapshot');
    await waitFor(() => el.shadowRoot!.querySelector('span')!.textContent === String(el.data.state!.seq), 2_000, 'rendered');

    el.topic = 'candles:AAPL:1s';
    await waitFor(() => el.data.state?.topic === 'candles:AAPL:1s', 10_000, 'new topic');
    await waitFor(() => stream.debug.sentOps.unsub === 1, 3_000, 'old topic released');

    el.topic = 'candles:AAPL:7m'; // not an interval
    await waitFor(() => el.data.error, 2_000, 'error');
    expect(el.data.error!.code).to.equal('bad_request');
    expect(el.data.state).to.equal(undefined);

    el.topic = 'candles:AAPL:1s';
    await waitFor(() => el.data.state, 10_000, 'back');
    el.remove();
    await waitFor(() => stream.debug.sentOps.unsub === 2, 3_000, 'released on disconnect');
  });

  it('TopicController reports a bad URL as an error instead of throwing', async () => {
    const el = await fixture<TopicHost>(html`<lmw-test-topic-host .url=${'ftp://nope'} .topic=${TOPIC}></lmw-test-topic-host>`);
    await el.updateComplete;
    await waitFor(() => el.data.error, 2_000, 'error');
    expect(el.data.error!.code).to.equal('bad_url');
    expect(el.connection.state).to.equal('idle');
  });

  it('keeps its state across a disconnect and reconnect of the same target, and subscribes again', async () => {
    const stream = await freshStream({ lingerMs: 200 });
    const el = await fixture<TopicHost>(html`<lmw-test-topic-host .url=${stream.url} .topic=${TOPIC}></lmw-test-topic-host>`);
    await waitFor(() => el.data.state, 10_000, 'state');
    const parent = el.parentElement!;
    el.remove();
    await waitFor(() => stream.debug.sentOps.unsub === 1, 3_000, 'released on disconnect');
    expect(el.data.state?.topic).to.equal(TOPIC); // kept while away
    const events = el.events.length;
    parent.append(el);
    expect(el.data.state?.topic).to.equal(TOPIC); // not cleared by the reconnect of the same target
    await waitFor(() => el.events.length > events, 10_000, 'subscribed again');
    expect(stream.debug.sentOps.sub).to.equal(2);
    expect(el.data.state?.topic).to.equal(TOPIC);
  });
});
