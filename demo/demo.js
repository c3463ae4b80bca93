// QA dashboard wiring. Plain DOM, no framework; server data is only ever set as text.
import { getStream, SRC_META_NAME } from '/dist/live-market-widgets.js';

const $ = (selector) => document.querySelector(selector);
const streamUrl = document.querySelector(`meta[name="${SRC_META_NAME}"]`).content;
const stream = getStream(streamUrl);
const chart = $('#chart');
const widgets = () => document.querySelectorAll('live-price-chart, connection-badge, ws-metrics-panel, pnl-summary');

// ---- pickers ------------------------------------------------------------------------

$('#symbol').addEventListener('change', (event) => {
  chart.symbol = event.target.value;
});
$('#interval').addEventListener('change', (event) => {
  chart.interval = event.target.value;
});
$('#chart-type').addEventListener('change', (event) => {
  chart.chartType = event.target.value;
});

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  for (const el of widgets()) el.theme = theme;
  const radio = document.querySelector(`input[name="theme"][value="${theme}"]`);
  if (radio) radio.checked = true;
}
$('#theme').addEventListener('change', (event) => applyTheme(event.target.value));
applyTheme(document.documentElement.dataset.theme || 'dark');

// ---- pause / resume -------------------------------------------------------------------

const pauseButton = $('#pause');
const syncPause = () => {
  pauseButton.textContent = stream.paused ? 'Resume' : 'Pause';
  pauseButton.setAttribute('aria-pressed', String(stream.paused));
};
pauseButton.addEventListener('click', () => (stream.paused ? stream.resume() : stream.pause()));
stream.on('statechange', syncPause);
syncPause();

// ---- server dev controls (POST /admin/…, needs --dev-controls) --------------------------

const adminResult = $('#admin-result');
// The faults go to the server the widgets use (the page's own, unless ?src= points elsewhere).
const adminBase = new URL(streamUrl.replace(/^ws/, 'http')).origin;
async function admin(path, label) {
  adminResult.textContent = `${label}…`;
  try {
    const response = await fetch(adminBase + path, { method: 'POST' });
    adminResult.textContent = response.ok
      ? `${label}: done (${response.status})`
      : `${label}: HTTP ${response.status}${response.status === 404 ? ' (start the server with --dev-controls)' : ''}`;
  } catch (error) {
    adminResult.textContent = `${label}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
// One entry per fault the server can inject; each button's line in index.html says what it does.
const faults = {
  drop: () => ['/admin/drop', 'Dropped every connection'],
  // drop=1: refusing alone would leave the open socket open, and nothing would happen.
  refuse: () => ['/admin/refuse?ms=10000&drop=1', 'Dropped every connection; refusing WebSockets for 10 s'],
  stall: () => ['/admin/stall?ms=10000&drop=1', 'Dropped every connection; stalling handshakes for 10 s'],
  silence: () => ['/admin/silence?ms=10000', 'Silenced the open sockets for 10 s'],
  gap: () => {
    const topic = `candles:${chart.symbol}:${chart.interval}`;
    return [`/admin/gap?topic=${encodeURIComponent(topic)}`, `Withholding the next update of ${topic}`];
  },
  restart: () => ['/admin/restart', 'New epoch; dropped every connection'],
};
for (const button of document.querySelectorAll('button[data-fault]')) {
  button.addEventListener('click', () => admin(...faults[button.dataset.fault]()));
}

// ---- event log --------------------------------------------------------------------------

const log = $('#event-log');
const counters = { 'lmw-bar': 0, 'lmw-pnl': 0 };
const counterText = $('#counters');
// The page's locale with a 24-hour clock, like the widgets' times and the chart's axes (docs/elements.md).
const timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function describe(event) {
  const d = event.detail ?? {};
  if (event.type === 'lmw-state-change') return `${d.previous} → ${d.state}`;
  if (event.type === 'lmw-error') return `${d.code}: ${d.message}`;
  return '';
}

function addEntry(event) {
  const target = event.composedPath()[0];
  const item = document.createElement('li');
  item.className = event.type === 'lmw-error' ? 'error' : '';
  const time = document.createElement('time');
  time.textContent = timeFormat.format(Date.now());
  const tag = document.createElement('code');
  const name = target.id ? `#${target.id}` : target.getAttribute?.('symbol') ? `[${target.getAttribute('symbol')}]` : '';
  tag.textContent = `<${target.localName}>${name}`;
  const text = document.createElement('span');
  text.textContent = `${event.type.replace('lmw-', '')} ${describe(event)}`;
  const message = document.createElement('span');
  message.append(tag, text);
  item.append(time, message);
  log.prepend(item);
  while (log.children.length > 40) log.lastElementChild.remove();
}

document.addEventListener('lmw-state-change', addEntry);
document.addEventListener('lmw-error', addEntry);
for (const type of Object.keys(counters)) document.addEventListener(type, () => counters[type]++);
setInterval(() => {
  counterText.textContent = `lmw-bar ${counters['lmw-bar'].toLocaleString()} · lmw-pnl ${counters['lmw-pnl'].toLocaleString()}`;
}, 500);

// ---- your own data: events and a live document (docs/publishing.md) ----------------------
// The simulator's fills go out as trade_executed events on events:fills and a market summary as
// the document state:market; any backend can publish the same kinds. Shown as text only.

/** Subscribes; a topic not published yet (unknown_topic) is asked for again every 2 s. */
function follow(topic, listener, waiting) {
  let handle;
  const start = () => {
    handle = stream.subscribe(topic, listener, {
      onError: (error) => {
        waiting(error);
        if (error.code !== 'unknown_topic') return;
        handle.unsubscribe();
        setTimeout(start, 2000);
      },
    });
  };
  start();
}

const fills = $('#fills');
const fillsStatus = $('#fills-status');
follow(
  'events:fills',
  ({ state }) => {
    const events = state.data.events.slice(-12).reverse();
    fillsStatus.textContent = `${state.data.events.length} kept · seq ${state.seq}`;
    fills.replaceChildren(
      ...events.map((event) => {
        const item = document.createElement('li');
        const time = document.createElement('time');
        time.textContent = timeFormat.format(event.time);
        const text = document.createElement('span');
        const d = event.data ?? {};
        text.textContent = `${event.type} ${d.side ?? ''} ${d.qty ?? ''} ${d.symbol ?? ''} @ ${d.price ?? ''}${d.closed ? ' (closed)' : ''}`;
        item.append(time, text);
        return item;
      }),
    );
  },
  (error) => (fillsStatus.textContent = error.code === 'unknown_topic' ? 'Waiting for the first fill…' : error.message),
);

const market = $('#market');
const marketStatus = $('#market-status');
follow(
  'state:market',
  ({ state }) => {
    marketStatus.textContent = `seq ${state.seq}`;
    const symbols = Object.keys(state.data).sort();
    market.replaceChildren(
      ...symbols.map((symbol) => {
        const s = state.data[symbol] ?? {};
        const row = document.createElement('tr');
        const change = Number(s.changePct ?? 0);
        for (const [text, cls] of [
          [symbol, ''],
          [String(s.last ?? ''), ''],
          [`${change > 0 ? '+' : ''}${change.toFixed(2)} %`, change > 0 ? 'up' : change < 0 ? 'down' : ''],
          [Number(s.trades ?? 0).toLocaleString(), ''],
        ]) {
          const cell = document.createElement('td');
          cell.textContent = text;
          if (cls) cell.className = cls;
          row.append(cell);
        }
        return row;
      }),
    );
  },
  (error) => (marketStatus.textContent = error.code === 'unknown_topic' ? 'Waiting for the document…' : error.message),
);
