/**
 * One socket per browser (issue 17, docs/cross-tab.md), in Chromium with several pages of one
 * browser context against the real reference server: the server's own connection count
 * (`GET /healthz`) and what every page's listeners received.
 */
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { TopicSnapshot } from '../../src/protocol/index.js';
import { waitFor } from '../support/browser/server.js';

/** The tabs tests' own reference server (see tabs-commands.mjs): its connection count is theirs alone. */
const serverInfo = () => executeServerCommand<{ url: string; httpUrl: string; epoch: string }, void>('tabs-server');
const publishHttp = (path: string, body: unknown) => executeServerCommand<{ status: number; body: any }, { path: string; body: unknown }>('tabs-publish', { path, body });
async function fetchSnapshot<D>(topic: string): Promise<TopicSnapshot<D>> {
  const response = await fetch(`${httpUrl}/api/snapshot?topic=${encodeURIComponent(topic)}`);
  if (!response.ok) throw new Error(`GET /api/snapshot ${topic}: ${response.status}`);
  return (await response.json()) as TopicSnapshot<D>;
}

interface Seen {
  seqs: number[];
  repeats: number;
  ns: number[];
  snapshots: number;
  resets: number;
}
interface Report {
  sharing: string;
  handoffs: number;
  state: string;
  visibility: string;
  socketsOpened: number;
  duplicatesDropped: number;
  seen: Record<string, Seen>;
  states: Record<string, { seq: number; epoch: string; data: any }>;
  roles: Array<{ at: number; sharing: string }>;
  reconnects: number;
  tokensTaken: number;
  restored: number;
  socketCloses: Array<{ at: number; code: number | undefined; reason: string | undefined }>;
}

const openTab = (url: string, context: 'same' | 'other' = 'same') => executeServerCommand<string, { url: string; context: string }>('tabs-open', { url, context });
const report = (id: string) => executeServerCommand<Report, { id: string }>('tabs-report', { id });
const callTab = (id: string, method: string) => executeServerCommand<unknown, { id: string; method: string }>('tabs-call', { id, method });
const closeTab = (id: string) => executeServerCommand<boolean, { id: string }>('tabs-close', { id });
const navigateTab = (id: string, url: string) => executeServerCommand<boolean, { id: string; url: string }>('tabs-navigate', { id, url });
const freezeTab = (id: string, frozen: boolean) => executeServerCommand<boolean, { id: string; frozen: boolean }>('tabs-freeze', { id, frozen });
const closeAll = () => executeServerCommand<boolean, void>('tabs-close-all');

let httpUrl = '';
let wsUrl = '';
const connections = () => executeServerCommand<number, void>('tabs-connections');

let channelCount = 0;
/** A fresh events channel per test, so each test counts its own events from 1. */
const freshChannel = () => `tabs-${Date.now().toString(36)}-${++channelCount}`;

const pageUrl = (topics: string[], extra = '') =>
  `/test/tabs/tab-page.html?url=${encodeURIComponent(wsUrl)}&topics=${encodeURIComponent(topics.join(','))}${extra}`;

async function publish(channel: string, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) {
    const { status } = await publishHttp(`/api/events/${channel}`, { type: 'tick', id: `e${n}`, data: { n } });
    expect(status).to.equal(200);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Every page got exactly the updates of events 2..n (event 1 made the topic, before the
 * pages came: it is in their first snapshot), in order, and its state is the server's snapshot.
 */
async function expectExactlyOnce(ids: string[], topic: string, n: number): Promise<void> {
  const snapshot = await fetchSnapshot<{ events: Array<{ data: { n: number } }> }>(topic);
  for (const id of ids) {
    const r = await waitFor(async () => {
      const got = await report(id);
      return got.states[topic]?.seq === snapshot.seq ? got : undefined;
    }, 8_000, `${id} to reach seq ${snapshot.seq}`).catch(async (error) => {
      throw new Error(`${error.message}: ${JSON.stringify(await report(id))}`);
    });
    expect(r.seen[topic]!.ns, `${id}: events received (${JSON.stringify({ ...r, states: undefined })})`).to.deep.equal(range(2, n));
    expect(r.seen[topic]!.repeats, `${id}: updates delivered twice`).to.equal(0);
    expect(r.states[topic]!.data, `${id}: state`).to.deep.equal(snapshot.data);
  }
}

/** Every page is open and holds the topic's first state (so later updates are updates to it, not part of its snapshot). */
async function allReady(ids: string[], topic: string): Promise<void> {
  await waitFor(async () => (await Promise.all(ids.map(report))).every((r) => r.state === 'open' && r.states[topic]), 8_000, 'every page ready');
}

async function waitConnections(expected: number, timeoutMs = 5_000): Promise<number> {
  const started = performance.now();
  await waitFor(async () => (await connections()) === expected, timeoutMs, `${expected} server connection(s)`);
  return performance.now() - started;
}

async function leaderOf(ids: string[]): Promise<string> {
  return waitFor(async () => {
    const roles = await Promise.all(ids.map(async (id) => [id, (await report(id)).sharing] as const));
    const leaders = roles.filter(([, role]) => role === 'leader');
    return leaders.length === 1 && roles.every(([, role]) => role === 'leader' || role === 'follower') ? leaders[0]![0] : undefined;
  }, 5_000, 'one leader');
}

/** Hooks of a suite of tab tests: the server's URLs, and no page left open before or after a test. */
function tabHooks(): void {
  before(async () => {
    const info = await serverInfo();
    httpUrl = info.httpUrl;
    wsUrl = info.url;
  });

  beforeEach(async () => {
    await closeAll();
    await waitConnections(0);
  });

  afterEach(async () => {
    await closeAll();
  });
}

describe('cross-tab sharing (leader tab)', function () {
  this.timeout(60_000);

  tabHooks();

  it('three pages of one browser share one connection, and each gets every update once', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic])), await openTab(pageUrl([topic])), await openTab(pageUrl([topic]))];
    await allReady(ids, topic);
    expect(await connections()).to.equal(1);
    await leaderOf(ids);
    await publish(channel, 2, 10);
    await expectExactlyOnce(ids, topic, 10);
    expect(await connections()).to.equal(1);
  });

  it('closing the leader leaves one connection within 2 s, and every page still gets every update once', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic])), await openTab(pageUrl([topic])), await openTab(pageUrl([topic]))];
    const leader = await leaderOf(ids);
    await allReady(ids, topic);
    await waitConnections(1);
    await publish(channel, 2, 4);
    await closeTab(leader);
    const rest = ids.filter((id) => id !== leader);
    // Published during the hand-off: the new leader resumes from each page's own position.
    void publish(channel, 5, 8);
    const took = await waitConnections(1, 2_000).catch(async () => {
      throw new Error(`not one connection 2 s after the leader closed: ${await connections()}`);
    });
    await leaderOf(rest);
    await waitFor(async () => (await Promise.all(rest.map(report))).every((r) => r.state === 'open'), 3_000, 'the followers open again');
    await publish(channel, 9, 12);
    await expectExactlyOnce(rest, topic, 12);
    expect(await connections()).to.equal(1);
    for (const id of rest) expect((await report(id)).handoffs, `${id}: hand-offs`).to.equal(1);
    console.log(`hand-off after close: one connection again within ${Math.round(took)} ms (test poll resolution 20 ms)`);
  });

  it('a frozen leader is replaced by a visible follower and closes its own socket (at the steal in Chromium 156, at the latest when thawed)', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic])), await openTab(pageUrl([topic]))];
    const leader = await leaderOf(ids);
    const follower = ids.find((id) => id !== leader)!;
    await allReady(ids, topic);
    await waitConnections(1);
    await publish(channel, 2, 3);
    await freezeTab(leader, true);
    const frozenAt = performance.now();
    await publish(channel, 4, 5);
    // The frozen tab keeps its lock and its socket: the follower steals after ~3 s without a beat.
    // The frozen tab keeps its lock: the follower steals it after ~3 s without a beat.
    let maxWhileFrozen = 0;
    await waitFor(async () => {
      maxWhileFrozen = Math.max(maxWhileFrozen, await connections());
      return (await report(follower)).sharing === 'leader';
    }, 8_000, 'the follower to lead');
    const tookOver = performance.now() - frozenAt;
    expect(maxWhileFrozen, 'the frozen leader held one connection').to.equal(1);
    // The stolen lock's AbortError reaches even the frozen page (Chromium 156): it closes its socket then.
    const atSteal = await connections();
    const stealWall = Date.now();
    await waitConnections(1, 2_000);
    await publish(channel, 6, 8);
    await expectExactlyOnce([follower], topic, 8);
    await freezeTab(leader, false);
    const thawedAt = performance.now();
    const thawedWall = Date.now();
    await waitConnections(1, 2_000);
    const closedIn = performance.now() - thawedAt;
    const old = await report(leader);
    expect(old.sharing).to.equal('follower');
    const steppedDown = old.roles.at(-1)!.at - thawedWall;
    const closedByPage = old.socketCloses.at(-1);
    expect(closedByPage, 'the old leader closed its socket itself').to.not.equal(undefined);
    const closedAt = closedByPage!.at - thawedWall;
    await publish(channel, 9, 10);
    await expectExactlyOnce(ids, topic, 10);
    expect(await connections()).to.equal(1);
    console.log(`frozen leader: follower took over after ${Math.round(tookOver)} ms (${atSteal} connection(s) at that moment); its own close() of the socket came ${closedAt} ms from the thaw (the steal was ${stealWall - thawedWall} ms); its metrics said follower ${steppedDown} ms after the thaw; one connection ${Math.round(closedIn)} ms after it`);
  });

  it('a leader navigating away hands over, and the page it navigated to joins as a follower', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic])), await openTab(pageUrl([topic]))];
    const leader = await leaderOf(ids);
    await allReady(ids, topic);
    await waitConnections(1);
    await navigateTab(leader, pageUrl([topic]));
    await waitFor(() => report(leader).catch(() => undefined), 5_000, 'the new page');
    await leaderOf(ids);
    await allReady(ids, topic);
    await publish(channel, 2, 5);
    await waitConnections(1, 2_000);
    const other = ids.find((id) => id !== leader)!;
    await expectExactlyOnce([other], topic, 5);
    expect((await report(leader)).seen[topic]!.ns).to.deep.equal(range(2, 5));
  });

  it('a leader put in the back-forward cache hands over; back, it rejoins as a follower and resumes from its own position', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic])), await openTab(pageUrl([topic]))];
    const leader = await leaderOf(ids);
    const other = ids.find((id) => id !== leader)!;
    await allReady(ids, topic);
    await publish(channel, 2, 3);
    await expectExactlyOnce(ids, topic, 3);
    await navigateTab(leader, '/test/tabs/away.html');
    await waitFor(async () => (await report(other)).sharing === 'leader', 3_000, 'the other page to lead');
    await waitConnections(1, 2_000);
    await publish(channel, 4, 6); // while the page is in the cache
    const notRestored = await executeServerCommand<string[], { id: string }>('tabs-back', { id: leader });
    const back = await report(leader);
    expect(back.restored, `restored from the back-forward cache (not restored because: ${notRestored.join(', ')})`).to.equal(1);
    await waitFor(async () => (await report(leader)).state === 'open', 5_000, 'the restored page open again');
    expect((await report(leader)).sharing).to.equal('follower');
    await publish(channel, 7, 8);
    await expectExactlyOnce(ids, topic, 8);
    expect(await connections()).to.equal(1);
  });

  it('a page in another browser context has its own connection', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic])), await openTab(pageUrl([topic])), await openTab(pageUrl([topic]), 'other')];
    await allReady(ids, topic);
    await waitConnections(2);
    expect((await report(ids[2]!)).sharing).to.equal('leader');
    await publish(channel, 2, 4);
    await expectExactlyOnce(ids, topic, 4);
  });

  it('pausing one page pauses that page only', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic])), await openTab(pageUrl([topic]))];
    await leaderOf(ids);
    await allReady(ids, topic);
    await callTab(ids[0]!, 'pause');
    await publish(channel, 2, 3);
    await expectExactlyOnce([ids[1]!], topic, 3);
    const paused = await report(ids[0]!);
    expect(paused.state).to.equal('paused');
    expect(paused.seen[topic]!.ns).to.deep.equal([]);
    await callTab(ids[0]!, 'resume');
    await waitFor(async () => (await report(ids[0]!)).seen[topic]!.snapshots >= 2, 3_000, 'the paused page to catch up on resume');
  });

  it('a topic stays on the wire while any page holds it (one sub, unsub only after the last page)', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic])), await openTab(pageUrl([topic]))];
    const leader = await leaderOf(ids);
    const follower = ids.find((id) => id !== leader)!;
    await allReady(ids, topic);
    await callTab(leader, 'close'); // the leader's stream lets go of the topic; the follower keeps it
    await publish(channel, 2, 4);
    await expectExactlyOnce([follower], topic, 4);
  });

  it('opting out (share: false) gives one connection per page', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic], '&share=off')), await openTab(pageUrl([topic], '&share=off')), await openTab(pageUrl([topic], '&share=off'))];
    await waitConnections(3);
    await allReady(ids, topic);
    for (const id of ids) expect((await report(id)).sharing).to.equal('direct');
    await publish(channel, 2, 3);
    await expectExactlyOnce(ids, topic, 3);
  });
});

describe('cross-tab sharing with tokens', function () {
  this.timeout(60_000);
  let authWs = '';

  before(async () => {
    const info = await serverInfo();
    httpUrl = info.httpUrl;
    wsUrl = info.url;
    authWs = (await executeServerCommand<{ url: string }, void>('tabs-auth-server')).url;
  });

  afterEach(async () => {
    await closeAll();
  });

  it("a follower's token function keeps the shared session alive past the leader's fixed token", async () => {
    const authConnections = () => executeServerCommand<number, { auth: boolean }>('tabs-connections', { auth: true });
    const mint = (expInSeconds: number) => executeServerCommand<string, { expInSeconds: number }>('tabs-mint', { expInSeconds });
    const channel = freshChannel();
    const topic = `events:${channel}`;
    const publishAuth = (n: number) => executeServerCommand('tabs-publish', { auth: true, path: `/api/events/${channel}`, body: { type: 'tick', id: `e${n}`, data: { n } } });
    await publishAuth(1);
    const page = (extra: string) =>
      `/test/tabs/tab-page.html?url=${encodeURIComponent(authWs)}&topics=${encodeURIComponent(topic)}${extra}`;
    // The leader: one fixed token that expires in 6 s and cannot be refreshed.
    const leader = await openTab(page(`&token=${await mint(6)}`));
    await waitFor(async () => (await report(leader)).sharing === 'leader', 5_000, 'the first page to lead');
    // The follower: a token function (each call the next token, each 4 s longer).
    const tokens = await Promise.all([6, 10, 14, 18, 22].map(mint));
    const follower = await openTab(page(`&tokens=${tokens.join(',')}`));
    await allReady([leader, follower], topic);
    expect(await authConnections()).to.equal(1);
    await new Promise((resolve) => setTimeout(resolve, 9_000)); // past the leader's token
    await publishAuth(2);
    await publishAuth(3);
    for (const id of [leader, follower]) {
      await waitFor(async () => (await report(id)).seen[topic]!.ns.length >= 2, 5_000, `${id} to get events after the leader's token expired`);
      const r = await report(id);
      expect(r.seen[topic]!.ns, `${id}: events`).to.deep.equal([2, 3]);
      expect(r.reconnects, `${id}: reconnects`).to.equal(0);
      expect(r.state).to.equal('open');
    }
    expect((await report(follower)).tokensTaken, 'the follower refreshed').to.be.at.least(3);
    expect(await authConnections()).to.equal(1);
  });
});

describe('cross-tab sharing: when it goes direct', function () {
  this.timeout(60_000);

  tabHooks();

  it('the share meta tag set to off gives one connection per page', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic], '&meta-share=off')), await openTab(pageUrl([topic], '&meta-share=off'))];
    await allReady(ids, topic);
    await waitConnections(2);
    for (const id of ids) expect((await report(id)).sharing).to.equal('direct');
  });

  it('without Web Locks each page has its own connection', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic], '&nolocks=1')), await openTab(pageUrl([topic], '&nolocks=1'))];
    await allReady(ids, topic);
    await waitConnections(2);
    for (const id of ids) expect((await report(id)).sharing).to.equal('direct');
    await publish(channel, 2, 3);
    await expectExactlyOnce(ids, topic, 3);
  });

  it('a frame of another origin goes direct; a same-origin frame shares', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const origin = await executeServerCommand<string, void>('tabs-origin');
    const other = new URL(origin);
    other.hostname = other.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
    const top = await openTab(pageUrl([topic]));
    await allReady([top], topic);
    await waitConnections(1);
    await executeServerCommand('tabs-add-frame', { id: top, url: other.origin + pageUrl([topic]) });
    const framed = await waitFor(async () => {
      const r = await executeServerCommand<Report, { id: string }>('tabs-frame-report', { id: top });
      return r.states[topic] ? r : undefined;
    }, 8_000, 'the cross-origin frame ready');
    expect(framed.sharing).to.equal('direct');
    await waitConnections(2);
    const same = await openTab(pageUrl([topic]));
    await executeServerCommand('tabs-add-frame', { id: same, url: origin + pageUrl([topic]) });
    const sameFramed = await waitFor(async () => {
      const r = await executeServerCommand<Report, { id: string }>('tabs-frame-report', { id: same });
      return r.states[topic] ? r : undefined;
    }, 8_000, 'the same-origin frame ready');
    expect(sameFramed.sharing).to.equal('follower');
    expect(await connections()).to.equal(2);
  });
});

describe('cross-tab sharing (shared worker)', function () {
  this.timeout(60_000);
  const worker = '&worker=' + encodeURIComponent('/src/stream/tabs/shared-worker.ts');

  tabHooks();

  it("three pages share the worker's one connection; another context has its own; closing pages keeps it until the last", async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic], worker)), await openTab(pageUrl([topic], worker)), await openTab(pageUrl([topic], worker))];
    await allReady(ids, topic);
    for (const id of ids) expect((await report(id)).sharing).to.equal('worker');
    expect(await connections()).to.equal(1);
    const other = await openTab(pageUrl([topic], worker), 'other');
    await allReady([other], topic);
    await waitConnections(2);
    await publish(channel, 2, 4);
    await expectExactlyOnce([...ids, other], topic, 4);
    await closeTab(ids[0]!);
    await closeTab(ids[1]!);
    await publish(channel, 5, 6);
    await expectExactlyOnce([ids[2]!], topic, 6);
    expect(await connections()).to.equal(2);
    await closeTab(ids[2]!);
    await waitConnections(1, 2_000);
  });

  it("the shared-worker meta tag gives the elements' streams the worker", async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const meta = '&meta-worker=' + encodeURIComponent('/src/stream/tabs/shared-worker.ts');
    const ids = [await openTab(pageUrl([topic], meta)), await openTab(pageUrl([topic], meta))];
    await allReady(ids, topic);
    for (const id of ids) expect((await report(id)).sharing).to.equal('worker');
    await waitConnections(1);
    await publish(channel, 2, 3);
    await expectExactlyOnce(ids, topic, 3);
  });
});
