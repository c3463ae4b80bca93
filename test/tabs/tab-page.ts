/**
 * One "tab" of the cross-tab tests: opened by the tabs commands (test/support/browser/tabs-commands.mjs)
 * at `tab-page.html?url=…&topics=…[&share=off][&worker=…]`. It follows the topics through
 * getStream, as an element would, and records every update its listeners get, so the test
 * can check that each page saw each update exactly once across hand-offs.
 */
import { getStream } from '../../src/stream/index.js';

/** When this page's code closed a WebSocket (Date.now()), with the code and reason: tells when a frozen page acted. */
const socketCloses: Array<{ at: number; code: number | undefined; reason: string | undefined }> = [];
const nativeClose = WebSocket.prototype.close;
WebSocket.prototype.close = function (this: WebSocket, code?: number, reason?: string) {
  socketCloses.push({ at: Date.now(), code, reason });
  return nativeClose.call(this, code, reason);
};

const params = new URLSearchParams(location.search);
const url = params.get('url')!;
// Set-ups the tests ask for before the stream exists: a meta tag, or a browser without Web Locks.
const meta = (name: string, content: string) => {
  const element = document.createElement('meta');
  element.name = name;
  element.content = content;
  document.head.append(element);
};
if (params.get('meta-share')) meta('live-market-widgets:share', params.get('meta-share')!);
if (params.get('meta-worker')) meta('live-market-widgets:shared-worker', params.get('meta-worker')!);
if (params.get('nolocks')) Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
const topics = (params.get('topics') ?? '').split(',').filter(Boolean);
// `token`: a fixed token; `tokens`: a token function handing out these in turn (the last one again at the end).
const tokens = (params.get('tokens') ?? '').split(',').filter(Boolean);
let nextToken = 0;
const stream = getStream(url, {
  ...(params.get('token') ? { token: params.get('token')! } : {}),
  ...(tokens.length ? { token: () => tokens[Math.min(nextToken++, tokens.length - 1)]! } : {}),
  ...(params.get('share') === 'off' ? { share: false } : {}),
  ...(params.get('worker') ? { sharedWorker: params.get('worker')! } : {}),
});

/** Per topic: seqs of the updates delivered, repeats (a seq delivered twice), events' `n`, resets. */
const seen: Record<string, { seqs: number[]; repeats: number; ns: number[]; snapshots: number; resets: number }> = {};
for (const topic of topics) {
  const record: (typeof seen)[string] = (seen[topic] = { seqs: [], repeats: 0, ns: [], snapshots: 0, resets: 0 });
  stream.subscribe(
    topic,
    (event) => {
      if (event.kind === 'snapshot') record.snapshots++;
      if (event.kind === 'reset') record.resets++;
      for (const update of event.updates ?? []) {
        if (record.seqs.includes(update.seq)) record.repeats++;
        record.seqs.push(update.seq);
        const n = (update.data as { data?: { n?: number } } | undefined)?.data?.n;
        if (typeof n === 'number') record.ns.push(n);
      }
    },
    { coalesce: 'none' },
  );
}

/** Times the page came back from the back-forward cache. */
let restored = 0;
window.addEventListener('pageshow', (event) => {
  if (event.persisted) restored++;
});

/** When this page's sharing role changed (Date.now()), to tell when a frozen page acted. */
const roles: Array<{ at: number; sharing: string }> = [];
stream.on('metrics', (m) => {
  if (roles.at(-1)?.sharing !== m.sharing) roles.push({ at: Date.now(), sharing: m.sharing });
});

const report = () => {
  const metrics = stream.metrics;
  const states: Record<string, { seq: number; epoch: string; data: unknown }> = {};
  for (const topic of topics) {
    const state = stream.getTopicState(topic);
    if (state) states[topic] = { seq: state.seq, epoch: state.epoch, data: state.data };
  }
  return {
    sharing: metrics.sharing,
    handoffs: metrics.handoffs,
    state: stream.state,
    visibility: document.visibilityState,
    socketsOpened: stream.debug.socketsOpened,
    reconnects: metrics.reconnects,
    tokensTaken: nextToken,
    restored,
    socketCloses,
    duplicatesDropped: metrics.duplicatesDropped,
    seen,
    states,
    roles,
  };
};

Object.assign(window, {
  tab: {
    report,
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    close: () => stream.close(),
  },
});

