// Measures a bench page the same way whatever the page does:
// - updates applied (`meter.applied(serverTime)` once per update the page applied),
// - frames per second (requestAnimationFrame callbacks),
// - long tasks (PerformanceObserver 'longtask'),
// - latency from the server's send time (`time` of the update, server ms on the same
//   machine clock) to the frame that shows it. The latency is taken in a ResizeObserver
//   callback, which runs after every animation frame callback and layout of a frame and
//   before its paint, so updates applied inside the frame (coalescing pages) and before it
//   (per-message pages) are both attributed to the frame that paints them.

const HIST_MS = 5000;
const PENDING_CAP = 1 << 20;

export class Meter {
  constructor() {
    this.hist = new Uint32Array(HIST_MS + 1);
    this.pending = new Float64Array(PENDING_CAP);
    this.pendingCount = 0;
    this.overflow = 0;
    this.appliedCount = 0;
    this.frames = 0;
    this.longTasks = [];
    this.windowStart = performance.now();
    this.observer = new PerformanceObserver((list) => this.longTasks.push(...list.getEntries()));
    this.observer.observe({ type: 'longtask', buffered: true });
    // A 1px element whose width flips every frame, so the ResizeObserver fires every frame.
    this.probe = document.createElement('div');
    this.probe.style.cssText = 'position:absolute;left:0;top:0;height:1px;width:1px;pointer-events:none;opacity:0';
    document.body.append(this.probe);
    this.flip = false;
    new ResizeObserver(() => this.flush()).observe(this.probe);
    const onFrame = () => {
      this.frames++;
      this.flip = !this.flip;
      this.probe.style.width = this.flip ? '2px' : '1px';
      requestAnimationFrame(onFrame);
    };
    requestAnimationFrame(onFrame);
  }

  /** The page applied one update whose server send time is `serverTime` (epoch ms). */
  applied(serverTime) {
    this.appliedCount++;
    if (this.pendingCount < PENDING_CAP) this.pending[this.pendingCount++] = serverTime;
    else {
      this.overflow++;
      this.record(Date.now() - serverTime);
    }
  }

  record(ms) {
    this.hist[ms < 0 ? 0 : ms > HIST_MS ? HIST_MS : ms | 0]++;
  }

  flush() {
    const now = Date.now();
    const n = this.pendingCount;
    for (let i = 0; i < n; i++) this.record(now - this.pending[i]);
    this.pendingCount = 0;
  }

  reset() {
    this.hist.fill(0);
    this.overflow = 0;
    this.appliedCount = 0;
    this.frames = 0;
    this.observer.takeRecords();
    this.longTasks = [];
    this.windowStart = performance.now();
  }

  quantile(q) {
    let total = 0;
    for (let i = 0; i <= HIST_MS; i++) total += this.hist[i];
    if (total === 0) return null;
    const target = Math.max(1, Math.ceil(total * q));
    let seen = 0;
    for (let i = 0; i <= HIST_MS; i++) {
      seen += this.hist[i];
      if (seen >= target) return i;
    }
    return HIST_MS;
  }

  read() {
    this.longTasks.push(...this.observer.takeRecords());
    const elapsedMs = performance.now() - this.windowStart;
    const tasks = this.longTasks.filter((e) => e.startTime >= this.windowStart);
    return {
      elapsedMs,
      applied: this.appliedCount,
      appliedPerSecond: (this.appliedCount * 1000) / elapsedMs,
      fps: (this.frames * 1000) / elapsedMs,
      longTasks: tasks.length,
      longTaskMs: tasks.reduce((sum, e) => sum + e.duration, 0),
      latencyP50Ms: this.quantile(0.5),
      latencyP99Ms: this.quantile(0.99),
      latencyMaxMs: (() => {
        for (let i = HIST_MS; i >= 0; i--) if (this.hist[i]) return i;
        return null;
      })(),
      pendingOverflow: this.overflow,
    };
  }
}

/** Query parameters every page takes: ws (feed URL), symbols (comma list), chart (symbol). */
export function pageParams() {
  const q = new URLSearchParams(location.search);
  const symbols = (q.get('symbols') ?? '').split(',').filter(Boolean);
  return { ws: q.get('ws'), symbols, chart: q.get('chart') ?? symbols[0], interval: q.get('interval') ?? '1m', account: q.get('account') ?? 'bench' };
}

/** A 50-row plain table (symbol, last, change) for the hand-written pages. */
export function buildTable(symbols) {
  const table = document.createElement('table');
  table.innerHTML = '<thead><tr><th>Symbol</th><th>Last</th><th>Change</th></tr></thead>';
  const body = document.createElement('tbody');
  const rows = new Map();
  for (const symbol of symbols) {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.textContent = symbol;
    const last = document.createElement('td');
    const change = document.createElement('td');
    tr.append(name, last, change);
    body.append(tr);
    rows.set(symbol, { last, change });
  }
  table.append(body);
  document.body.append(table);
  return rows;
}

/** Minimal protocol v1 client for the hand-written pages: hello, then sub every topic. */
export function openSocket(url, topics, onFrameText) {
  const socket = new WebSocket(url);
  socket.onopen = () => {
    socket.send(JSON.stringify({ op: 'hello', v: 1 }));
    topics.forEach((topic, i) => socket.send(JSON.stringify({ op: 'sub', id: i + 1, topic })));
  };
  socket.onmessage = (event) => onFrameText(event.data);
  return socket;
}
