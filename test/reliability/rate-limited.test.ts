/**
 * The server drops client frames over its rate limit unread and says so with one
 * `error rate_limited` (no id) at most once a second. Against a real server whose limit is
 * tiny (5 frames/s, burst 4: the hello and three subs pass), a stream that subscribes six
 * topics at once must re-send the dropped subs and end up with every topic, on one socket.
 */
import { expect } from '@open-wc/testing';
import { getStream, type MarketStream, type StreamError } from '../../src/stream/index.js';
import { limitedServerInfo, waitFor } from '../support/browser/server.js';
import { uniqueUrl } from './helpers.js';

const TOPICS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT'].map((s) => `candles:${s}:1s`).concat('portfolio:demo');

describe('rate_limited: unanswered subs are sent again', function () {
  this.timeout(30_000);
  let stream: MarketStream | undefined;
  afterEach(() => stream?.close());

  it('six subs against a burst of four: the dropped ones are re-sent and every topic gets its state', async () => {
    const { url } = await limitedServerInfo();
    stream = getStream(uniqueUrl(url, 'rate-limited'));
    const errors: StreamError[] = [];
    stream.on('error', (e) => errors.push(e));
    const topicErrors: StreamError[] = [];
    for (const topic of TOPICS) stream.subscribe(topic, () => {}, { onError: (e) => topicErrors.push(e) });
    await waitFor(() => TOPICS.every((topic) => stream!.getTopicState(topic)), 15_000, 'a state for every topic');
    // The server really dropped some: it said so, and more subs went out than topics.
    expect(errors.map((e) => e.code)).to.include('rate_limited');
    expect(stream.debug.sentOps.sub).to.be.greaterThan(TOPICS.length);
    expect(topicErrors).to.deep.equal([]);
    expect(stream.debug.socketsOpened, 'no 4429 close, no reconnect').to.equal(1);
    expect(stream.state).to.equal('open');
  });
});
