/**
 * When each row of a portfolio topic last changed and was last added or removed (seqs):
 * what answers a compacted resume, one update at the current seq. Shared by the memory
 * engine's portfolio topic and the Redis engine (which stores it beside the document,
 * server/engine/redis-portfolios.ts), so both answer a resume with the same update.
 */
import type { PortfolioSnapshotData, PortfolioUpdateData, Position } from '../../src/protocol/index.js';

/** When a portfolio row last changed, and when it was last added or removed (0: not since seq 0). */
interface RowMarks {
  changed: number;
  moved: number;
}

/** The stored form: the floor and each row's [symbol, changed, moved], in the order first seen (that order is the `removed` order). */
export interface RowSeqsJson {
  floor: number;
  rows: Array<[string, number, number]>;
}

/** Marks of rows no longer held are kept for this many rows beyond the held ones. */
const GONE_KEPT = 1_000;

export class RowSeqs {
  private readonly marks = new Map<string, RowMarks>();

  /** `floor`: marks of removed rows were forgotten up to this seq; a compacted resume must start at or after it. */
  constructor(private floor = 0) {}

  static fromJSON(json: RowSeqsJson): RowSeqs {
    const seqs = new RowSeqs(json.floor);
    for (const [symbol, changed, moved] of json.rows) seqs.marks.set(symbol, { changed, moved });
    return seqs;
  }

  toJSON(): RowSeqsJson {
    return { floor: this.floor, rows: [...this.marks].map(([symbol, m]) => [symbol, m.changed, m.moved]) };
  }

  /** Records `update` at `seq`, applied to rows `before` (the state's rows before it). */
  apply(before: readonly Position[], update: PortfolioUpdateData, seq: number): void {
    const present = new Set(before.map((row) => row.symbol));
    for (const symbol of update.removed) if (present.delete(symbol)) this.mark(symbol).moved = seq;
    for (const row of update.positions) {
      const marks = this.mark(row.symbol);
      marks.changed = seq;
      if (!present.has(row.symbol)) marks.moved = seq;
      present.add(row.symbol);
    }
    this.forgetRemoved(present);
  }

  /**
   * The one update that takes a client from `afterSeq` to `state`: the rows changed since, in
   * state order, and as removed every row removed or (re-)added since, so the client's row
   * order ends as the server's (kept rows stay in place, added ones are appended in state
   * order). Undefined when marks it would need were forgotten.
   */
  compacted(state: PortfolioSnapshotData, afterSeq: number): PortfolioUpdateData | undefined {
    if (afterSeq < this.floor) return undefined;
    const removed: string[] = [];
    for (const [symbol, marks] of this.marks) if (marks.moved > afterSeq) removed.push(symbol);
    const positions = state.positions.filter((row) => (this.marks.get(row.symbol)?.changed ?? 0) > afterSeq);
    return { positions, removed, totals: state.totals };
  }

  private mark(symbol: string): RowMarks {
    let marks = this.marks.get(symbol);
    if (!marks) this.marks.set(symbol, (marks = { changed: 0, moved: 0 }));
    return marks;
  }

  /** Keeps the marks of gone rows bounded: the oldest go, and the floor rises past them. */
  private forgetRemoved(present: ReadonlySet<string>): void {
    const limit = present.size + GONE_KEPT;
    if (this.marks.size <= limit) return;
    const gone = [...this.marks].filter(([symbol]) => !present.has(symbol)).sort((a, b) => a[1].moved - b[1].moved);
    for (const [symbol, marks] of gone.slice(0, this.marks.size - limit)) {
      this.marks.delete(symbol);
      this.floor = Math.max(this.floor, marks.moved);
    }
  }
}
