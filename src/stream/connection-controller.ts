/**
 * Lit ReactiveController for elements that show the connection (badge, metrics panel):
 * follows a stream's `statechange` and `metrics` events and asks the host to update.
 * It does not subscribe to anything, so it never keeps a connection open by itself.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { getStream } from './get-stream.js';
import type { MarketStream } from './market-stream.js';
import type { ConnectionState, StreamEventMap, StreamMetrics } from './types.js';

export interface ConnectionControllerOptions {
  onStateChange?: (event: StreamEventMap['statechange']) => void;
  onMetrics?: (metrics: StreamMetrics) => void;
}

export class ConnectionController implements ReactiveController {
  /** The stream for the current URL, while the host is connected. */
  stream: MarketStream | undefined;

  private url: string | undefined;
  private connected = false;
  private offs: Array<() => void> = [];

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

  get metrics(): StreamMetrics | undefined {
    return this.stream?.metrics;
  }

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
    if (this.url !== undefined) {
      try {
        this.stream = getStream(this.url);
      } catch {
        this.stream = undefined; // an invalid URL: state stays `idle`; the data elements report the error
      }
    }
    const stream = this.stream;
    if (stream) {
      this.offs.push(
        stream.on('statechange', (event) => {
          this.options.onStateChange?.(event);
          this.host.requestUpdate();
        }),
        stream.on('metrics', (metrics) => {
          this.options.onMetrics?.(metrics);
          this.host.requestUpdate();
        }),
      );
    }
    this.host.requestUpdate();
  }

  private detach(): void {
    for (const off of this.offs) off();
    this.offs = [];
    this.stream = undefined;
  }
}
