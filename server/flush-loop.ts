/**
 * Batching of writes: sessions with something to send join the dirty list (their send
 * queue asks once until it is flushed, and again on the socket's drain), and one
 * setImmediate turn flushes them all, so runs of messages shared by many sessions build
 * their frames once (FlushTurn).
 */
import type { Session } from './session.js';
import type { ServerMetrics } from './metrics.js';
import { FlushTurn } from './frame-writer.js';

export class FlushLoop {
  private dirty: Session[] = [];
  private scheduled = false;

  constructor(private readonly metrics: ServerMetrics) {}

  schedule(session: Session): void {
    this.dirty.push(session);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }

  /** Flushes every dirty session now (also called on shutdown). */
  readonly flushAll = (): void => {
    this.scheduled = false;
    const batch = this.dirty;
    this.dirty = [];
    const turn = new FlushTurn();
    for (const session of batch) session.flush(turn);
    turn.report(this.metrics);
  };
}
