/**
 * Lit ReactiveController binding a host to one (url, topic): subscribes while the host is
 * connected, releases when it disconnects, re-binds when `setTarget` changes the target,
 * and asks the host to update on every event or error.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { MarketStream, StreamError, SubscriptionHandle, TopicEvent, TopicState } from '../stream/index.js';
import { streamForUrl } from './stream-for-url.js';

export interface TopicControllerOptions<D = unknown, U = unknown> {
  /** Every event the listener gets (snapshot, update, reset), before requestUpdate. */
  onEvent?: (event: TopicEvent<D, U>) => void;
  /** Topic or URL errors (`unknown_topic`, `forbidden`, `bad_url`, ...), before requestUpdate. */
  onError?: (error: StreamError) => void;
  /** Default `frame`. */
  coalesce?: 'frame' | 'none';
}

export class TopicController<D = unknown, U = unknown> implements ReactiveController {
  /** The latest state given to this controller (frozen while the stream is paused). */
  state: TopicState<D> | undefined;
  /** The topic's error, cleared by the next state. */
  error: StreamError | undefined;
  /** The stream for the current URL, while the host is connected. */
  stream: MarketStream | undefined;

  private url: string | undefined;
  private topic: string | undefined;
  /** The live subscription; callbacks of any other (released) one are ignored. */
  private handle: SubscriptionHandle | undefined;
  private connected = false;
  /** The target `state` belongs to: kept across a disconnect/connect of the same target. */
  private stateKey: string | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: TopicControllerOptions<D, U> = {},
  ) {
    host.addController(this);
  }

  /** Changes the target at run time; while connected the old subscription goes and the new one comes. */
  setTarget(url: string | undefined, topic: string | undefined): void {
    if (url === this.url && topic === this.topic) return;
    this.url = url;
    this.topic = topic;
    if (!this.connected) return;
    this.release();
    this.take();
  }

  /** Subscribes again to the same target (after an `unknown_topic`, to see whether it exists now). */
  retry(): void {
    if (!this.connected) return;
    this.release();
    this.take();
  }

  hostConnected(): void {
    this.connected = true;
    this.take();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.release();
  }

  private take(): void {
    const key = this.url !== undefined && this.topic !== undefined ? `${this.url}\n${this.topic}` : undefined;
    if (key !== this.stateKey) {
      this.state = undefined;
      this.stateKey = key;
    }
    this.error = undefined;
    this.stream = undefined;
    if (this.url === undefined || this.topic === undefined) {
      this.host.requestUpdate();
      return;
    }
    const found = streamForUrl(this.url);
    if ('error' in found) {
      this.fail(found.error);
      return;
    }
    this.stream = found.stream;
    const handle = found.stream.subscribe<D, U>(
      this.topic,
      (event) => {
        if (this.handle !== handle) return;
        this.state = event.state;
        this.error = undefined;
        this.options.onEvent?.(event);
        this.host.requestUpdate();
      },
      {
        coalesce: this.options.coalesce ?? 'frame',
        onError: (error) => {
          if (this.handle === handle) this.fail(error);
        },
      },
    );
    this.handle = handle;
    this.host.requestUpdate();
  }

  private release(): void {
    this.handle?.unsubscribe();
    this.handle = undefined;
  }

  private fail(error: StreamError): void {
    this.error = error;
    try {
      this.options.onError?.(error);
    } finally {
      this.host.requestUpdate();
    }
  }
}
