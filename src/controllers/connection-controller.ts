/**
 * Lit ReactiveController following the connection state of the stream for one URL: listens
 * to `statechange` while the host is connected, re-binds when `setUrl` changes the URL, and
 * asks the host to update on every change. It subscribes to nothing, so it never keeps a
 * connection open by itself. Metrics are MetricsController's.
 */
import type { ReactiveControllerHost } from 'lit';
import type { ConnectionState, StreamError, StreamEventMap } from '../stream/index.js';
import { StreamEventController } from './stream-event-controller.js';

export interface ConnectionControllerOptions {
  /** The connection state changed, before requestUpdate. */
  onStateChange?: (event: StreamEventMap['statechange']) => void;
  /** The URL cannot make a stream (`bad_url`), before requestUpdate. */
  onError?: (error: StreamError) => void;
}

export class ConnectionController extends StreamEventController<'statechange'> {
  constructor(
    host: ReactiveControllerHost,
    private readonly options: ConnectionControllerOptions = {},
  ) {
    super(host, 'statechange');
  }

  /** `idle` when there is no stream (no URL, or an invalid one). */
  get state(): ConnectionState {
    return this.stream?.state ?? 'idle';
  }

  protected handle(event: StreamEventMap['statechange']): void {
    this.options.onStateChange?.(event);
  }

  protected override handleError(error: StreamError): void {
    this.options.onError?.(error);
  }
}
