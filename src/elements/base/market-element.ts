import { LitElement, html, type PropertyValues, type TemplateResult } from 'lit';
import { property } from 'lit/decorators/property.js';
import { ConnectionController } from '../../controllers/connection-controller.js';
import type { MetricsController } from '../../controllers/metrics-controller.js';
import { TopicController } from '../../controllers/topic-controller.js';
import { lmwEvent, type ElementError, type LmwEventDetailMap } from '../../events/index.js';
import type { ConnectionState, MarketStream, TopicEvent } from '../../stream/index.js';
import { getFormatters, type Formatters } from './format.js';

/** What an element shows: a skeleton, live data, kept-but-stale data, or an error message. */
export type ViewState = 'loading' | 'live' | 'stale' | 'error';
export type Theme = 'light' | 'dark' | 'auto';
export type { ElementError, StateChangeDetail } from '../../events/index.js';

/** First wait before an element that waits for its topic to be published asks again (ms); it doubles up to the cap. */
export const PUBLISH_RETRY_MS = 1000;
export const PUBLISH_RETRY_CAP_MS = 10_000;

/** Name of the page-wide `<meta>` that gives every element its default data URL. */
export const SRC_META_NAME = 'live-market-widgets:src';

/** The topic an element wants, or why its attributes cannot make one, or nothing (no topic). */
export type TopicChoice = { topic: string } | { error: ElementError } | null;

/** Short labels for a connection state, used in markers and badges (never colour alone). */
export const CONNECTION_LABELS: Readonly<Record<ConnectionState, string>> = {
  idle: 'Idle',
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Polling',
  paused: 'Paused',
  closed: 'Offline',
};

/**
 * Shared base of the four elements: finds the data URL, binds to the page's one stream
 * for that URL through the Lit controllers (connection state, optionally one topic and
 * metrics), tracks the view state, fires the common events, and keeps any error inside
 * the element.
 *
 * Subclasses implement `topicChoice()` (which topic, or an attribute error),
 * `onTopicEvent()` (new data), `hasData` and `renderContent()`. An element that shows
 * the stream's metrics declares a `metricsController`; it follows the same URL.
 *
 * @fires {CustomEvent<StateChangeDetail>} lmw-state-change - The element's `state` changed; detail `{state, previous}`.
 * @fires {CustomEvent<ElementError>} lmw-error - The element entered its error state; detail `{code, message}`.
 */
export abstract class MarketElement extends LitElement {
  /**
   * WebSocket URL of the market server (`ws://host/stream`). When absent, the
   * `content` of `<meta name="live-market-widgets:src">` is used. Elements with the
   * same URL share one connection.
   */
  @property() src?: string;

  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  @property({ reflect: true }) theme: Theme = 'auto';

  /** BCP 47 locale for numbers, prices, money and times; defaults to `<html lang>`, then the browser's. */
  @property() locale?: string;

  /** Follows the connection state of the stream for `resolvedSrc`; its `error` is a bad URL. */
  protected readonly connectionController = new ConnectionController(this, {
    onStateChange: ({ state }) => this.guarded(() => this.connectionEvent(state)),
  });

  /** Subscribes the topic of `topicChoice()` (nothing when it gives none). */
  protected readonly topicController = new TopicController(this, {
    // The update path: no closure per event.
    onEvent: (event) => {
      try {
        this.receive(event);
      } catch (error) {
        this.crash(error);
      }
    },
    onError: ({ code, message }) =>
      this.guarded(() => (code === 'unknown_topic' && this.waitsForPublish ? this.waitForPublish() : this.setError({ code, message }))),
  });

  /** Declared by elements that show the stream's metrics; bound to the same URL as the others. */
  protected readonly metricsController?: MetricsController;

  /** Undefined until first computed: the first value is the starting point, not a change. */
  private _state?: string;
  private _error?: ElementError;
  private _crashed = false;
  /** The connection state as this element last saw it (kept while unbound). */
  private _connection: ConnectionState = 'idle';
  /** What the controllers are bound to (URL and topic choice); undefined while unbound. */
  private _bindingKey?: string;
  /** The topic is not published yet: loading, asking again on a timer. */
  private _waiting = false;
  private _waitTimer?: ReturnType<typeof setTimeout>;
  private _waitAttempt = 0;

  /**
   * Current state, reflected to the `state` attribute: `loading`, `live`, `stale`
   * or `error` (the connection badge reports the connection state instead).
   */
  get state(): string {
    return this._state ?? (this._crashed ? 'error' : this.computeState());
  }

  /** The current error (`{code, message}`), if the element is in its error state. */
  get error(): ElementError | undefined {
    return this._error ? { ...this._error } : undefined;
  }

  /** The resolved data URL: `src`, else the page's `<meta name="live-market-widgets:src">`. */
  get resolvedSrc(): string | undefined {
    const own = this.src?.trim();
    if (own) return own;
    const meta = document.querySelector<HTMLMetaElement>(`meta[name="${SRC_META_NAME}"]`);
    return meta?.content.trim() || undefined;
  }

  /** The locale in use: `locale`, else `<html lang>`, else the browser default (undefined). */
  get resolvedLocale(): string | undefined {
    return this.locale?.trim() || document.documentElement.lang || undefined;
  }

  /** The stream this element is bound to (shared with every element using the same URL). */
  protected get stream(): MarketStream | undefined {
    return this.connectionController.stream;
  }

  /** The stream's connection state, kept current. */
  protected get connection(): ConnectionState {
    return this._connection;
  }

  /** Formatters for the resolved locale (cached per locale). */
  protected get format(): Formatters {
    return getFormatters(this.resolvedLocale);
  }

  // ---- hooks for subclasses ----------------------------------------------

  /** Which topic to subscribe (checked attributes), an attribute error, or null for none. */
  protected topicChoice(): TopicChoice {
    return null;
  }

  /** New data for the bound topic (at most once per animation frame). */
  protected onTopicEvent(_event: TopicEvent): void {}

  /** Drops data of the previous topic (called on every rebind). */
  protected clearData(): void {}

  /** Whether there is data to show (false: the loading skeleton). */
  protected get hasData(): boolean {
    return true;
  }

  /**
   * True for an element whose topic a backend may publish later (a published account): an
   * `unknown_topic` keeps it loading and it asks again, 1 s, 2 s, … up to every 10 s.
   */
  protected get waitsForPublish(): boolean {
    return false;
  }

  /** Whether the element is waiting for its topic to be published. */
  protected get waitingForPublish(): boolean {
    return this._waiting;
  }

  /** The connection state changed. */
  protected onConnectionChange(_state: ConnectionState, _previous: ConnectionState): void {}

  /** The element's state from what it knows; the badge overrides this. */
  protected computeState(): string {
    if (this._error) return 'error';
    if (!this.hasData) return 'loading';
    return this.connection === 'open' ? 'live' : 'stale';
  }

  // ---- lifecycle -----------------------------------------------------------

  override connectedCallback(): void {
    try {
      super.connectedCallback();
    } catch (error) {
      this.crash(error);
    }
    // willUpdate (re)binds; make sure an update runs after a re-attach.
    this.requestUpdate();
  }

  override disconnectedCallback(): void {
    try {
      super.disconnectedCallback(); // the controllers release here
    } finally {
      this.unbind();
    }
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (this.isConnected) this.bind();
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const state = this.state;
    if (this.getAttribute('state') !== state) this.setAttribute('state', state);
  }

  /** Every update goes through here: an exception becomes the error state, never the page's problem. */
  protected override scheduleUpdate(): void | Promise<unknown> {
    try {
      return super.scheduleUpdate();
    } catch (error) {
      this.crash(error);
    }
  }

  // ---- binding -------------------------------------------------------------

  /** The one binding path: points the controllers at (URL, topic) when either changed. */
  private bind(): void {
    const url = this.resolvedSrc;
    const choice = this.topicChoice();
    const key = JSON.stringify([url ?? null, choice]);
    if (key === this._bindingKey) return;
    this._bindingKey = key;
    this._error = undefined;
    this.stopWaiting();
    this.clearData();

    const refused: ElementError | undefined =
      choice && 'error' in choice
        ? choice.error
        : url
          ? undefined
          : { code: 'no_source', message: `No data source: set the src attribute or <meta name="${SRC_META_NAME}">.` };
    this.connectionController.setUrl(refused ? undefined : url);
    const badUrl = this.connectionController.error;
    const streamUrl = refused || badUrl ? undefined : url;
    this.topicController.setTarget(streamUrl, streamUrl && choice && 'topic' in choice ? choice.topic : undefined);
    this.metricsController?.setUrl(streamUrl);

    const problem = refused ?? badUrl;
    if (problem) {
      this.setError({ code: problem.code, message: problem.message });
      return;
    }
    const previous = this._connection;
    this._connection = this.connectionController.state;
    if (this._connection !== previous) this.onConnectionChange(this._connection, previous);
    this.refreshState();
  }

  /** Leaves the stream (on disconnect); the next update binds again from scratch. */
  private unbind(): void {
    this._bindingKey = undefined;
    this.stopWaiting();
    this.connectionController.setUrl(undefined);
    this.topicController.setTarget(undefined, undefined);
    this.metricsController?.setUrl(undefined);
  }

  /** A `statechange` of the bound stream. */
  private connectionEvent(next: ConnectionState): void {
    const previous = this._connection;
    this._connection = next;
    this.onConnectionChange(next, previous);
    this.refreshState();
    this.requestUpdate();
  }

  /** `unknown_topic` for a topic that may be published later: stay loading, ask again with backoff. */
  private waitForPublish(): void {
    this._waiting = true;
    clearTimeout(this._waitTimer);
    const wait = Math.min(PUBLISH_RETRY_CAP_MS, PUBLISH_RETRY_MS * 2 ** this._waitAttempt++);
    this._waitTimer = setTimeout(() => this.guarded(() => this.topicController.retry()), wait);
    this.refreshState();
    this.requestUpdate();
  }

  private stopWaiting(): void {
    clearTimeout(this._waitTimer);
    this._waitTimer = undefined;
    this._waiting = false;
    this._waitAttempt = 0;
  }

  private receive(event: TopicEvent): void {
    if (this._waiting) this.stopWaiting();
    if (this._error && this._error.code !== 'internal_error') this._error = undefined; // data came after all
    this.onTopicEvent(event);
    this.refreshState();
    this.requestUpdate();
  }

  /** Runs a controller callback; an exception becomes the error state. */
  protected guarded(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.crash(error);
    }
  }

  // ---- state and events ----------------------------------------------------

  /** Recomputes the state and fires `lmw-state-change` when it really changed. */
  protected refreshState(): void {
    const next = this._crashed ? 'error' : this.computeState();
    const previous = this._state;
    if (next === previous) return;
    this._state = next;
    if (this.hasUpdated) this.setAttribute('state', next);
    this.requestUpdate();
    if (previous !== undefined) this.emit('lmw-state-change', { state: next, previous });
  }

  /** Enters the error state and fires `lmw-error` (once per distinct error). */
  protected setError(error: ElementError): void {
    const same = this._error && this._error.code === error.code && this._error.message === error.message;
    this._error = { code: error.code, message: error.message };
    this.refreshState();
    this.requestUpdate();
    if (!same) this.emit('lmw-error', { ...this._error });
  }

  /** Leaves the error state set by `setError` (the next data or rebind also does). */
  protected clearError(): void {
    if (!this._error) return;
    this._error = undefined;
    this.refreshState();
  }

  /** An unexpected exception: shown as an error, reported once on the console, never rethrown. */
  protected crash(error: unknown): void {
    if (this._crashed) return;
    console.warn(`live-market-widgets: <${this.localName}> failed`, error);
    this._crashed = true;
    this.setError({ code: 'internal_error', message: 'This widget stopped because of an internal error.' });
  }

  protected get crashed(): boolean {
    return this._crashed;
  }

  /** Fires one of the `lmw-*` events (typed by `LmwEventDetailMap`). */
  protected emit<K extends keyof LmwEventDetailMap>(type: K, detail: LmwEventDetailMap[K]): void {
    this.dispatchEvent(lmwEvent(type, detail));
  }

  // ---- rendering -----------------------------------------------------------

  /** The element's own template (the base shows an error box instead after a crash). */
  protected abstract renderContent(): unknown;

  /**
   * Everything sits in one wrapper (`part="base"`) that owns the element's box and layout,
   * so the host's `display` (set by the page) cannot break it.
   */
  protected override render(): unknown {
    return html`<div class="base" part="base">
      ${this._crashed ? this.renderError('Widget error') : this.renderContent()}
    </div>`;
  }

  // ---- shared templates ----------------------------------------------------

  /** A marker for stale data (`Reconnecting…`, `Paused`, …), or nothing when live. */
  protected renderStaleMarker(): TemplateResult | null {
    if (this.state !== 'stale') return null;
    return html`<span class="notice stale" part="notice">${CONNECTION_LABELS[this.connection]}</span>`;
  }

  /** The error message box (text only). */
  protected renderError(title = 'Unavailable'): TemplateResult {
    const error = this._error;
    return html`<div class="error-box" part="error">
      <span class="error-title">${title}</span>
      <span class="error-message">${error?.message ?? ''}</span>
    </div>`;
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
