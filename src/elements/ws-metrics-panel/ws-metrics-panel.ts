import { html, svg, nothing } from 'lit';
import { MetricsController } from '../../controllers/metrics-controller.js';
import type { ConnectionState, StreamMetrics } from '../../stream/index.js';
import { MarketElement } from '../base/market-element.js';
import { defineElement } from '../base/define.js';
import { formatDuration } from '../base/format.js';
import { themeStyles } from '../base/theme.styles.js';
import { metricsStyles } from './ws-metrics-panel.styles.js';

// The types of this element's public API, importable with it (`live-market-widgets/elements/ws-metrics-panel.js`).
export type { ElementError, StateChangeDetail } from '../../events/index.js';
export type { StreamMetrics } from '../../stream/index.js';

/** Seconds of messages/s history in the sparkline (one sample per second). */
export const SPARKLINE_SECONDS = 60;
const SPARK_W = 120;
const SPARK_H = 40;

/** How the Sharing row names who holds the socket (StreamMetrics.sharing). */
const SHARING_LABELS: Readonly<Record<StreamMetrics['sharing'], string>> = {
  direct: 'This tab only',
  leader: 'Leader tab',
  follower: 'Follower tab',
  worker: 'Shared worker',
};

/** Connection states in which the numbers move, so the panel's clock keeps running. */
const TICKING: ReadonlySet<ConnectionState> = new Set(['connecting', 'open', 'reconnecting', 'polling', 'paused']);

/**
 * Live numbers about the page's market stream: latency (last, p50, p99),
 * messages/s with a 60-second sparkline, bytes/s, reconnects, recovered gaps,
 * resyncs, mode, time since the last message and uptime, and who holds the socket: the
 * Sharing row reads "This tab only" (a socket of its own), "Leader tab" (this tab holds
 * the one socket for the other tabs of the site), "Follower tab" (another tab holds it) or
 * "Shared worker"; Hand-offs counts how often the socket moved to another tab under this
 * page (docs/cross-tab.md).
 *
 * While the stream polls over HTTP, the figures are the polls': Bytes/s counts the poll
 * responses, and the latency row reads "Poll round trip" with p50/p99 over poll round
 * trips (a dash until the first poll answers; socket pings are not mixed in).
 *
 * Its one-second clock runs only while the element is in the document, the page
 * is visible and the stream is not idle or closed.
 *
 * @tagname ws-metrics-panel
 * @summary WebSocket metrics panel.
 *
 * @fires {CustomEvent<StateChangeDetail>} lmw-state-change - `state` changed; detail `{state, previous}`.
 * @fires {CustomEvent<ElementError>} lmw-error - No usable data source; detail `{code, message}`.
 *
 * @csspart base - The wrapper that holds the panel's box and layout, whatever the host's `display`; the container its sizes are queried against.
 * @csspart header - The title row.
 * @csspart sparkline - The messages/s sparkline block.
 * @csspart stats - The list of figures.
 * @csspart notice - The stale-data marker.
 * @csspart error - The error message box.
 *
 * @cssprop --lmw-accent - Sparkline colour and focus ring.
 * @cssprop --lmw-text - Text colour.
 * @cssprop --lmw-muted - Label colour.
 * @cssprop --lmw-bg - Background colour.
 * @cssprop --lmw-surface - Sparkline background.
 * @cssprop --lmw-border - Border colour.
 * @cssprop --lmw-warn - Colour of the stale-data marker.
 * @cssprop --lmw-font - Font family.
 * @cssprop --lmw-radius - Corner radius.
 * @cssprop [--lmw-sparkline-height=44px] - Height of the sparkline.
 */
export class WsMetricsPanel extends MarketElement {
  static override styles = [themeStyles, metricsStyles];

  /** Messages/s samples, a fixed-size ring (oldest overwritten). */
  private readonly _samples = new Float64Array(SPARKLINE_SECONDS);
  private _sampleCount = 0;
  private _sampleHead = 0;
  private _seen = false;
  private _ticker?: ReturnType<typeof setInterval>;
  private readonly _onVisibility = () => this.syncTicker();

  /** The panel's figures: new metrics mean traffic was seen and the state may have changed. */
  protected override readonly metricsController = new MetricsController(this, {
    onMetrics: (metrics) => this.guarded(() => this.onMetrics(metrics)),
  });

  /** The stream's current metrics (a copy), or null when not bound to a stream. */
  get metrics(): StreamMetrics | null {
    const m = this.metricsController.metrics;
    return m ? { ...m, topicMessages: { ...m.topicMessages } } : null;
  }

  /** The sparkline samples (messages/s, one per second), oldest first. */
  get samples(): number[] {
    const out: number[] = [];
    const start = this._sampleCount < SPARKLINE_SECONDS ? 0 : this._sampleHead;
    for (let i = 0; i < this._sampleCount; i++) out.push(this._samples[(start + i) % SPARKLINE_SECONDS]!);
    return out;
  }

  /** Whether the one-second clock is running. */
  get ticking(): boolean {
    return this._ticker !== undefined;
  }

  protected override get hasData(): boolean {
    return this._seen;
  }

  protected override clearData(): void {
    this._sampleCount = 0;
    this._sampleHead = 0;
    this._seen = false;
  }

  protected override onConnectionChange(state: ConnectionState): void {
    if (state === 'open' || state === 'polling') this._seen = true;
    this.syncTicker();
  }

  private onMetrics(metrics: StreamMetrics): void {
    if (metrics.lastMessageAt !== null) this._seen = true;
    this.refreshState();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this._onVisibility);
    this.syncTicker();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this._onVisibility);
    this.syncTicker();
  }

  private syncTicker(): void {
    const run = this.isConnected && document.visibilityState !== 'hidden' && !!this.stream && TICKING.has(this.connection);
    if (run && this._ticker === undefined) this._ticker = setInterval(() => this.tick(), 1000);
    else if (!run && this._ticker !== undefined) {
      clearInterval(this._ticker);
      this._ticker = undefined;
    }
  }

  private tick(): void {
    try {
      if (!this._seen) return; // no traffic yet: nothing to plot
      const rate = this.stream?.metrics.messagesPerSecond ?? 0;
      this._samples[this._sampleHead] = Number.isFinite(rate) ? rate : 0;
      this._sampleHead = (this._sampleHead + 1) % SPARKLINE_SECONDS;
      this._sampleCount = Math.min(this._sampleCount + 1, SPARKLINE_SECONDS);
      this.requestUpdate();
    } catch (error) {
      this.crash(error);
    }
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    super.updated(changed);
    this.syncTicker(); // the binding may have changed with src
  }

  // ---- template ------------------------------------------------------------

  protected override renderContent() {
    const state = this.state;
    const m = this.stream?.metrics;
    return html`
      <div class="header" part="header">
        <span class="title">Stream</span>
        ${m && state !== 'error' ? html`<span class="mode">${m.mode}</span>` : nothing}
        <span class="spacer"></span>
        ${this.renderStaleMarker()}
      </div>
      ${state === 'error'
        ? this.renderError('Metrics unavailable')
        : state === 'loading' || !m
          ? html`<div role="status">
              <span class="visually-hidden">Waiting for the stream…</span>
              <div class="skeleton skeleton-block" aria-hidden="true"></div>
              <div class="skeleton skeleton-block" aria-hidden="true"></div>
            </div>`
          : this.renderMetrics(m)}
    `;
  }

  private renderMetrics(m: StreamMetrics) {
    const f = this.format;
    const now = Date.now();
    const ms = (value: number | null) => (value == null ? '—' : `${f.number(value, value < 10 ? 1 : 0)} ms`);
    const samples = this.samples;
    const peak = Math.max(1, ...samples);
    const item = (label: string, value: string) => html`<div>
      <dt>${label}</dt>
      <dd>${value}</dd>
    </div>`;
    return html`
      <div class="spark" part="sparkline">
        <div class="spark-head">
          <span>Messages/s</span><strong>${f.number(m.messagesPerSecond, 1)}</strong>
        </div>
        <svg
          viewBox="0 0 ${SPARK_W} ${SPARK_H}"
          preserveAspectRatio="none"
          role="img"
          aria-label="Messages per second over the last ${samples.length} seconds, peak ${f.number(peak, 1)}"
        >
          ${this.renderSparkline(samples, peak)}
        </svg>
      </div>
      <dl part="stats">
        ${item(m.mode === 'polling' ? 'Poll round trip' : 'Latency', ms(m.latencyMs))} ${item('p50', ms(m.latencyP50Ms))}
        ${item('p99', ms(m.latencyP99Ms))}
        ${item('Bytes/s', formatBytes(m.bytesPerSecond, (n, d) => f.number(n, d)))}
        ${item('Reconnects', f.number(m.reconnects, 0))} ${item('Gaps recovered', f.number(m.gapsRecovered, 0))}
        ${item('Resyncs', f.number(m.resyncs, 0))} ${item('Mode', m.mode)}
        ${item('Sharing', SHARING_LABELS[m.sharing] ?? m.sharing)} ${item('Hand-offs', f.number(m.handoffs, 0))}
        ${item('Last update', m.lastMessageAt ? f.relative(-Math.max(0, (now - m.lastMessageAt) / 1000)) : '—')}
        ${item('Uptime', m.connectedSince && this.connection === 'open' ? formatDuration((now - m.connectedSince) / 1000) : '—')}
      </dl>
    `;
  }

  private renderSparkline(samples: number[], peak: number) {
    if (samples.length < 2) return svg`<line class="spark-line" x1="0" y1=${SPARK_H} x2=${SPARK_W} y2=${SPARK_H}></line>`;
    const step = SPARK_W / (SPARKLINE_SECONDS - 1);
    const offset = (SPARKLINE_SECONDS - samples.length) * step; // newest sample at the right edge
    const points = samples.map((v, i) => `${(offset + i * step).toFixed(1)},${(SPARK_H - (v / peak) * (SPARK_H - 2)).toFixed(1)}`);
    const area = `${offset.toFixed(1)},${SPARK_H} ${points.join(' ')} ${SPARK_W},${SPARK_H}`;
    return svg`<polygon class="spark-fill" points=${area}></polygon><polyline class="spark-line" points=${points.join(' ')}></polyline>`;
  }
}

function formatBytes(bytesPerSecond: number, number: (n: number, digits: number) => string): string {
  if (bytesPerSecond >= 1_048_576) return `${number(bytesPerSecond / 1_048_576, 1)} MB/s`;
  if (bytesPerSecond >= 1024) return `${number(bytesPerSecond / 1024, 1)} KB/s`;
  return `${number(bytesPerSecond, 0)} B/s`;
}

defineElement('ws-metrics-panel', WsMetricsPanel);

declare global {
  interface HTMLElementTagNameMap {
    'ws-metrics-panel': WsMetricsPanel;
  }
}
