/**
 * One socket per browser (issue 17, docs/cross-tab.md), in Chromium with several pages of one
 * browser context against the real reference server: the server's own connection count
 * (`GET /healthz`) and what every page's listeners received.
 */
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { publishHttp, serverInfo, waitFor, fetchSnapshot } from '../support/browser/server.js';

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
const connections = () => executeServerCommand<number, { httpUrl: string }>('tabs-connections', { httpUrl });

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
    expect(r.seen[topic]!.ns, `${id}: events received`).to.deep.equal(range(2, n));
    expect(r.seen[topic]!.repeats, `${id}: updates delivered twice`).to.equal(0);
    expect(r.states[topic]!.data, `${id}: state`).to.deep.equal(snapshot.data);
  }
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

describe('cross-tab sharing (leader tab)', function () {
  this.timeout(60_000);

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

  it('three pages of one browser share one connection, and each gets every update once', async () => {
    const channel = freshChannel();
    const topic = `events:${channel}`;
    await publish(channel, 1, 1);
    const ids = [await openTab(pageUrl([topic])), await openTab(pageUrl([topic])), await openTab(pageUrl([topic]))];
    await waitFor(async () => (await Promise.all(ids.map(report))).every((r) => r.state === 'open'), 8_000, 'every page open');
    expect(await connections()).to.equal(1);
    await leaderOf(ids);
    await publish(channel, 2, 10);
    await expectExactlyOnce(ids, topic, 10);
    expect(await connections()).to.equal(1);
  });
});
