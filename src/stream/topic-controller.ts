/**
 * Lit ReactiveController binding an element to (url, topic): subscribes while the host is
 * connected, releases when it disconnects, and asks the host to update on every change.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { getStream } from './get-stream.js';
import type { MarketStream } from './market-stream.js';
import type { StreamError, SubscriptionHandle, TopicEvent, TopicState } from './types.js';

export interface TopicControllerOptions<D = unknown, U = unknown> {
  /** Every event the listener gets (snapshot, update, reset), before requestUpdate. */
  onEvent?: (event: TopicEvent<D, U>) => void;
  /** Topic or URL errors (unknown_topic, forbidden, bad URL, ...). */
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
    try {
      this.stream = getStream(this.url);
    } catch (thrown) {
      this.fail({ code: 'bad_url', message: thrown instanceof Error ? thrown.message : 'invalid stream URL' });
      return;
    }
    const handle = this.stream.subscribe<D, U>(
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
