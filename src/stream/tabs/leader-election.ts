/**
 * Leader election among the tabs of an origin with Web Locks: every tab that wants the
 * URL's socket queues for one exclusive lock; the holder leads. The browser hands the lock
 * on when the holder's page closes or crashes. A frozen holder keeps it, so a follower may
 * take it with `steal` (see tab-share.ts); the old holder's request then fails with an
 * AbortError, and it must stop leading at once (`lost`).
 *
 * Each leadership gets a term, one more than any term seen (kept in localStorage so a tab
 * that never heard the last leader still goes above it): messages of a lower term are a
 * stale leader's and are ignored.
 */
import { termKey } from './tab-channel.js';

export interface ElectionEvents {
  /** This tab holds the lock now, under `term`. */
  elected(term: number): void;
  /** The lock was taken from this tab (stolen): stop leading at once. */
  lost(): void;
  /** Web Locks refused the request (e.g. SecurityError): no election is possible here. */
  failed(): void;
}

export class LeaderElection {
  private leading = false;
  private waiting: AbortController | undefined;
  private release: (() => void) | undefined;
  private stopped = true;
  /** The highest term this tab has seen (its own or another leader's). */
  highestTerm = 0;

  constructor(
    private readonly lockName: string,
    private readonly url: string,
    private readonly events: ElectionEvents,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Queues for the lock (again after stop()). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.queue(false);
  }

  /** Takes the lock from a holder that does not answer (a frozen tab). */
  steal(): void {
    if (this.stopped || this.leading) return;
    this.waiting?.abort();
    this.waiting = undefined;
    this.queue(true);
  }

  /** A higher term is in force elsewhere: let go and queue again. */
  stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  /** Leaves the election: releases the lock (or the place in the queue). */
  stop(): void {
    this.stopped = true;
    this.waiting?.abort();
    this.waiting = undefined;
    this.leading = false;
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  noteTerm(term: number): void {
    if (term > this.highestTerm) this.highestTerm = term;
  }

  private queue(steal: boolean): void {
    const controller = steal ? undefined : new AbortController();
    this.waiting = controller;
    let mine = false;
    const options: LockOptions = steal ? { steal: true } : { signal: controller!.signal };
    let request: Promise<unknown>;
    try {
      request = navigator.locks.request(this.lockName, options, () => {
        if (this.stopped || (controller && controller.signal.aborted)) return undefined;
        if (this.waiting === controller) this.waiting = undefined;
        mine = true;
        this.leading = true;
        return new Promise<void>((resolve) => {
          this.release = resolve;
          const term = this.nextTerm();
          this.events.elected(term);
        });
      });
    } catch {
      return this.events.failed();
    }
    request.then(
      () => {
        // Released by us (stepDown/stop): queue again unless leaving.
        if (mine && !this.stopped && !this.leading) this.queue(false);
      },
      (error: unknown) => {
        const aborted = (error as { name?: string })?.name === 'AbortError';
        if (!mine && !aborted && !this.stopped) return this.events.failed();
        if (!mine) return; // our own abort of a queued request (steal, stop)
        const wasLeading = this.leading;
        this.leading = false;
        this.release = undefined;
        if (wasLeading) this.events.lost();
        if (!this.stopped && (error as { name?: string })?.name === 'AbortError') this.queue(false);
      },
    );
  }

  private nextTerm(): number {
    let stored = 0;
    try {
      stored = Number(localStorage.getItem(termKey(this.url))) || 0;
    } catch {
      /* no storage: the terms seen on the channel still order leaders */
    }
    const term = Math.max(stored, this.highestTerm) + 1;
    this.highestTerm = term;
    try {
      localStorage.setItem(termKey(this.url), String(term));
    } catch {
      /* as above */
    }
    return term;
  }
}
