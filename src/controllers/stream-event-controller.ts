/**
 * The binding ConnectionController and MetricsController share: follow one event of the stream
 * for a URL while the host is connected, re-bind when `setUrl` changes the URL, and ask the
 * host to update on each event. It subscribes to no topic, so it never keeps a connection open.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { MarketStream, StreamError, StreamEventMap } from '../stream/index.js';
import { streamForUrl } from './stream-for-url.js';

export abstract class StreamEventController<K extends keyof StreamEventMap> implements ReactiveController {
  /** The stream for the current URL, while the host is connected. */
  stream: MarketStream | undefined;
  /** Why the URL gives no stream (`bad_url`), while the host is connected. */
  error: StreamError | undefined;

  private url: string | undefined;
  private connected = false;
  private off: (() => void) | undefined;

  protected constructor(
    protected readonly host: ReactiveControllerHost,
    private readonly event: K,
  ) {
    host.addController(this);
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

  /** The followed event, before requestUpdate. */
  protected abstract handle(detail: StreamEventMap[K]): void;

  /** The URL cannot make a stream, before requestUpdate. */
  protected handleError(_error: StreamError): void {}

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
      const off = stream.on(this.event, (detail) => {
        if (this.off !== off) return; // detached while the stream was dispatching
        this.handle(detail);
        this.host.requestUpdate();
      });
      this.off = off;
    }
    try {
      if (this.error) this.handleError(this.error);
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
