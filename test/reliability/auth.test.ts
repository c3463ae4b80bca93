/**
 * Auth from the browser against a second reference server started with `authSecret`
 * (tokens minted in Node with jose): good token, no/bad/expired token (error state, no
 * hot loop, no polling around auth), a topics claim that excludes a topic (forbidden for
 * that element only), and refresh before `exp` keeping one socket alive past the first
 * token's expiry. With upgrades refused, polling sends the token as a bearer header (data
 * with a good token, forbidden outside the claim, a refused token counted like a 4401).
 * Tokens never show up in a URL, a console line, an error or the DOM.
 */
import { expect } from '@open-wc/testing';
import '../../src/index.js';
import type { MarketElement } from '../../src/index.js';
import { getStream, type MarketStream, type StreamError, type StreamOptions } from '../../src/stream/index.js';
import { jwtExpiryMs, redactSecrets, refreshDelayMs, REFRESH_LEAD_MS } from '../../src/stream/token.js';
import { authServerInfo, mintToken, refuseAuthUpgrades, waitFor, type MintTokenOptions } from '../support/browser/server.js';
import { sleep, topicRecorder, uniqueUrl, mountElement } from './helpers.js';

/** Every token minted for these tests: none may leak anywhere. */
const minted: string[] = [];
async function token(options: MintTokenOptions = {}): Promise<string> {
  const value = await mintToken(options);
  minted.push(value);
  return value;
}

/** Console output of the whole file, to check that no token was ever logged. */
const consoleLines: string[] = [];
const originalConsole: Partial<Record<keyof Console, unknown>> = {};
function spyOnConsole(): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method];
    originalConsole[method] = original;
    console[method] = (...args: unknown[]) => {
      consoleLines.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === 'string' ? a : safeJson(a))).join(' '));
      (original as (...a: unknown[]) => void).apply(console, args);
    };
  }
}
function restoreConsole(): void {
  for (const [method, fn] of Object.entries(originalConsole)) (console as unknown as Record<string, unknown>)[method] = fn;
}
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** WebSocket URLs opened and frames sent by the page, recorded by a WebSocket subclass. */
const socketUrls: string[] = [];
const sentFrames: Array<Record<string, unknown>> = [];
const OriginalWebSocket = globalThis.WebSocket;
class TappedWebSocket extends OriginalWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    socketUrls.push(String(url));
  }
  override send(data: Parameters<WebSocket['send']>[0]): void {
    if (typeof data === 'string') sentFrames.push(JSON.parse(data) as Record<string, unknown>);
    super.send(data);
  }
}

/** Every fetch the page makes (polling): URL and Authorization header, recorded by a fetch wrapper. */
const fetches: Array<{ url: string; authorization: string | null; at: number }> = [];
const originalFetch = globalThis.fetch;
const tappedFetch: typeof fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  fetches.push({ url, authorization: new Headers(init?.headers).get('authorization'), at: performance.now() });
  return originalFetch(input, init);
};

const streams: MarketStream[] = [];
const mounted: HTMLElement[] = [];
const streamErrors: StreamError[] = [];

async function authStream(options: StreamOptions, label = 'auth'): Promise<{ stream: MarketStream; src: string; errors: StreamError[] }> {
  const { url } = await authServerInfo();
  const src = uniqueUrl(url, label);
  const stream = getStream(src, { backoffBaseMs: 100, ...options });
  const errors: StreamError[] = [];
  stream.on('error', (e) => {
    errors.push(e);
    streamErrors.push(e);
  });
  streams.push(stream);
  return { stream, src, errors };
}

const mount = (tag: string, attributes: Record<string, string>) => mountElement(tag, attributes, mounted);

function statesOf(stream: MarketStream): string[] {
  const seen: string[] = [stream.state];
  stream.on('statechange', ({ state }) => seen.push(state));
  return seen;
}

describe('token helpers (pure)', () => {
  it('reads exp of a real JWT without verifying it, and nothing from other strings', async () => {
    const jwt = await token({ expInSeconds: 30 });
    const exp = jwtExpiryMs(jwt)!;
    expect(exp).to.be.a('number');
    expect(Math.abs(exp - (Date.now() + 30_000))).to.be.below(3_000);
    expect(jwtExpiryMs('opaque-token')).to.equal(undefined);
    expect(jwtExpiryMs('a.b.c')).to.equal(undefined); // payload is not JSON
    const noExp = `e30.${btoa(JSON.stringify({ sub: 'x' })).replace(/=+$/, '')}.sig`;
    expect(jwtExpiryMs(noExp)).to.equal(undefined);
    const stringExp = `e30.${btoa(JSON.stringify({ exp: '123' })).replace(/=+$/, '')}.sig`;
    expect(jwtExpiryMs(stringExp)).to.equal(undefined);
  });

  it('refreshes at 80 % of the remaining lifetime, at least REFRESH_LEAD_MS before exp, at once when late', () => {
    expect(refreshDelayMs(100_000, 0)).to.equal(80_000);
    expect(refreshDelayMs(10_000, 0)).to.equal(10_000 - REFRESH_LEAD_MS);
    expect(refreshDelayMs(2_000, 0)).to.equal(0);
    expect(refreshDelayMs(1_000, 5_000)).to.equal(undefined);
  });

  it('redacts known tokens from texts', () => {
    expect(redactSecrets('bad token abcdefgh12345 here', ['abcdefgh12345'])).to.equal('bad token [token] here');
    expect(redactSecrets('nothing', [undefined, 'abcdefgh12345'])).to.equal('nothing');
  });
});

describe('auth from the browser (auth server, real sockets)', function () {
  this.timeout(60_000);

  before(() => {
    spyOnConsole();
    globalThis.WebSocket = TappedWebSocket;
    globalThis.fetch = tappedFetch;
  });
  after(() => {
    globalThis.WebSocket = OriginalWebSocket;
    globalThis.fetch = originalFetch;
    restoreConsole();
    // No token in any socket URL, console line, stream error, or anything the page shows.
    expect(minted.length).to.be.greaterThan(5);
    const texts = [
      ...socketUrls.map((u) => `url ${u}`),
      ...fetches.map((f) => `fetch ${f.url}`),
      ...consoleLines.map((l) => `console ${l}`),
      ...streamErrors.map((e) => `error ${e.code} ${e.message}`),
    ];
    for (const secret of minted) {
      const leaks = texts.filter((text) => text.includes(secret));
      expect(leaks, 'texts that carry a token').to.deep.equal([]);
    }
    expect(socketUrls.every((u) => !u.includes('token') && !/eyJ/.test(u)), 'socket URLs').to.equal(true);
    expect(fetches.every((f) => !/eyJ/.test(f.url)), 'fetch URLs').to.equal(true);
  });
  afterEach(() => {
    // DOM check before removal: no token in any attribute or text the elements show.
    for (const el of mounted) {
      const shown = `${el.outerHTML} ${el.shadowRoot?.innerHTML ?? ''}`;
      for (const secret of minted) expect(shown.includes(secret), `${el.localName} shows a token`).to.equal(false);
    }
    for (const el of mounted.splice(0)) el.remove();
    for (const stream of streams.splice(0)) stream.close();
  });

  it('a good token gets data; the token goes only in hello', async () => {
    const good = await token({ topics: ['*'], expInSeconds: 60 });
    const { stream, src } = await authStream({ token: good });
    const chart = mount('live-price-chart', { src, symbol: 'BTC-USD', interval: '1s' });
    const pnl = mount('pnl-summary', { src, account: 'demo' });
    const badge = mount('connection-badge', { src });
    await waitFor(() => chart.state === 'live' && pnl.state === 'live', 10_000, 'chart and P&L live');
    expect(badge.state).to.equal('open');
    const hellos = sentFrames.filter((f) => f.op === 'hello' && f.token === good);
    expect(hellos).to.have.length(1);
    expect(stream.debug.socketsOpened).to.equal(1);
  });

  for (const [name, make] of [
    ['no token', async () => undefined],
    ['a token signed with another secret', () => token({ wrongSecret: true })],
    ['an expired token', () => token({ expInSeconds: -30 })],
    ['a token without a topics claim', () => token({ omitTopics: true })],
  ] as const) {
    it(`${name}: the elements show unauthorized, retries back off (no hot loop), no polling`, async () => {
      const value = await make();
      let calls = 0;
      const { stream, src, errors } = await authStream({ token: async () => (calls++, value as string) });
      const states = statesOf(stream);
      const chart = mount('live-price-chart', { src, symbol: 'BTC-USD', interval: '1s' });
      const pnl = mount('pnl-summary', { src, account: 'demo' });
      await waitFor(() => chart.state === 'error' && pnl.state === 'error', 10_000, 'both elements in their error state');
      expect(chart.error?.code).to.equal('unauthorized');
      expect(pnl.error?.code).to.equal('unauthorized');
      expect(chart.shadowRoot!.textContent).to.contain('Not authorized');
      // Keeps trying, with backoff: a hot loop would open hundreds of sockets in these 2 s.
      const opened = stream.debug.socketsOpened;
      await sleep(2_000);
      const more = stream.debug.socketsOpened - opened;
      expect(more, 'sockets opened in 2 s after the report').to.be.below(6);
      // (a connect may be between asking for the token and opening its socket)
      expect(calls, 'the token function is asked before every connect').to.be.within(stream.debug.socketsOpened, stream.debug.socketsOpened + 1);
      expect(stream.debug.polls, 'no polling around auth').to.equal(0);
      expect(states).to.not.include('polling');
      // Reported once for the streak (not once per attempt), after a few refusals in a row.
      expect(errors.filter((e) => e.code === 'unauthorized' && e.topic === undefined)).to.have.length(1);
      expect(stream.debug.socketsOpened).to.be.at.least(3);
    });
  }

  it('a topics claim without portfolio: forbidden for the P&L only, the chart streams', async () => {
    const { stream, src } = await authStream({ token: () => token({ topics: ['candles:*'], expInSeconds: 60 }) });
    const chart = mount('live-price-chart', { src, symbol: 'ETH-USD', interval: '1s' });
    const pnl = mount('pnl-summary', { src, account: 'demo' });
    const badge = mount('connection-badge', { src });
    await waitFor(() => chart.state === 'live' && pnl.state === 'error', 10_000, 'chart live, P&L in error');
    expect(pnl.error?.code).to.equal('forbidden');
    expect(chart.error).to.equal(undefined);
    expect(badge.state).to.equal('open');
    expect(stream.debug.socketsOpened).to.equal(1);
    // The chart keeps streaming on the same socket.
    const seq = stream.getTopicState('candles:ETH-USD:1s')!.seq;
    await waitFor(() => stream.getTopicState('candles:ETH-USD:1s')!.seq > seq, 5_000, 'more chart updates');
    expect(pnl.state).to.equal('error');
  });

  it('a refreshed token that no longer grants a topic ends that topic only (forbidden), on the same socket', async () => {
    let calls = 0;
    const { stream, src } = await authStream({
      token: () => token(++calls === 1 ? { topics: ['*'], expInSeconds: 5 } : { topics: ['candles:*'], expInSeconds: 5 }),
    });
    const chart = mount('live-price-chart', { src, symbol: 'AAPL', interval: '1s' });
    const pnl = mount('pnl-summary', { src, account: 'demo' });
    await waitFor(() => chart.state === 'live' && pnl.state === 'live', 10_000, 'both live with the first token');
    await waitFor(() => pnl.state === 'error', 10_000, 'P&L forbidden after the refresh');
    expect(pnl.error?.code).to.equal('forbidden');
    expect(stream.debug.sentOps.refresh).to.be.at.least(1);
    const seq = stream.getTopicState('candles:AAPL:1s')!.seq;
    await waitFor(() => stream.getTopicState('candles:AAPL:1s')!.seq > seq, 5_000, 'chart updates after the refresh');
    expect(chart.state).to.equal('live');
    expect(stream.debug.socketsOpened).to.equal(1);
  });

  it('refresh before exp keeps one socket alive past the first token; without refresh the session ends at exp', async () => {
    const LIFETIME_S = 5;
    const framesBefore = sentFrames.length;
    // With refresh: a token function that mints a fresh 5 s token each time.
    const refreshing = await authStream({ token: () => token({ topics: ['*'], expInSeconds: LIFETIME_S }) }, 'refresh');
    // Control: a fixed 5 s token (a string cannot be refreshed): the server closes at exp with 4401.
    // (other claims than the refreshing stream's: HS256 is deterministic, same claims in the same second = same token)
    const fixedToken = await token({ topics: ['candles:*'], expInSeconds: LIFETIME_S });
    const fixed = await authStream({ token: fixedToken }, 'fixed');
    const chart = mount('live-price-chart', { src: refreshing.src, symbol: 'SOL-USD', interval: '1s' });
    const control = mount('live-price-chart', { src: fixed.src, symbol: 'SOL-USD', interval: '1s' });
    await waitFor(() => chart.state === 'live' && control.state === 'live', 10_000, 'both live');
    const firstHello = sentFrames.slice(framesBefore).find((f) => f.op === 'hello' && typeof f.token === 'string' && f.token !== fixedToken);
    const firstExp = jwtExpiryMs(firstHello!.token as string)!;

    // Past the first token's expiry by a good margin.
    await waitFor(() => Date.now() > firstExp + 2_500, 15_000, 'first token expired');
    const topic = 'candles:SOL-USD:1s';
    const seq = refreshing.stream.getTopicState(topic)!.seq;
    await waitFor(() => refreshing.stream.getTopicState(topic)!.seq > seq, 5_000, 'updates after the first exp');
    expect(refreshing.stream.state).to.equal('open');
    expect(refreshing.stream.debug.socketsOpened, 'one socket all along').to.equal(1);
    expect(refreshing.stream.debug.sentOps.refresh ?? 0, 'refresh frames').to.be.at.least(2);
    expect(chart.state).to.equal('live');
    const refreshes = sentFrames.slice(framesBefore).filter((f) => f.op === 'refresh');
    expect(refreshes.length).to.equal(refreshing.stream.debug.sentOps.refresh);
    expect(refreshes.every((f) => typeof f.token === 'string' && minted.includes(f.token as string))).to.equal(true);

    // The control lost its session at exp and cannot get back with an expired token.
    await waitFor(() => control.state === 'error', 10_000, 'control in error after exp');
    expect(control.error?.code).to.equal('unauthorized');
    expect(fixed.stream.debug.socketsOpened).to.be.greaterThan(1);
    expect(fixed.stream.debug.sentOps.refresh ?? 0).to.equal(0);
  });
});

describe('polling with auth (auth server refusing upgrades)', function () {
  this.timeout(60_000);

  before(() => {
    globalThis.fetch = tappedFetch;
  });
  after(async () => {
    globalThis.fetch = originalFetch;
    await refuseAuthUpgrades(0);
    // No minted token in any fetched URL or in any error the streams reported.
    for (const secret of minted) {
      expect(fetches.some((f) => f.url.includes(secret)), 'a token in a fetch URL').to.equal(false);
      expect(streamErrors.some((e) => e.message.includes(secret)), 'a token in a stream error').to.equal(false);
    }
  });
  /** Where this test's fetches start (every stream here polls the same auth server). */
  let fetchMark = 0;
  beforeEach(() => {
    fetchMark = fetches.length;
  });
  afterEach(async () => {
    for (const el of mounted.splice(0)) el.remove();
    for (const stream of streams.splice(0)) stream.close();
    await refuseAuthUpgrades(0);
  });

  /** Polling is quick in these tests: two failed connects, then a poll every 300 ms. */
  const pollingOptions = { fallbackAfter: 2, pollIntervalMs: 300, backoffMaxMs: 1_000 } as const;
  const pollsOf = (src: string) => {
    const base = src.replace(/^ws/, 'http').replace(/\/stream.*$/, '');
    return fetches.slice(fetchMark).filter((f) => f.url.startsWith(`${base}/api/snapshot`));
  };

  it('the REST snapshot needs the token from the page too (CORS preflight with Authorization, 401 readable)', async () => {
    const { httpUrl } = await authServerInfo();
    const url = `${httpUrl}/api/snapshot?topic=${encodeURIComponent('portfolio:demo')}`;
    const anonymous = await originalFetch(url);
    expect(anonymous.status).to.equal(401);
    expect((await anonymous.json()).code).to.equal('unauthorized');
    const narrow = await originalFetch(url, { headers: { Authorization: `Bearer ${await token({ topics: ['candles:*'] })}` } });
    expect(narrow.status).to.equal(403);
    expect((await narrow.json()).code).to.equal('forbidden');
    const granted = await originalFetch(url, { headers: { Authorization: `Bearer ${await token({ topics: ['portfolio:demo'] })}` } });
    expect(granted.status).to.equal(200);
    expect((await granted.json()).data.account).to.equal('demo');
  });

  it('a good token: polling sends it as a bearer header (never in the URL), gets data, and hands back to the socket', async () => {
    await authServerInfo();
    await refuseAuthUpgrades(60_000);
    const { stream, src, errors } = await authStream({ token: () => token({ topics: ['*'], expInSeconds: 60 }), ...pollingOptions }, 'poll-good');
    const events: string[] = [];
    const recorder = topicRecorder();
    stream.subscribe(
      'candles:BTC-USD:1s',
      (e) => {
        events.push(`${e.kind}:${e.state.seq}`);
        recorder.listener(e);
      },
      { coalesce: 'none' },
    );
    const pnl = mount('pnl-summary', { src, account: 'demo' });
    await waitFor(() => stream.state === 'polling', 10_000, 'polling');
    await waitFor(() => events.filter((e) => e.startsWith('snapshot')).length >= 2, 10_000, 'two polled states');
    await waitFor(() => pnl.state !== 'loading' && stream.getTopicState('portfolio:demo'), 10_000, 'the P&L polled');
    expect(pnl.state).to.not.equal('error');
    const polls = pollsOf(src);
    expect(polls.length).to.be.greaterThan(2);
    for (const poll of polls) {
      expect(poll.authorization, 'bearer header on every poll').to.match(/^Bearer eyJ/);
      expect(minted).to.include(poll.authorization!.slice('Bearer '.length));
    }
    expect(errors.filter((e) => e.code === 'unauthorized' || e.code === 'forbidden')).to.deep.equal([]);

    await refuseAuthUpgrades(0);
    await waitFor(() => stream.state === 'open', 10_000, 'socket back');
    await waitFor(() => events.some((e) => e.startsWith('update')), 10_000, 'updates on the socket');
    // Resumed from the last polled state: every update is last+1, none twice, no reset.
    expect(recorder.log.problems).to.deep.equal([]);
    expect(events.some((e) => e.startsWith('reset'))).to.equal(false);
    expect(pnl.state).to.not.equal('error');
  });

  it('a claim without portfolio: forbidden via polling too (told once), candles still polled', async () => {
    await authServerInfo();
    await refuseAuthUpgrades(60_000);
    const { stream, src } = await authStream({ token: () => token({ topics: ['candles:*'], expInSeconds: 60 }), ...pollingOptions }, 'poll-claim');
    const topicErrors: StreamError[] = [];
    stream.subscribe('portfolio:demo', () => {}, { onError: (e) => topicErrors.push(e) });
    const candles: number[] = [];
    stream.subscribe('candles:ETH-USD:1s', (e) => candles.push(e.state.seq), { coalesce: 'none' });
    const pnl = mount('pnl-summary', { src, account: 'demo' });
    await waitFor(() => stream.state === 'polling' && topicErrors.length > 0 && candles.length > 0, 10_000, 'polled: candles, and a portfolio error');
    expect(topicErrors[0]!.code).to.equal('forbidden');
    expect(topicErrors[0]!.topic).to.equal('portfolio:demo');
    await waitFor(() => pnl.state === 'error', 5_000, 'P&L in its error state');
    expect(pnl.error?.code).to.equal('forbidden');
    // Several more rounds refuse it again; the listeners were told once.
    const polls = pollsOf(src).length;
    await waitFor(() => pollsOf(src).length >= polls + 6, 10_000, 'three more rounds');
    expect(topicErrors).to.have.length(1);
    expect(stream.getTopicState('portfolio:demo')).to.equal(undefined);
    expect(candles.length).to.be.greaterThan(1);
  });

  it('a refused token while polling counts like a 4401: one unauthorized report, rounds back off', async () => {
    await authServerInfo();
    await refuseAuthUpgrades(60_000);
    const bad = await token({ wrongSecret: true });
    const { stream, src, errors } = await authStream(
      { token: async () => bad, fallbackAfter: 1, pollIntervalMs: 100, backoffBaseMs: 400, backoffMaxMs: 1_000 },
      'poll-refused',
    );
    const topicErrors: StreamError[] = [];
    stream.subscribe('candles:SOL-USD:1s', () => {}, { onError: (e) => topicErrors.push(e) });
    await waitFor(() => errors.some((e) => e.code === 'unauthorized'), 15_000, 'the unauthorized report');
    expect(stream.state).to.equal('polling');
    expect(topicErrors.map((e) => e.code)).to.deep.equal(['unauthorized']);
    expect(topicErrors[0]!.message).to.contain('signature');
    const at = pollsOf(src).length;
    await sleep(2_000);
    const later = pollsOf(src).slice(at);
    // A hot loop would be hundreds; refused rounds wait at least the poll interval and back off.
    // (at the 100 ms poll interval that would be about 20 here)
    expect(later.length, 'polls in 2 s after the report').to.be.below(10);
    expect(later.length).to.be.at.least(1);
    expect(pollsOf(src).every((p) => p.authorization === `Bearer ${bad}`)).to.equal(true);
    expect(errors.filter((e) => e.code === 'unauthorized' && e.topic === undefined), 'once per streak').to.have.length(1);
    expect(topicErrors).to.have.length(1);
    expect(stream.getTopicState('candles:SOL-USD:1s')).to.equal(undefined);
  });
});
