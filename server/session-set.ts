/** The open sessions and how many each client address holds (for the per-IP limit and metrics). */
import type { Session } from './session.js';

export class SessionSet {
  readonly all = new Set<Session>();
  /** Open connections per client address; entries go when their count reaches 0. */
  private readonly perAddress = new Map<string, number>();

  get size(): number {
    return this.all.size;
  }

  /** Distinct client addresses with an open connection. */
  get addresses(): number {
    return this.perAddress.size;
  }

  countFor(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  add(session: Session): void {
    this.all.add(session);
    this.perAddress.set(session.address, this.countFor(session.address) + 1);
  }

  /** False when the session was not (or no longer) in the set. */
  delete(session: Session): boolean {
    if (!this.all.delete(session)) return false;
    const left = this.countFor(session.address) - 1;
    if (left > 0) this.perAddress.set(session.address, left);
    else this.perAddress.delete(session.address);
    return true;
  }

  subscriptions(): number {
    let n = 0;
    for (const session of this.all) n += session.topics.size;
    return n;
  }
}
