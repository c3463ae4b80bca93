/** Tokens on a fake transport and a fake clock: hello, refresh scheduling and refusal, 4401 handling, redaction. */
import { expect } from '@open-wc/testing';
import { UNAUTHORIZED_REPORT_AFTER } from '../../src/stream/auth.js';
import { settle } from './fakes.js';
import { TOPIC, closeFakeStreams, fakeStream, listen } from './fake-stream.js';

const b64url = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
/** An unsigned JWT-shaped token expiring at `expMs` (epoch ms); `n` makes it distinct. */
const jwt = (expMs: number, n = 0) => `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ exp: expMs / 1000, n }))}.c2lnbmF0dXJl`;

/** FakeClock's start time. */
const T0 = 1_000_000;
/** A heartbeat so long that liveness stays out of these tests. */
const QUIET = 3_600_000;

describe('stream auth (fake transport, fake clock)', () => {
  afterEach(() => closeFakeStreams());

  /** A token function handing out the given tokens in turn (the last one again when they run out). */
  const tokens = (...list: Array<string | Error>) => {
    const calls = { count: 0 };
    const fn = async () => {
      const next = list[Math.min(calls.count++, list.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    };
    return { fn, calls };
  };

  it('refreshes a JWT at 80% of its life (in the server clock) and sends it as `refresh` on the same link', async () => {
    const first = jwt(T0 + 60_000, 1), second = jwt(T0 + 120_000, 2);
    const h = fakeStream({ token: tokens(first, second).fn });
    listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.open();
    expect(link.sent[0]!.token).to.equal(first);
    link.welcome({ serverTime: h.clock.now(), heartbeatMs: QUIET });
    h.clock.advance(47_999);
    await settle();
    expect(link.ops('refresh')).to.have.length(0);
    h.clock.advance(1);
    await settle();
    expect(link.ops('refresh')).to.deep.equal([{ op: 'refresh', token: second }]);
    expect(h.transport.links).to.have.length(1);
    // The next one is timed from the new token's expiry (72 s left: at 80% of that).
    h.clock.advance(0.8 * 72_000 - 1);
    await settle();
    expect(link.ops('refresh')).to.have.length(1);
    h.clock.advance(1);
    await settle();
    expect(h.errors).to.deep.equal([]);
  });

  it('reads exp in the server clock: a server 30 s ahead makes the refresh come 24 s sooner', async () => {
    const g = fakeStream({ token: tokens(jwt(T0 + 60_000, 1), jwt(T0 + 600_000, 2)).fn });
    listen(g.stream);
    await settle();
    const link = g.transport.last;
    link.welcome({ serverTime: g.clock.now() + 30_000, heartbeatMs: QUIET });
    // 30 s left in the server's clock: refresh at 80% of it (24 s).
    g.clock.advance(23_999);
    await settle();
    expect(link.ops('refresh')).to.have.length(0);
    g.clock.advance(1);
    await settle();
    expect(link.ops('refresh')).to.have.length(1);
  });

  it('a token function that offers no better token is asked again halfway to expiry, without sending anything', async () => {
    const source = tokens(jwt(T0 + 60_000, 1));
    const h = fakeStream({ token: source.fn });
    listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.welcome({ serverTime: h.clock.now(), heartbeatMs: QUIET });
    expect(source.calls.count).to.equal(1);
    h.clock.advance(48_000);
    await settle();
    expect(source.calls.count).to.equal(2); // asked at 80%
    h.clock.advance(5_999); // 12 s were left: the retry is at half of it
    await settle();
    expect(source.calls.count).to.equal(2);
    h.clock.advance(1);
    await settle();
    expect(source.calls.count).to.equal(3);
    expect(link.ops('refresh')).to.have.length(0);
  });

  it('a token function that throws on refresh reports token_error and keeps the session', async () => {
    const source = tokens(jwt(T0 + 60_000, 1), new Error('vault down'));
    const h = fakeStream({ token: source.fn });
    listen(h.stream);
    await settle();
    h.transport.last.welcome({ serverTime: h.clock.now(), heartbeatMs: QUIET });
    h.clock.advance(48_000);
    await settle();
    expect(h.errors.map((e) => e.code)).to.deep.equal(['token_error']);
    expect(h.stream.state).to.equal('open');
  });

  it('a refused refresh (error unauthorized while open) is reported as refresh_rejected, the session goes on', async () => {
    const h = fakeStream({ token: 'a-fixed-token-123' });
    listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.welcome();
    link.receive({ op: 'error', code: 'unauthorized', message: 'token a-fixed-token-123 expired' });
    expect(h.errors.map((e) => [e.code, e.message])).to.deep.equal([['refresh_rejected', 'token refresh refused: token [token] expired']]);
    expect(h.stream.state).to.equal('open');
  });

  it('a fixed string token is never refreshed', async () => {
    const h = fakeStream({ token: jwt(T0 + 60_000) });
    listen(h.stream);
    await settle();
    const link = h.transport.last;
    link.welcome({ serverTime: h.clock.now(), heartbeatMs: QUIET });
    h.clock.advance(59_000);
    await settle();
    expect(link.ops('refresh')).to.have.length(0);
  });

  it(`4401 closes: the token function is asked before every connect, ${UNAUTHORIZED_REPORT_AFTER} in a row report unauthorized once (to error listeners and the topic), and never poll`, async () => {
    const source = tokens('tok-1-abcdefgh', 'tok-2-abcdefgh', 'tok-3-abcdefgh', 'tok-4-abcdefgh', 'tok-5-abcdefgh');
    const h = fakeStream({ token: source.fn, fallbackAfter: 1 });
    const { errors } = listen(h.stream);
    for (let i = 0; i < UNAUTHORIZED_REPORT_AFTER + 1; i++) {
      await settle();
      const link = h.transport.last;
      link.open();
      expect(link.sent[0]!.token).to.equal(`tok-${i + 1}-abcdefgh`);
      link.receive({ op: 'error', code: 'unauthorized', message: `bad token tok-${i + 1}-abcdefgh` });
      link.drop(4401, 'token expired');
      expect(h.stream.state, 'a refused token does not poll').to.equal('reconnecting');
      h.clock.advance(600_000);
    }
    const refusals = h.errors.filter((e) => e.code === 'unauthorized');
    expect(refusals).to.have.length(1);
    expect(refusals[0]!.message).to.equal('Not authorized (token expired); retrying.');
    expect(errors.map((e) => [e.code, e.topic])).to.deep.equal([['unauthorized', TOPIC]]);
    expect(h.stream.debug.polls).to.equal(0);
    // A new topic is refused at once while the streak lasts; a welcome ends it.
    const late = listen(h.stream, 'candles:ETH-USD:1s');
    await settle();
    expect(late.errors.map((e) => e.code)).to.deep.equal(['unauthorized']);
    h.transport.last.welcome();
    expect(h.stream.state).to.equal('open');
    const after = listen(h.stream, 'candles:SOL-USD:1s');
    await settle();
    expect(after.errors).to.deep.equal([]);
  });

  it('the reason of a refused hello is used when the 4401 close has none, with tokens redacted', async () => {
    const h = fakeStream({ token: 'tok-secret-1234' });
    listen(h.stream);
    for (let i = 0; i < UNAUTHORIZED_REPORT_AFTER; i++) {
      await settle();
      const link = h.transport.last;
      link.open();
      link.receive({ op: 'error', code: 'unauthorized', message: 'tok-secret-1234 is revoked' });
      link.drop(4401, '');
      h.clock.advance(600_000);
    }
    const refusal = h.errors.find((e) => e.code === 'unauthorized')!;
    expect(refusal.message).to.equal('Not authorized ([token] is revoked); retrying.');
  });
});
