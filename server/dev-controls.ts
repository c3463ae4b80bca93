/** Operator controls for testing clients: drop, refuse, silence, gap, stall, restart (POST /admin/* and tests). */
import { CloseCode } from '../src/protocol/index.js';
import type { Engine } from './engine/engine.js';
import type { Session } from './session.js';
import type { SessionSet } from './session-set.js';

export interface DevControls {
  dropAll(): number;
  refuseUpgrades(ms: number): void;
  silence(ms: number): void;
  injectGap(topic: string): void;
  /**
   * For `ms`, new connections complete the upgrade but their `hello` is never answered
   * (nothing is sent, nothing read); when the window ends they are terminated. 0 ends it now.
   */
  stallHandshakes(ms: number): void;
  /**
   * What a restart looks like to clients, without losing the port: a new epoch (no resume
   * of the old one succeeds, so clients reload from snapshots) and every socket dropped.
   */
  restart(): { epoch: string; dropped: number };
}

/** The controls plus what the rest of the server asks of them. */
export class DevControlState {
  private refuseUntil = 0;
  private readonly silenceTimers = new Set<NodeJS.Timeout>();
  /** Handshake stall: sessions opened before `stallUntil` hang until `stallTimer` terminates them. */
  private stallUntil = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly stalled = new Set<Session>();

  constructor(
    private readonly sessions: SessionSet,
    private readonly engine: Engine,
  ) {}

  /** True while `refuseUpgrades` is in force. */
  refusing(now: number): boolean {
    return now < this.refuseUntil;
  }

  /** A new session: stalled when a handshake stall is on. */
  opened(session: Session, now: number): void {
    if (now < this.stallUntil) {
      session.stall();
      this.stalled.add(session);
    }
  }

  closed(session: Session): void {
    this.stalled.delete(session);
  }

  /** Shutdown: cancels every timer (stalled sessions are silenced, so shutdown terminates them). */
  dispose(): void {
    for (const timer of this.silenceTimers) clearTimeout(timer);
    this.silenceTimers.clear();
    clearTimeout(this.stallTimer);
    this.stalled.clear();
  }

  private endStall = () => {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.stallUntil = 0;
    for (const session of this.stalled) session.terminate('stalled');
    this.stalled.clear();
  };

  private dropAll = (): number => {
    const all = [...this.sessions.all];
    for (const session of all) {
      if (session.silenced) session.terminate('dropped');
      else session.close(CloseCode.Dropped, 'dropped by operator');
    }
    return all.length;
  };

  readonly controls: DevControls = {
    dropAll: this.dropAll,
    restart: () => {
      // Epoch first: the clients' reconnects must meet the new one.
      const epoch = this.engine.newEpoch();
      return { epoch, dropped: this.dropAll() };
    },
    refuseUpgrades: (ms) => {
      this.refuseUntil = ms > 0 ? Date.now() + ms : 0;
    },
    silence: (ms) => {
      if (!(ms > 0)) return;
      const victims = [...this.sessions.all].filter((s) => !s.silenced);
      for (const session of victims) session.silence();
      // Afterwards the links stay dead: the client must have noticed and reconnected.
      const timer = setTimeout(() => {
        this.silenceTimers.delete(timer);
        for (const session of victims) session.terminate('silenced');
      }, ms);
      this.silenceTimers.add(timer);
    },
    injectGap: (name) => {
      if (!this.engine.withholdNext(name)) throw new Error(`injectGap: unknown topic ${name}`);
    },
    stallHandshakes: (ms) => {
      if (!(ms > 0)) {
        this.endStall();
        return;
      }
      clearTimeout(this.stallTimer);
      this.stallUntil = Date.now() + ms;
      // Afterwards the hung connections are cut, as a server that gave up on them would.
      this.stallTimer = setTimeout(this.endStall, ms);
    },
  };
}
