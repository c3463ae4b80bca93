/**
 * The connection state machine. One explicit phase, changed only in enter(); the public
 * ConnectionState is derived from it (see `state`). It owns the link (through a
 * Transport), the backoff between attempts, the connect timeout, liveness, the online and
 * visibility hooks, and the socket generation that makes a dropped link's late events
 * harmless. Polling is not a phase: it is the fallback that runs beside the socket's
 * retries after `fallbackAfter` failed connects, and the state reads `polling` meanwhile.
 */
import { CloseCode, PROTOCOL_VERSION, type ClientMessage, type WelcomeMessage } from '../protocol/index.js';
import { Backoff } from './backoff.js';
import type { Clock } from './clock.js';
import { describe } from './emitter.js';
import { Liveness } from './liveness.js';
import type { MetricsTracker } from './metrics.js';
import type { Transport, TransportEvents, TransportFactory } from './transport.js';
import type { ConnectionState, StreamError } from './types.js';

export type Phase =
  /** Nothing wanted: no link, no timers. */
  | { readonly name: 'idle' }
  /** Asking for a token, then waiting for `welcome` on the link (at most connectTimeoutMs). */
  | { readonly name: 'connecting'; link: Transport | undefined; timer: unknown }
  /** Welcomed: frames flow, liveness watches them. */
  | { readonly name: 'open'; link: Transport | undefined; readonly liveness: Liveness }
  /** Waiting out a jittered delay before the next attempt. */
  | { readonly name: 'backoff'; readonly timer: unknown }
  /** A retry came due while only lingering topics were held: the next subscribe connects, the idle close ends it. */
  | { readonly name: 'parked' }
  /** The browser says it is offline: the `online` event brings us back. */
  | { readonly name: 'offline' }
  /** Gave up after maxRetries; reconnect() (or `online`) tries again. */
  | { readonly name: 'closed' }
  /** close() was called: final. */
  | { readonly name: 'disposed' };

export type PhaseName = Phase['name'];

/** What the machine asks of the stream around it. */
export interface ConnectionHost {
  /** Some topic has listeners. */
  wanted(): boolean;
  /** Some topic is held, perhaps only lingering. */
  holdsTopics(): boolean;
  helloToken(): Promise<string | undefined>;
  /** A link was opened with `token` in its hello. */
  linkOpened(token: string | undefined): void;
  /** A frame arrived on the current link (or was injected). */
  frame(data: unknown): void;
  /** `welcome` arrived; the socket of `generation` is about to be open. */
  welcomed(welcome: WelcomeMessage, generation: number): void;
  /** The socket is open and the state says so: subscribe what is held. */
  resume(): void;
  /** The link of a connecting or open phase ended: wire subscriptions and the token in force go with it. */
  linkEnded(): void;
  /** The server closed with 4401. */
  refused(reason: string): void;
  /** Going idle: timers and refusal streaks end. */
  idle(): void;
  stateChanged(): void;
  error(error: StreamError): void;
  internalError(error: unknown): void;
  redact(text: string): string;
}

export interface ConnectionOptions {
  url: string;
  transport: TransportFactory;
  clock: Clock;
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxRetries: number;
  connectTimeoutMs: number;
  fallbackAfter: number;
  /** The polling fallback. */
  fallback: { start(): void; stop(): void; readonly active: boolean };
  metrics: MetricsTracker;
}

const perfNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class Connection {
  private phase: Phase = { name: 'idle' };
  /** Bumped whenever a link is started or abandoned; events of older links are ignored. */
  generation = 0;
  /** Client frames sent, by op. */
  readonly sent: Record<string, number> = {};
  linksOpened = 0;
  /** Failed connects in a row. */
  private failures = 0;
  private everOpened = false;
  private nextId = 1;
  private readonly backoff: Backoff;

  private readonly onOnline = () => {
    const name = this.phase.name;
    if (name === 'backoff' || (this.host.wanted() && name !== 'connecting' && name !== 'open' && name !== 'disposed')) this.connect();
  };
  private readonly onVisibilityChange = () => {
    if (typeof document === 'undefined' || document.visibilityState !== 'visible') return;
    const phase = this.phase;
    if (phase.name === 'open') phase.liveness.grace();
    if (phase.name === 'backoff') this.connect();
  };

  constructor(
    private readonly options: ConnectionOptions,
    private readonly host: ConnectionHost,
  ) {
    this.backoff = new Backoff({ baseMs: options.backoffBaseMs, capMs: options.backoffMaxMs, random: options.clock.random });
    if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') window.addEventListener('online', this.onOnline);
    if (typeof document !== 'undefined' && typeof document.addEventListener === 'function') {
      document.addEventListener('visibilitychange', this.onVisibilityChange);
    }
  }

  /** The public state (before pause), derived from the phase and the fallback. */
  get state(): ConnectionState {
    const name = this.phase.name;
    if (name === 'idle' || name === 'open') return name;
    if (name === 'closed' || name === 'disposed') return 'closed';
    if (this.options.fallback.active) return 'polling';
    return this.everOpened || this.failures > 0 ? 'reconnecting' : 'connecting';
  }

  get phaseName(): PhaseName {
    return this.phase.name;
  }

  /** Welcomed: subscriptions may go on the wire. */
  get isOpen(): boolean {
    return this.phase.name === 'open';
  }

  /** A link is held (connecting or open). */
  get hasLink(): boolean {
    const phase = this.phase;
    return (phase.name === 'connecting' || phase.name === 'open') && phase.link !== undefined;
  }

  /** Neither connected, nor connecting, nor waiting for a retry, nor given up. */
  get waiting(): boolean {
    const name = this.phase.name;
    return name === 'idle' || name === 'parked' || name === 'offline';
  }

  id(): number {
    return this.nextId++;
  }

  /** Connects now unless open or connecting (drops a backoff wait; also from `closed` or `idle`). */
  connect(): void {
    const name = this.phase.name;
    if (name === 'disposed' || name === 'connecting' || name === 'open') return;
    if (!this.host.wanted()) {
      // Only lingering topics: no attempt; a pending retry is dropped, the state stays.
      if (!this.host.holdsTopics()) this.goIdle();
      else if (name === 'backoff') this.enter({ name: 'parked' });
      return;
    }
    // No attempts while offline: the `online` event brings us back.
    if (typeof navigator !== 'undefined' && navigator.onLine === false) return this.enter({ name: 'offline' });
    const phase: Phase & { name: 'connecting' } = { name: 'connecting', link: undefined, timer: undefined };
    this.enter(phase);
    void this.openLink(phase);
  }

  /** Reconnect now: after giving up, the failure count starts over. No-op while open or connecting. */
  reconnect(): void {
    if (this.phase.name === 'disposed') return;
    if (this.phase.name === 'closed') {
      this.failures = 0;
      this.backoff.reset();
      this.enter({ name: 'parked' });
    }
    this.connect();
  }

  /** Ends the link and every timer; the state goes `idle`. */
  goIdle(code: number = CloseCode.Normal, reason = 'idle'): void {
    this.options.fallback.stop();
    this.failures = 0;
    this.backoff.reset();
    const metrics = this.options.metrics;
    metrics.connectedSince = null;
    metrics.attempt = 0;
    metrics.changed();
    this.host.idle();
    this.enter({ name: 'idle' }, code, reason);
  }

  /** `welcome` on the current link: open. Ignored unless connecting. */
  welcome(welcome: WelcomeMessage): void {
    const phase = this.phase;
    if (phase.name !== 'connecting' || !phase.link) return;
    this.failures = 0;
    this.backoff.reset();
    this.options.fallback.stop();
    this.host.welcomed(welcome, this.generation);
    const metrics = this.options.metrics;
    if (this.everOpened) metrics.reconnects++;
    this.everOpened = true;
    metrics.connectedSince = Date.now();
    metrics.attempt = 0;
    metrics.changed();
    const clock = this.options.clock;
    const liveness = new Liveness({
      intervalMs: welcome.heartbeatMs,
      sendPing: () => this.send({ op: 'ping', id: this.nextId++, t: Math.round(perfNow() * 1000) / 1000 }),
      onDead: () => this.guard(() => this.dead()),
      now: clock.now,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
    });
    liveness.start(); // the first ping goes out at once
    this.enter({ name: 'open', link: phase.link, liveness });
    this.host.resume();
  }

  /** Runs a frame through the stream as if the current link received it. */
  receive(data: unknown): void {
    const phase = this.phase;
    if (phase.name === 'open') phase.liveness.frameReceived();
    else if (phase.name === 'disposed') return;
    this.host.frame(data);
  }

  send(message: ClientMessage): void {
    const phase = this.phase;
    const link = phase.name === 'open' || phase.name === 'connecting' ? phase.link : undefined;
    if (!link) return;
    try {
      if (link.send(JSON.stringify(message))) this.sent[message.op] = (this.sent[message.op] ?? 0) + 1;
    } catch (error) {
      this.host.error({ code: 'send_failed', message: `could not send ${message.op}: ${describe(error)}` });
    }
  }

  dispose(): void {
    if (typeof window !== 'undefined' && typeof window.removeEventListener === 'function') window.removeEventListener('online', this.onOnline);
    if (typeof document !== 'undefined' && typeof document.removeEventListener === 'function') {
      document.removeEventListener('visibilitychange', this.onVisibilityChange);
    }
    this.options.fallback.stop();
    this.enter({ name: 'disposed' }, CloseCode.Normal, 'client closed');
  }

  // ---- the one place the phase changes ---------------------------------------------

  private enter(next: Phase, code: number = CloseCode.Normal, reason = ''): void {
    const previous = this.phase;
    const clock = this.options.clock;
    if (previous.name === 'backoff') clock.clearTimer(previous.timer);
    if (previous.name === 'connecting' && previous.timer !== undefined) clock.clearTimer(previous.timer);
    if (previous.name === 'open') previous.liveness.stop();
    // Leaving the link's phases (connecting -> open keeps it): abandon the link.
    if ((previous.name === 'connecting' || previous.name === 'open') && next.name !== 'open') {
      this.generation++;
      const link = previous.link;
      previous.link = undefined;
      if (link) {
        try {
          link.close(code, reason);
        } catch {
          /* already closing */
        }
      }
      this.host.linkEnded();
    }
    if (next.name === 'connecting') this.generation++;
    this.phase = next;
    this.host.stateChanged();
  }

  // ---- attempts ----------------------------------------------------------------------

  private async openLink(phase: Phase & { name: 'connecting' }): Promise<void> {
    let token: string | undefined;
    try {
      token = await this.host.helloToken();
    } catch (error) {
      if (this.phase !== phase) return;
      this.host.error({ code: 'token_error', message: `the token function failed: ${this.host.redact(describe(error))}` });
      return this.failed(false);
    }
    if (this.phase !== phase) return;
    try {
      phase.link = this.options.transport(this.options.url, this.linkEvents(this.generation, token));
    } catch (error) {
      this.host.error({ code: 'connect_failed', message: this.host.redact(describe(error)) });
      return this.failed(false);
    }
    this.linksOpened++;
    this.host.linkOpened(token);
    phase.timer = this.options.clock.setTimer(() => {
      phase.timer = undefined;
      if (this.phase === phase) this.guard(() => this.failed(false, CloseCode.ClientTimeout, 'connect timeout'));
    }, this.options.connectTimeoutMs);
  }

  /** The link's events, tied to its generation (one closure set per link, none per message). */
  private linkEvents(generation: number, token: string | undefined): TransportEvents {
    return {
      // The token goes in `hello`, never in the URL.
      open: () =>
        this.guard(() => {
          // `compact`: this client checks compacted replays (TopicRecord.applyUpdate).
          if (generation === this.generation)
            this.send(token === undefined ? { op: 'hello', v: PROTOCOL_VERSION, caps: ['compact'] } : { op: 'hello', v: PROTOCOL_VERSION, token, caps: ['compact'] });
        }),
      message: (data: unknown) => {
        if (generation !== this.generation) return;
        try {
          this.receive(data);
        } catch (error) {
          this.host.internalError(error);
        }
      },
      close: (code: number, reason: string) => this.guard(() => this.linkClosed(generation, code, reason)),
    };
  }

  private linkClosed(generation: number, code: number, reason: string): void {
    const phase = this.phase;
    if (generation !== this.generation || (phase.name !== 'connecting' && phase.name !== 'open')) return;
    phase.link = undefined; // gone: nothing to close
    const unauthorized = code === CloseCode.Unauthorized;
    if (unauthorized) this.host.refused(reason);
    if (phase.name === 'open') this.lost();
    else this.failed(unauthorized);
  }

  private dead(): void {
    if (this.phase.name !== 'open') return;
    this.host.error({ code: 'connection_dead', message: 'no frame from the server for two heartbeat intervals; reconnecting' });
    this.lost(CloseCode.ClientTimeout, 'heartbeat timeout');
  }

  /** An open connection went away: resume from where each topic stands, after a jittered wait. */
  private lost(code?: number, reason?: string): void {
    const metrics = this.options.metrics;
    metrics.connectedSince = null;
    metrics.changed();
    if (!this.host.wanted()) return this.goIdle(code, reason);
    this.enter(this.backoffPhase(), code, reason);
  }

  /**
   * A connect failed. A refused token is not a network problem: the server checks the same
   * token on /api/snapshot, so polling would only be refused too (401). Only network
   * failures start the polling fallback.
   */
  private failed(unauthorized: boolean, code?: number, reason?: string): void {
    this.failures++;
    const metrics = this.options.metrics;
    metrics.attempt = this.failures;
    metrics.changed();
    if (!this.host.wanted()) return this.goIdle(code, reason);
    if (this.failures >= this.options.maxRetries) {
      this.options.fallback.stop();
      this.enter({ name: 'closed' }, code, reason);
      this.host.error({ code: 'gave_up', message: `no connection after ${this.failures} attempts; call reconnect() to try again` });
      return;
    }
    if (!unauthorized && this.failures >= this.options.fallbackAfter) this.options.fallback.start();
    this.enter(this.backoffPhase(), code, reason);
  }

  private backoffPhase(): Phase {
    const timer = this.options.clock.setTimer(() => this.guard(() => this.connect()), this.backoff.next());
    return { name: 'backoff', timer };
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.host.internalError(error);
    }
  }
}
