import { LitElement, html, type PropertyValues, type TemplateResult } from 'lit';
import { property } from 'lit/decorators/property.js';
import { getStream, type MarketStream } from '../../stream/index.js';
import type { ConnectionState, StreamError, StreamMetrics, SubscriptionHandle, TopicEvent } from '../../stream/types.js';
import { getFormatters, type Formatters } from './format.js';

/** What an element shows: a skeleton, live data, kept-but-stale data, or an error message. */
export type ViewState = 'loading' | 'live' | 'stale' | 'error';
export type Theme = 'light' | 'dark' | 'auto';

/** Detail of `lmw-error`. */
export interface ElementError {
  /** `bad_attribute`, `no_source`, a server code such as `unknown_topic`, or `internal_error`. */
  code: string;
  message: string;
}

/** Detail of `lmw-state-change`. */
export interface StateChangeDetail<S extends string = string> {
  state: S;
  previous: S;
}

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
 * Shared base of the four elements: finds the data URL, binds to the page's one
 * stream for that URL and (optionally) one topic, tracks the view state, fires the
 * common events, and keeps any error inside the element.
 *
 * Subclasses implement `topicChoice()` (which topic, or an attribute error),
 * `onTopicEvent()` (new data), `hasData` and `renderContent()`.
 *
 * @fires lmw-state-change - The element's `state` changed; detail `{state, previous}`.
 * @fires lmw-error - The element entered its error state; detail `{code, message}`.
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

  /** The stream this element is bound to (shared with every element using the same URL). */
  protected stream?: MarketStream;
  /** The stream's connection state, kept current. */
  protected connection: ConnectionState = 'idle';
  /** Set to listen to the stream's `metrics` events (calls `onMetrics`). */
  protected wantsMetrics = false;

  /** Undefined until first computed: the first value is the starting point, not a change. */
  private _state?: string;
  private _error?: ElementError;
  private _crashed = false;
  private _bindingKey?: string;
  private _handle?: SubscriptionHandle;
  private _unlisten: Array<() => void> = [];
  /** Bumped on every (re)bind, so callbacks from a released binding are ignored. */
  private _generation = 0;

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

  /** The connection state changed. */
  protected onConnectionChange(_state: ConnectionState, _previous: ConnectionState): void {}

  /** The stream's metrics changed (only with `wantsMetrics`). */
  protected onMetrics(_metrics: StreamMetrics): void {}

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
      super.disconnectedCallback();
    } finally {
      this.unbind();
    }
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (this.isConnected) this.bindIfChanged();
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

  private bindIfChanged(): void {
    const url = this.resolvedSrc;
    const choice = this.topicChoice();
    const key = JSON.stringify([url ?? null, choice]);
    if (key === this._bindingKey) return;
    this.unbind();
    this._bindingKey = key;
    const generation = ++this._generation;
    this._error = undefined;
    this.clearData();

    if (choice && 'error' in choice) {
      this.setError(choice.error);
      return;
    }
    if (!url) {
      this.setError({
        code: 'no_source',
        message: `No data source: set the src attribute or <meta name="${SRC_META_NAME}">.`,
      });
      return;
    }
    let stream: MarketStream;
    try {
      stream = getStream(url);
    } catch (error) {
      this.setError({ code: 'bad_src', message: `Cannot use data source ${url}: ${errorText(error)}` });
      return;
    }
    this.stream = stream;
    const previousConnection = this.connection;
    this.connection = stream.state;
    this._unlisten.push(
      stream.on('statechange', (change) =>
        this.guard(generation, () => {
          const previous = this.connection;
          this.connection = change.state;
          this.onConnectionChange(change.state, previous);
          this.refreshState();
          this.requestUpdate();
        }),
      ),
    );
    if (this.wantsMetrics) {
      this._unlisten.push(stream.on('metrics', (metrics) => this.guard(generation, () => this.onMetrics(metrics))));
    }
    if (choice) {
      const handle = stream.subscribe(choice.topic, (event) => this.guard(generation, () => this.receive(event)), {
        coalesce: 'frame',
        onError: (error: StreamError) => this.guard(generation, () => this.setError({ code: error.code, message: error.message })),
      });
      if (generation === this._generation) this._handle = handle;
      else handle.unsubscribe(); // released while subscribing
    }
    if (this.connection !== previousConnection) this.onConnectionChange(this.connection, previousConnection);
    this.refreshState();
  }

  private unbind(): void {
    this._generation++;
    this._bindingKey = undefined;
    const handle = this._handle;
    this._handle = undefined;
    handle?.unsubscribe();
    for (const off of this._unlisten.splice(0)) off();
    this.stream = undefined;
  }

  private receive(event: TopicEvent): void {
    if (this._error && this._error.code !== 'internal_error') this._error = undefined; // data came after all
    this.onTopicEvent(event);
    this.refreshState();
    this.requestUpdate();
  }

  /** Runs a stream callback for the current binding only; an exception becomes the error state. */
  private guard(generation: number, run: () => void): void {
    if (generation !== this._generation) return;
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
    if (previous !== undefined) this.emit<StateChangeDetail>('lmw-state-change', { state: next, previous });
  }

  /** Enters the error state and fires `lmw-error` (once per distinct error). */
  protected setError(error: ElementError): void {
    const same = this._error && this._error.code === error.code && this._error.message === error.message;
    this._error = { code: error.code, message: error.message };
    this.refreshState();
    this.requestUpdate();
    if (!same) this.emit<ElementError>('lmw-error', { ...this._error });
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

  protected emit<T>(type: string, detail: T): void {
    this.dispatchEvent(lmwEvent(type, detail));
  }

  // ---- rendering -----------------------------------------------------------

  /** The element's own template (the base shows an error box instead after a crash). */
  protected abstract renderContent(): unknown;

  protected override render(): unknown {
    if (this._crashed) return this.renderError('Widget error');
    return this.renderContent();
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

/** Our events: CustomEvent, bubbling out of shadow roots. */
function lmwEvent<T>(type: string, detail: T): CustomEvent<T> {
  return new CustomEvent<T>(type, { detail, bubbles: true, composed: true });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
