/**
 * Lit ReactiveController following the connection state of the stream for one URL: listens
 * to `statechange` while the host is connected, re-binds when `setUrl` changes the URL, and
 * asks the host to update on every change. It subscribes to nothing, so it never keeps a
 * connection open by itself. Metrics are MetricsController's.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ConnectionState, MarketStream, StreamError, StreamEventMap } from '../stream/index.js';
import { streamForUrl } from './stream-for-url.js';

export interface ConnectionControllerOptions {
  /** The connection state changed, before requestUpdate. */
  onStateChange?: (event: StreamEventMap['statechange']) => void;
  /** The URL cannot make a stream (`bad_url`), before requestUpdate. */
  onError?: (error: StreamError) => void;
}

export class ConnectionController implements ReactiveController {
  /** The stream for the current URL, while the host is connected. */
  stream: MarketStream | undefined;
  /** Why the URL gives no stream (`bad_url`), while the host is connected. */
  error: StreamError | undefined;

  private url: string | undefined;
  private connected = false;
  private off: (() => void) | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: ConnectionControllerOptions = {},
  ) {
    host.addController(this);
  }

  /** `idle` when there is no stream (no URL, or an invalid one). */
  get state(): ConnectionState {
    return this.stream?.state ?? 'idle';
  }

  /** Changes the URL at run time; while connected the old stream is left and the new one followed. */
  setUrl(url: string | undefined): void {
    if (url === this.url) return;
    this.url = url;
    if (!this.connected) return;
    this.detach();
    this.attach();
  }

  hostConnected(): void {
    this.connected = true;
    this.attach();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.detach();
  }

  private attach(): void {
    this.stream = undefined;
    this.error = undefined;
    if (this.url !== undefined) {
      const found = streamForUrl(this.url);
      if ('error' in found) this.error = found.error;
      else this.stream = found.stream;
    }
    const stream = this.stream;
    if (stream) {
      const off = stream.on('statechange', (event) => {
        if (this.off !== off) return; // detached while the stream was dispatching
        this.options.onStateChange?.(event);
        this.host.requestUpdate();
      });
      this.off = off;
    }
    try {
      if (this.error) this.options.onError?.(this.error);
    } finally {
      this.host.requestUpdate();
    }
  }

  private detach(): void {
    this.off?.();
    this.off = undefined;
    this.stream = undefined;
  }
}
