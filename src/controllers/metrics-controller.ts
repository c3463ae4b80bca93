/**
 * Lit ReactiveController following the metrics of the stream for one URL: listens to the
 * stream's `metrics` events (at most 4 a second) while the host is connected, re-binds when
 * `setUrl` changes the URL, and asks the host to update on each. Like ConnectionController
 * it subscribes to nothing; an invalid URL simply gives no metrics.
 */
import type { ReactiveControllerHost } from 'lit';
import type { StreamMetrics } from '../stream/index.js';
import { StreamEventController } from './stream-event-controller.js';

export interface MetricsControllerOptions {
  /** New metrics, before requestUpdate. */
  onMetrics?: (metrics: StreamMetrics) => void;
}

export class MetricsController extends StreamEventController<'metrics'> {
  constructor(
    host: ReactiveControllerHost,
    private readonly options: MetricsControllerOptions = {},
  ) {
    super(host, 'metrics');
  }

  /** The stream's current metrics (the same object until one changes), or undefined without a stream. */
  get metrics(): StreamMetrics | undefined {
    return this.stream?.metrics;
  }

  protected handle(metrics: StreamMetrics): void {
    this.options.onMetrics?.(metrics);
  }
}
