/**
 * The server's lifecycle as one phase, and the close of every session on shutdown.
 * A second `close()` gets the promise of the first, so it resolves only once the
 * server is really down.
 */
import { CloseCode } from '../src/protocol/index.js';
import type { SessionSet } from './session-set.js';

export type ServerPhase = 'running' | 'closing' | 'closed';

/** Time clients get to answer the close frame before they are cut. */
export const CLOSE_GRACE_MS = 500;

export class Lifecycle {
  phase: ServerPhase = 'running';
  private closed: Promise<void> | undefined;

  constructor(private readonly shutdown: () => Promise<void>) {}

  get closing(): boolean {
    return this.phase !== 'running';
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.phase = 'closing';
      this.closed = this.shutdown().finally(() => {
        this.phase = 'closed';
      });
    }
    return this.closed;
  }
}

/** Closes every session with 1001 (silenced ones are terminated), then cuts whoever did not answer in time. */
export async function closeSessions(sessions: SessionSet, graceMs = CLOSE_GRACE_MS): Promise<void> {
  const open = [...sessions.all];
  const allClosed = Promise.all(
    open.map((s) => new Promise<void>((resolve) => (s.ws.readyState === s.ws.CLOSED ? resolve() : s.ws.once('close', () => resolve())))),
  );
  for (const session of open) {
    if (session.silenced) session.terminate('shutdown');
    else session.close(CloseCode.GoingAway, 'server shutting down');
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allClosed, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  for (const session of sessions.all) session.ws.terminate();
  await allClosed;
}
