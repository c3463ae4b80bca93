import { html, nothing } from 'lit';
import { property } from 'lit/decorators/property.js';
import { state } from 'lit/decorators/state.js';
import { MetricsController } from '../../controllers/metrics-controller.js';
import type { ConnectionState, StreamMetrics } from '../../stream/index.js';
import { CONNECTION_LABELS, MarketElement } from '../base/market-element.js';
import { defineElement } from '../base/define.js';
import { themeStyles } from '../base/theme.styles.js';
import { badgeStyles } from './connection-badge.styles.js';

export type BadgeVariant = 'full' | 'compact' | 'floating';

const TONE: Readonly<Record<ConnectionState, 'good' | 'warn' | 'bad' | 'idle'>> = {
  open: 'good',
  connecting: 'warn',
  reconnecting: 'warn',
  polling: 'warn',
  closed: 'bad',
  paused: 'idle',
  idle: 'idle',
};
const DOWN: ReadonlySet<ConnectionState> = new Set(['reconnecting', 'polling', 'closed']);

let nextId = 0;

/**
 * The connection status of the page's market stream: a coloured dot with a text
 * label, a details disclosure, pause/resume and reconnect-now buttons, and a polite
 * live-region notice when the connection drops and when it is back.
 *
 * @tagname connection-badge
 * @summary Connection status badge.
 *
 * @attr state - Reflects the read-only `state`: the connection state (`idle`, `connecting`, `open`,
 *   `reconnecting`, `polling`, `paused`, `closed`), or `error` when there is no usable data source.
 *
 * @fires lmw-state-change - The connection state changed; detail `{state, previous}`.
 * @fires lmw-error - No usable data source; detail `{code, message}`.
 *
 * @csspart base - The wrapper that holds the badge's box (border, background, radius) and layout, whatever the host's `display`.
 * @csspart bar - The badge row.
 * @csspart dot - The coloured status dot.
 * @csspart label - The status text.
 * @csspart controls - The button group.
 * @csspart details - The details panel.
 * @csspart status - The visually hidden live region.
 * @csspart error - The error text.
 *
 * @cssprop --lmw-up - Dot colour when live.
 * @cssprop --lmw-warn - Dot colour while connecting, reconnecting or polling.
 * @cssprop --lmw-down - Dot colour when closed; error text.
 * @cssprop --lmw-muted - Dot colour when paused or idle; details labels.
 * @cssprop --lmw-text - Text colour.
 * @cssprop --lmw-bg - Background colour.
 * @cssprop --lmw-surface - Button background.
 * @cssprop --lmw-border - Border colour.
 * @cssprop --lmw-accent - Focus ring colour.
 * @cssprop --lmw-font - Font family.
 */
export class ConnectionBadge extends MarketElement {
  static override styles = [themeStyles, badgeStyles];

  /** Layout: `full` (default), `compact` (smaller), or `floating` (fixed to the bottom-right corner). */
  @property({ reflect: true }) variant: BadgeVariant = 'full';

  /** Hide the pause/resume and reconnect-now buttons. */
  @property({ type: Boolean, attribute: 'no-controls' }) noControls = false;

  @state() private _open = false;
  @state() private _announcement = '';
  private _metrics?: StreamMetrics;
  private _wasUp = false;
  private _ticker?: ReturnType<typeof setInterval>;
  private readonly _detailsId = `lmw-badge-details-${++nextId}`;

  /** Keeps the details' figures current. */
  protected override readonly metricsController = new MetricsController(this, {
    onMetrics: (metrics) => this.guarded(() => void (this._metrics = metrics)),
  });

  /** The stream's metrics as last seen (attempts, latency, last message time…). */
  get metrics(): StreamMetrics | undefined {
    return this._metrics ? { ...this._metrics } : undefined;
  }

  protected override computeState(): string {
    return this.error ? 'error' : this.connection;
  }

  protected override onConnectionChange(next: ConnectionState, previous: ConnectionState): void {
    this._metrics = this.stream?.metrics;
    if (next === 'open') {
      if (this._wasUp === false && DOWN.has(previous)) this._announcement = 'Connection restored. Data is live again.';
      else if (previous === 'paused') this._announcement = 'Live updates resumed.';
      this._wasUp = true;
    } else if (DOWN.has(next) && this._wasUp) {
      this._wasUp = false;
      this._announcement =
        next === 'polling'
          ? 'Connection lost. Polling for updates.'
          : next === 'closed'
            ? 'Connection closed.'
            : 'Connection lost. Reconnecting…';
    } else if (next === 'paused') {
      this._announcement = 'Live updates paused.';
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopTicker();
  }

  private toggleDetails(): void {
    this._open = !this._open;
    this._metrics = this.stream?.metrics ?? this._metrics;
    if (this._open) this._ticker ??= setInterval(() => this.requestUpdate(), 1000);
    else this.stopTicker();
  }

  private stopTicker(): void {
    if (this._ticker !== undefined) clearInterval(this._ticker);
    this._ticker = undefined;
  }

  private onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Escape' && this._open) {
      this.toggleDetails();
      this.renderRoot.querySelector<HTMLButtonElement>('button[aria-expanded]')?.focus();
    }
  }

  private togglePause(): void {
    const stream = this.stream;
    if (!stream) return;
    if (stream.paused) stream.resume();
    else stream.pause();
    this.requestUpdate();
  }

  private reconnectNow(): void {
    this.stream?.reconnect();
  }

  protected override renderContent() {
    const connection = this.connection;
    const hasError = this.state === 'error';
    const label = hasError ? 'No data source' : CONNECTION_LABELS[connection];
    const tone = hasError ? 'bad' : TONE[connection];
    const stream = this.stream;
    const showControls = !this.noControls && stream && !hasError;
    return html`
      <div class="bar" part="bar" @keydown=${this.onKeydown}>
        <span class="dot ${tone}" part="dot" aria-hidden="true"></span>
        <span class="label" part="label">${label}</span>
        <span class="controls" part="controls">
          ${showControls
            ? html`<button type="button" @click=${this.togglePause}>${stream.paused ? 'Resume' : 'Pause'}</button>
                ${DOWN.has(connection)
                  ? html`<button type="button" @click=${this.reconnectNow}>Reconnect now</button>`
                  : nothing}`
            : nothing}
          <button
            type="button"
            aria-expanded=${this._open ? 'true' : 'false'}
            aria-controls=${this._detailsId}
            @click=${this.toggleDetails}
          >
            Details
          </button>
        </span>
      </div>
      <div id=${this._detailsId} class="details" part="details" ?hidden=${!this._open}>
        ${this._open ? this.renderDetails() : nothing}
      </div>
      <div class="visually-hidden" role="status" aria-live="polite" part="status">${this._announcement}</div>
    `;
  }

  private renderDetails() {
    if (this.state === 'error') return html`<p class="error-message" part="error">${this.error?.message}</p>`;
    const m = this._metrics ?? this.stream?.metrics;
    const f = this.format;
    const now = Date.now();
    return html`<dl>
      <dt>URL</dt>
      <dd>${this.stream?.url ?? this.resolvedSrc ?? '—'}</dd>
      <dt>State</dt>
      <dd>${CONNECTION_LABELS[this.connection]}</dd>
      <dt>Attempt</dt>
      <dd>${m ? f.number(m.attempt, 0) : '—'}</dd>
      <dt>Connected since</dt>
      <dd>${m?.connectedSince ? f.time(m.connectedSince) : '—'}</dd>
      <dt>Latency</dt>
      <dd>${m?.latencyMs != null ? `${f.number(m.latencyMs, 1)} ms` : '—'}</dd>
      <dt>Last message</dt>
      <dd>${m?.lastMessageAt ? f.relative(-Math.max(0, (now - m.lastMessageAt) / 1000)) : '—'}</dd>
    </dl>`;
  }
}

defineElement('connection-badge', ConnectionBadge);

declare global {
  interface HTMLElementTagNameMap {
    'connection-badge': ConnectionBadge;
  }
}
