/**
 * Lit ReactiveController following the metrics of the stream for one URL: listens to the
 * stream's `metrics` events (at most 4 a second) while the host is connected, re-binds when
 * `setUrl` changes the URL, and asks the host to update on each. Like ConnectionController
 * it subscribes to nothing; an invalid URL simply gives no metrics.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { MarketStream, StreamMetrics } from '../stream/index.js';
import { streamForUrl } from './stream-for-url.js';

export interface MetricsControllerOptions {
  /** New metrics, before requestUpdate. */
  onMetrics?: (metrics: StreamMetrics) => void;
}

export class MetricsController implements ReactiveController {
  /** The stream for the current URL, while the host is connected. */
  stream: MarketStream | undefined;

  private url: string | undefined;
  private connected = false;
  private off: (() => void) | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: MetricsControllerOptions = {},
  ) {
    host.addController(this);
  }

  /** The stream's current metrics (the same object until one changes), or undefined without a stream. */
  get metrics(): StreamMetrics | undefined {
    return this.stream?.metrics;
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
    const found = this.url === undefined ? undefined : streamForUrl(this.url);
    const stream = found && 'stream' in found ? found.stream : undefined;
    this.stream = stream;
    if (stream) {
      const off = stream.on('metrics', (metrics) => {
        if (this.off !== off) return; // detached while the stream was dispatching
        this.options.onMetrics?.(metrics);
        this.host.requestUpdate();
      });
      this.off = off;
    }
    this.host.requestUpdate();
  }

  private detach(): void {
    this.off?.();
    this.off = undefined;
    this.stream = undefined;
  }
}
