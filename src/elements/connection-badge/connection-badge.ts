import { html, nothing, type PropertyValues } from 'lit';
import { property } from 'lit/decorators/property.js';
import { state } from 'lit/decorators/state.js';
import { MetricsController } from '../../controllers/metrics-controller.js';
import type { ConnectionState, StreamMetrics } from '../../stream/index.js';
import { CONNECTION_LABELS, MarketElement } from '../base/market-element.js';
import { defineElement } from '../base/define.js';
import { themeStyles } from '../base/theme.styles.js';
import { badgeStyles } from './connection-badge.styles.js';
import { placeInViewport } from './panel-position.js';

// The types of this element's public API, importable with it (`live-market-widgets/elements/connection-badge.js`).
export type { ElementError, StateChangeDetail } from '../../events/index.js';
export type { StreamMetrics } from '../../stream/index.js';

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
/** Every label the badge can show: the hidden sizer reserves the widest, so the badge never resizes. */
const ALL_LABELS = [...new Set([...Object.values(CONNECTION_LABELS), 'No data source'])];

let nextId = 0;

/**
 * The connection status of the page's market stream: a coloured dot with a text
 * label, a details disclosure, pause/resume and reconnect-now buttons, and a polite
 * live-region notice when the connection drops and when it is back.
 *
 * The badge's box is as wide as its widest state (a hidden sizer reserves the longest
 * label and every button), so "Reconnect now" appearing never moves the page around it;
 * the visible pill (`bar`) sits at the inline end of that box. The details panel closes on
 * Escape and on a pointer press outside the badge, and is kept inside the viewport
 * (flipped above or below, shifted sideways).
 *
 * @tagname connection-badge
 * @summary Connection status badge.
 *
 * @fires {CustomEvent<StateChangeDetail>} lmw-state-change - The connection state changed; detail `{state, previous}`.
 * @fires {CustomEvent<ElementError>} lmw-error - No usable data source; detail `{code, message}`.
 *
 * @csspart base - The wrapper that holds the badge's reserved width and layout, whatever the host's `display` (no box of its own).
 * @csspart bar - The badge row (the visible pill: border, background, radius), at the inline end of the badge's reserved width.
 * @csspart dot - The coloured status dot.
 * @csspart label - The status text.
 * @csspart controls - The button group.
 * @csspart toggle - The Details button (`aria-expanded`, `aria-controls`).
 * @csspart details - The details panel (class `flipped` when it opens on the other side to fit the viewport).
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
  private _wasUp = false;
  private _ticker?: ReturnType<typeof setInterval>;
  private readonly _detailsId = `lmw-badge-details-${++nextId}`;

  /** Keeps the details' figures current (it re-renders the badge on each metrics event). */
  protected override readonly metricsController = new MetricsController(this);

  /** The bound stream's metrics (attempts, latency, last message time…), a copy. */
  get metrics(): StreamMetrics | undefined {
    const metrics = this.metricsController.metrics;
    return metrics ? { ...metrics } : undefined;
  }

  protected override computeState(): string {
    return this.error ? 'error' : this.connection;
  }

  protected override onConnectionChange(next: ConnectionState, previous: ConnectionState): void {
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
    this.setOpen(false); // no document listeners left behind
  }

  private readonly _onDocumentPointerDown = (event: PointerEvent) => {
    // composedPath sees through shadow roots: a press on the panel or the toggle is inside.
    if (!event.composedPath().includes(this)) this.setOpen(false);
  };
  private readonly _onDocumentKeydown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    const inside = event.composedPath().includes(this);
    this.setOpen(false);
    // Focus goes back to the toggle only when it was in the badge (never stolen from the page).
    if (inside) this.renderRoot.querySelector<HTMLButtonElement>('button[aria-expanded]')?.focus();
  };
  private readonly _onViewportChange = () => this.placePanel();

  private toggleDetails(): void {
    this.setOpen(!this._open);
  }

  private setOpen(open: boolean): void {
    if (open === this._open) return;
    this._open = open;
    if (open) {
      this._ticker ??= setInterval(() => this.requestUpdate(), 1000);
      document.addEventListener('pointerdown', this._onDocumentPointerDown, true);
      document.addEventListener('keydown', this._onDocumentKeydown);
      window.addEventListener('resize', this._onViewportChange);
      window.addEventListener('scroll', this._onViewportChange, { capture: true, passive: true });
    } else {
      this.stopWatching();
    }
  }

  /** Ends what an open panel needs: the 1 s refresh and the document and viewport listeners. */
  private stopWatching(): void {
    if (this._ticker !== undefined) clearInterval(this._ticker);
    this._ticker = undefined;
    document.removeEventListener('pointerdown', this._onDocumentPointerDown, true);
    document.removeEventListener('keydown', this._onDocumentKeydown);
    window.removeEventListener('resize', this._onViewportChange);
    window.removeEventListener('scroll', this._onViewportChange, { capture: true });
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (this._open) this.placePanel(); // its content (and so its size) may have changed
  }

  /** Keeps the open panel inside the viewport. */
  private placePanel(): void {
    const panel = this.renderRoot.querySelector<HTMLElement>('[part=details]');
    if (!this._open || !panel || panel.hidden) return;
    placeInViewport(panel, this.getBoundingClientRect(), this.variant === 'floating');
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
      <div class="wrap">
        ${this.renderSizer()}
        <div class="bar" part="bar">
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
              part="toggle"
              aria-expanded=${this._open ? 'true' : 'false'}
              aria-controls=${this._detailsId}
              @click=${this.toggleDetails}
            >
              Details
            </button>
          </span>
        </div>
      </div>
      <div id=${this._detailsId} class="details" part="details" role="group" aria-label="Connection details" ?hidden=${!this._open}>
        ${this._open ? this.renderDetails() : nothing}
      </div>
      <div class="visually-hidden" role="status" aria-live="polite" part="status">${this._announcement}</div>
    `;
  }

  /**
   * An invisible copy of the bar at its widest (every label stacked in one cell, every
   * button present), in the same grid cell as the bar: the badge's width never changes
   * with its state. Text in spans, not buttons, so it holds nothing focusable.
   */
  private renderSizer() {
    return html`<div class="bar sizer" aria-hidden="true">
      <span class="dot"></span>
      <span class="label stack">${ALL_LABELS.map((text) => html`<span>${text}</span>`)}</span>
      <span class="controls">
        ${this.noControls
          ? nothing
          : html`<span class="btn stack"><span>Pause</span><span>Resume</span></span><span class="btn">Reconnect now</span>`}
        <span class="btn toggle">Details</span>
      </span>
    </div>`;
  }

  private renderDetails() {
    if (this.state === 'error') return html`<p class="error-message" part="error">${this.error?.message}</p>`;
    const m = this.metricsController.metrics;
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
