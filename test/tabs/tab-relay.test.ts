/**
 * The relay that a leader tab or the shared worker runs (src/stream/tabs/tab-relay.ts), on a
 * fake socket: id mapping, topic holders across links, routing, and the socket's life.
 */
import { expect } from '@open-wc/testing';
import { TabRelay, type RelayOutput } from '../../src/stream/tabs/tab-relay.js';
import { jwtExpiryMs } from '../../src/stream/token.js';
import { CloseCode, PROTOCOL_VERSION } from '../../src/protocol/index.js';
import { CLOSE, PROTOCOL_VERSION as RELAY_PROTOCOL_VERSION } from '../../src/stream/tabs/tab-channel.js';
import { FakeTransport } from '../stream/fakes.js';

class Output implements RelayOutput {
  readonly got = new Map<string, Array<Record<string, any>>>();
  readonly texts: Array<[string, string]> = [];
  readonly ended: Array<[string, number]> = [];
  flushes = 0;
  deliver(link: string, text: string): void {
    this.texts.push([link, text]);
    const parsed = JSON.parse(text);
    const list = this.got.get(link) ?? [];
    list.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    this.got.set(link, list);
  }
  flush(): void {
    this.flushes++;
  }
  closed(link: string, code: number): void {
    this.ended.push([link, code]);
  }
  of(link: string, op?: string): Array<Record<string, any>> {
    return (this.got.get(link) ?? []).filter((m) => op === undefined || m.op === op);
  }
}

function setup() {
  const transport = new FakeTransport();
  const out = new Output();
  const relay = new TabRelay('ws://x/stream', out, { transport: transport.factory, defer: (fn) => fn(), expiry: jwtExpiryMs });
  const send = (link: string, message: Record<string, unknown>) => relay.send(link, JSON.stringify(message));
  /** Two links say hello; the socket opens and is welcomed. */
  const start = (...links: string[]) => {
    for (const link of links) relay.open(link);
    for (const link of links) send(link, { op: 'hello', v: 1 });
    transport.last.welcome();
  };
  return { transport, out, relay, send, start, socket: () => transport.last };
}

const topic = 'candles:BTC-USD:1m';
const update = (seq: number) => ({ op: 'update', topic, seq, time: 1, data: { time: seq, open: 1, high: 1, low: 1, close: 1, volume: 1, trades: 1 } });

describe('tab relay', () => {
  it("uses the protocol's own version and close codes", () => {
    expect(RELAY_PROTOCOL_VERSION).to.equal(PROTOCOL_VERSION);
    expect(CLOSE).to.deep.equal({ Normal: CloseCode.Normal, GoingAway: CloseCode.GoingAway, ClientTimeout: CloseCode.ClientTimeout });
  });

  it('opens one socket for every link, says hello once and welcomes each link', () => {
    const { transport, out, start } = setup();
    start('a:1', 'b:1', 'c:1');
    expect(transport.links.length).to.equal(1);
    expect(transport.last.ops('hello').length).to.equal(1);
    expect(transport.last.ops('hello')[0]!.caps, 'the shared socket takes compacted replays').to.deep.equal(['compact']);
    for (const link of ['a:1', 'b:1', 'c:1']) expect(out.of(link, 'welcome').length).to.equal(1);
  });

  it('a link that says hello later is welcomed at once, without a second socket or hello', () => {
    const { transport, out, relay, send, start } = setup();
    start('a:1');
    relay.open('b:1');
    send('b:1', { op: 'hello', v: 1 });
    expect(transport.links.length).to.equal(1);
    expect(transport.last.ops('hello').length).to.equal(1);
    expect(out.of('b:1', 'welcome').length).to.equal(1);
  });

  it("maps each link's request ids to its own and the answers back", () => {
    const { out, send, start, socket } = setup();
    start('a:1', 'b:1');
    send('a:1', { op: 'sub', id: 7, topic });
    send('b:1', { op: 'sub', id: 7, topic, since: { epoch: 'e', seq: 10 } });
    send('b:1', { op: 'ping', id: 8, t: 1.5 });
    const [subA, subB] = socket().ops('sub');
    expect(subA!.id).to.not.equal(subB!.id);
    expect(subB!.since).to.deep.equal({ epoch: 'e', seq: 10 });
    const ping = socket().ops('ping')[0]!;
    socket().receive(
      { op: 'subscribed', id: subA!.id, topic, epoch: 'e', seq: 12, recovered: false },
      { op: 'snapshot', topic, epoch: 'e', seq: 12, data: { symbol: 'BTC-USD', interval: '1m', bars: [] } },
      { op: 'subscribed', id: subB!.id, topic, epoch: 'e', seq: 12, recovered: true },
      update(11),
      update(12),
      { op: 'pong', id: ping.id, t: 1.5, serverTime: 5 },
    );
    expect(out.of('a:1', 'subscribed').map((m) => m.id)).to.deep.equal([7]);
    expect(out.of('b:1', 'subscribed').map((m) => m.id)).to.deep.equal([7]);
    expect(out.of('a:1', 'snapshot').length, 'the snapshot goes to the link that asked for it').to.equal(1);
    expect(out.of('b:1', 'snapshot').length).to.equal(0);
    expect(out.of('b:1', 'update').map((m) => m.seq), 'the replay goes to the resuming link').to.deep.equal([11, 12]);
    expect(out.of('a:1', 'update').length, 'a link never gets what it was already given').to.equal(0);
    expect(out.of('b:1', 'pong').map((m) => m.id)).to.deep.equal([8]);
    expect(out.of('a:1', 'pong').length).to.equal(0);
    socket().receive(update(13));
    expect(out.of('a:1', 'update').map((m) => m.seq)).to.deep.equal([13]);
    expect(out.of('b:1', 'update').map((m) => m.seq)).to.deep.equal([11, 12, 13]);
  });

  it('passes a frame on unchanged (the same text) to every link that gets all of it', () => {
    const { out, send, start, socket } = setup();
    start('a:1', 'b:1');
    send('a:1', { op: 'sub', id: 1, topic });
    send('b:1', { op: 'sub', id: 1, topic });
    const [subA, subB] = socket().ops('sub');
    socket().receive({ op: 'subscribed', id: subA!.id, topic, epoch: 'e', seq: 1, recovered: false }, { op: 'snapshot', topic, epoch: 'e', seq: 1, data: {} });
    socket().receive({ op: 'subscribed', id: subB!.id, topic, epoch: 'e', seq: 1, recovered: false }, { op: 'snapshot', topic, epoch: 'e', seq: 1, data: {} });
    out.texts.length = 0;
    socket().receive(update(2), update(3));
    expect(out.texts.length).to.equal(2);
    expect(out.texts[0]![1]).to.equal(out.texts[1]![1]);
  });

  it('keeps a topic on the wire while any link holds it (refcount), and unsubscribes after the last', () => {
    const { out, send, start, socket } = setup();
    start('a:1', 'b:1');
    send('a:1', { op: 'sub', id: 1, topic });
    send('b:1', { op: 'sub', id: 1, topic });
    send('a:1', { op: 'unsub', id: 2, topic });
    expect(socket().ops('unsub').length, 'b still holds it').to.equal(0);
    expect(out.of('a:1', 'unsubscribed').map((m) => m.id)).to.deep.equal([2]);
    socket().receive(update(5));
    expect(out.of('a:1', 'update').length, 'nothing for a link that let go').to.equal(0);
    send('b:1', { op: 'unsub', id: 3, topic });
    const unsub = socket().ops('unsub');
    expect(unsub.length).to.equal(1);
    socket().receive({ op: 'unsubscribed', id: unsub[0]!.id, topic });
    expect(out.of('b:1', 'unsubscribed').map((m) => m.id)).to.deep.equal([3]);
  });

  it('a link that goes lets go of its topics; the last link closes the socket', () => {
    const { out, relay, send, start, socket } = setup();
    start('a:1', 'b:1');
    send('a:1', { op: 'sub', id: 1, topic });
    send('a:1', { op: 'sub', id: 2, topic: 'candles:ETH-USD:1m' });
    send('b:1', { op: 'sub', id: 1, topic });
    relay.close('a:1');
    expect(socket().ops('unsub').map((m) => m.topic)).to.deep.equal(['candles:ETH-USD:1m']);
    expect(socket().ended).to.equal(false);
    relay.closeMatching('b:');
    expect(socket().ended).to.equal(true);
    expect(relay.hasSocket).to.equal(false);
    expect(out.ended, 'links closed by their tab are not reported back').to.deep.equal([]);
  });

  it('when the socket ends, every link ends with its code (and each stream reconnects)', () => {
    const { out, start, socket } = setup();
    start('a:1', 'b:1');
    socket().drop(4401, 'token_expired');
    expect(out.ended).to.deep.equal([
      ['a:1', 4401],
      ['b:1', 4401],
    ]);
  });

  it('a link that gives up on the socket (4008, heartbeat or connect timeout) ends it for every link', () => {
    const { out, relay, start, socket, transport } = setup();
    start('a:1', 'b:1', 'c:1');
    relay.close('a:1', 4008, 'heartbeat timeout');
    expect(socket().ended).to.equal(true);
    expect(socket().closedWith).to.deep.equal({ code: 4008, reason: 'heartbeat timeout' });
    expect(out.ended).to.deep.equal([
      ['b:1', 4008],
      ['c:1', 4008],
    ]);
    relay.open('b:2');
    expect(transport.links.length, 'the next link gets a fresh socket').to.equal(2);
  });

  it('a refused sub goes back to its link only, which then no longer holds the topic', () => {
    const { out, send, start, socket, relay } = setup();
    start('a:1', 'b:1');
    send('a:1', { op: 'sub', id: 4, topic: 'candles:NOPE:1m' });
    const sub = socket().ops('sub')[0]!;
    socket().receive({ op: 'error', id: sub.id, code: 'unknown_topic', message: 'no', topic: 'candles:NOPE:1m' });
    expect(out.of('a:1', 'error').map((m) => m.id)).to.deep.equal([4]);
    expect(out.of('b:1', 'error').length).to.equal(0);
    expect(relay.holdersOf('candles:NOPE:1m')).to.equal(0);
  });

  it('a refresh from any link goes to the server (a token function in any tab serves the session)', () => {
    const { send, start, socket } = setup();
    start('a:1', 'b:1');
    send('b:1', { op: 'refresh', token: 't2' });
    expect(socket().ops('refresh').map((m) => m.token)).to.deep.equal(['t2']);
  });

  it('the session keeps the longest-lived token: an earlier-expiring refresh or hello is not sent', () => {
    const jwt = (expSeconds: number) => `${btoa('{"alg":"HS256"}').replace(/=+$/, '')}.${btoa(JSON.stringify({ exp: expSeconds })).replace(/=+$/, '')}.c2ln`;
    const { transport, relay, send, socket } = setup();
    relay.open('a:1');
    relay.open('b:1');
    send('a:1', { op: 'hello', v: 1, token: jwt(1000) });
    send('b:1', { op: 'hello', v: 1, token: jwt(2000) });
    transport.last.welcome();
    expect(socket().ops('hello').map((m) => m.token), 'the longer-lived of the two').to.deep.equal([jwt(2000)]);
    send('a:1', { op: 'refresh', token: jwt(1500) });
    expect(socket().ops('refresh').length, 'would shorten the grant').to.equal(0);
    send('a:1', { op: 'refresh', token: jwt(3000) });
    relay.open('c:1');
    send('c:1', { op: 'hello', v: 1, token: jwt(500) });
    expect(socket().ops('refresh').map((m) => m.token)).to.deep.equal([jwt(3000)]);
  });
});
