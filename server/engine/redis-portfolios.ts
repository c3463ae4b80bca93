/**
 * Portfolio topics on Redis. Every write (a post, or the re-mark that follows trades) is
 * folded in the node from the document it read (server/portfolio-folds.ts) and stored by
 * compare-and-set (DOC_SCRIPT: seq, stream and publish in one script), together with the
 * ledger kept beside the document in the meta hash (`rows`): each row's change seqs (which
 * answer a compacted resume, server/engine/row-seqs.ts), each held row's mark time and the
 * time of the last update.
 *
 * Trades re-mark every account holding their symbols. A set per symbol in the symbol's
 * slot (`holdersKey`) lists those accounts, so any node finds them; after the trade script
 * each one takes one write of its own (its keys are in its own slot, so it cannot be the
 * trade script's). The set is kept a superset of the holders: a post adds the account
 * before it reads the marks it folds with, and checks after storing that it is still listed
 * and that no mark moved meanwhile (else it re-marks itself); a post that removed rows takes
 * the account out, then reads the document again and puts back any a concurrent post added.
 * An account listed but no longer holding the symbol costs one read per trade batch.
 */
import { portfolioTopic, type PortfolioSnapshotData, type PortfolioUpdateData, type Trade } from '../../src/protocol/index.js';
import { foldTradesIntoPortfolio, type MarkTimes, type PortfolioFolded, type SymbolMark } from '../portfolio-folds.js';
import type { Awaitable } from './engine.js';
import { holdersKey, topicKeys } from './redis-scripts.js';
import { RowSeqs, type RowSeqsJson } from './row-seqs.js';

/** A read of a topic as the Redis engine's read script answers it (portfolio state: doc, ledger JSON, the ledger's epoch). */
export interface PortfolioRead {
  epoch: string;
  seq: number;
  state: unknown[];
}

/** What this module needs of the engine. */
export interface PortfolioStore {
  call<T>(run: (client: any) => Promise<T>): Promise<T>;
  read(topic: string, since: undefined, wantState: true): Promise<PortfolioRead | undefined>;
  /** Updates a portfolio topic keeps for exact resume (its stream's length). */
  readonly exactHistory: number;
  log?(line: string): void;
}

/** A symbol's holders and price precision, as its trade script read them. */
export interface SymbolHolders {
  accounts: readonly string[];
  precision?: number;
}

/** What a portfolio topic keeps beside its document. */
export interface Ledger {
  /** Time of the last update (a compacted resume's update carries it, as in memory). */
  time: number;
  seqs: RowSeqs;
  markTimes: MarkTimes;
}

interface LedgerJson extends RowSeqsJson {
  time: number;
  marks: Array<[string, number]>;
}

/** The ledger of a read's topic. One missing, or written in another epoch (its seqs mean nothing now), allows no compacted resume from before the read's seq; mark times are trade times and carry over. */
export function ledgerOf(read: PortfolioRead): Ledger {
  const [, json, epoch] = read.state as [string, string | undefined, string | undefined];
  const parsed = json ? (JSON.parse(json) as LedgerJson) : undefined;
  const markTimes: MarkTimes = new Map(parsed?.marks ?? []);
  if (parsed && epoch === read.epoch) return { time: parsed.time, seqs: RowSeqs.fromJSON(parsed), markTimes };
  return { time: 0, seqs: new RowSeqs(read.seq), markTimes };
}

function ledgerJson(ledger: Ledger): string {
  const json: LedgerJson = { time: ledger.time, ...ledger.seqs.toJSON(), marks: [...ledger.markTimes] };
  return JSON.stringify(json);
}

type Fold = (doc: PortfolioSnapshotData, markTimes: ReadonlyMap<string, number>) => Awaitable<PortfolioFolded | null>;

export class RedisPortfolios {
  constructor(private readonly store: PortfolioStore) {}

  /**
   * One write of an account: read the document and ledger, fold, store only if the topic is
   * still at that seq (else read again). `initial` creates the topic (at seq 0 when the fold
   * changes nothing); without it a missing topic is left alone (undefined).
   */
  async write(account: string, initial: PortfolioSnapshotData | undefined, fold: Fold, time?: number): Promise<{ seq: number; update: PortfolioUpdateData | null } | undefined> {
    const topic = portfolioTopic(account);
    const k = topicKeys(topic);
    for (let attempt = 0; attempt < 20; attempt++) {
      const read = await this.store.read(topic, undefined, true);
      if (!read && !initial) return undefined;
      const doc = read ? (JSON.parse(read.state[0] as string) as PortfolioSnapshotData) : initial!;
      const ledger: Ledger = read ? ledgerOf(read) : { time: 0, seqs: new RowSeqs(), markTimes: new Map() };
      const folded = await fold(doc, ledger.markTimes);
      if (!folded && read) return { seq: read.seq, update: null };
      const now = time ?? Date.now();
      if (folded?.update) {
        ledger.seqs.apply(doc.positions, folded.update, (read?.seq ?? 0) + 1);
        ledger.time = now;
      }
      if (folded) ledger.markTimes = folded.markTimes;
      const update = folded?.update ? JSON.stringify(folded.update) : '';
      const next = JSON.stringify(folded ? folded.next : doc);
      const reply = (await this.store.call((c) =>
        c.lmwDoc(2, k.meta, k.stream, this.store.exactHistory, now, update, next, read?.epoch ?? '', read?.seq ?? 0, ledgerJson(ledger)),
      )) as [string, number, number];
      if (Number(reply[2]) === 1) return { seq: Number(reply[1]), update: folded?.update ?? null };
    }
    throw new Error(`${topic} changed too often to apply the change`);
  }

  /**
   * A posted change: the account goes into the index of every posted symbol before the marks
   * it folds with are read (per attempt, after the document), then the checks that keep the
   * index and the marks right against writes on other nodes. Resolves with the seq after it.
   */
  async post(
    account: string,
    symbols: readonly string[],
    initial: PortfolioSnapshotData,
    firstMarks: ReadonlyMap<string, SymbolMark>,
    fold: (doc: PortfolioSnapshotData, markTimes: ReadonlyMap<string, number>, marks: ReadonlyMap<string, SymbolMark>) => Awaitable<PortfolioFolded | null>,
  ): Promise<number> {
    let used: ReadonlyMap<string, SymbolMark> = firstMarks;
    const result = (await this.write(account, initial, async (doc, markTimes) => {
      // The marks the change was checked with stay for a symbol whose mark Redis lost meanwhile.
      used = new Map([...firstMarks, ...(await this.hold(account, symbols))]);
      return fold(doc, markTimes, used);
    }))!;
    await this.settle(account, symbols, result.update?.removed ?? [], used);
    return result.seq;
  }

  /**
   * After a post is stored: removed rows leave the index (and come back when a post on another
   * node added them again meanwhile); every posted row is listed again (a concurrent removal may
   * have taken it out) and re-marked when its symbol's mark moved since the fold read it (a
   * trade in between found the account without that row).
   */
  private async settle(account: string, posted: readonly string[], removed: readonly string[], used: ReadonlyMap<string, SymbolMark>): Promise<void> {
    const check = new Set(posted);
    const back = new Set<string>();
    if (removed.length > 0) {
      await this.store.call((c) => {
        const pipeline = c.pipeline();
        for (const symbol of removed) pipeline.srem(holdersKey(symbol), account);
        return pipeline.exec();
      });
      const read = await this.store.read(portfolioTopic(account), undefined, true);
      const gone = new Set(removed);
      if (read)
        for (const row of (JSON.parse(read.state[0] as string) as PortfolioSnapshotData).positions)
          if (gone.has(row.symbol)) {
            check.add(row.symbol);
            back.add(row.symbol);
          }
    }
    if (check.size === 0) return;
    const fresh = await this.hold(account, [...check]);
    const moved = [...check].flatMap((symbol) => {
      const mark = fresh.get(symbol);
      const before = used.get(symbol);
      const same = before !== undefined && !back.has(symbol) && before.time === mark?.time && before.price === mark.price;
      return mark && !same ? [{ symbol, price: mark.price, time: mark.time }] : [];
    });
    if (moved.length > 0) await this.write(account, undefined, (doc, markTimes) => foldTradesIntoPortfolio(doc, markTimes, moved, (symbol) => fresh.get(symbol)?.precision));
  }

  /** Lists the account in each symbol's index, then reads each symbol's mark (one pipeline, in that order). */
  private async hold(account: string, symbols: readonly string[]): Promise<Map<string, SymbolMark>> {
    const marks = new Map<string, SymbolMark>();
    if (symbols.length === 0) return marks;
    const replies = (await this.store.call((c) => {
      const pipeline = c.pipeline();
      for (const symbol of symbols) {
        pipeline.sadd(holdersKey(symbol), account);
        pipeline.hmget(topicKeys(`candles:${symbol}:1m`).precision, 'mark', 'markTime', 'precision');
      }
      return pipeline.exec();
    })) as Array<[Error | null, unknown]>;
    symbols.forEach((symbol, i) => {
      const [error, value] = replies[i * 2 + 1] ?? [null, []];
      const [price, time, precision] = (value ?? []) as (string | null)[];
      if (error || price == null) return;
      marks.set(symbol, { price: Number(price), time: Number(time), ...(precision != null ? { precision: Number(precision) } : {}) });
    });
    return marks;
  }

  /**
   * After the trade scripts of a batch: every account listed for the batch's symbols (`held`,
   * from the scripts' replies) takes one write with the batch's trades of the symbols it holds
   * (one update per batch, as in memory). A failed write is logged, not thrown: the trades are
   * stored, and a publisher retrying them would count them twice; the next trade of the symbol
   * re-marks the row.
   */
  async remark(trades: readonly Trade[], held: ReadonlyMap<string, SymbolHolders>): Promise<void> {
    const symbolsOf = new Map<string, Set<string>>();
    for (const [symbol, { accounts }] of held)
      for (const account of accounts) {
        let mine = symbolsOf.get(account);
        if (!mine) symbolsOf.set(account, (mine = new Set()));
        mine.add(symbol);
      }
    const accounts = [...symbolsOf];
    const writes = await Promise.allSettled(
      accounts.map(([account, mine]) =>
        this.write(account, undefined, (doc, markTimes) =>
          foldTradesIntoPortfolio(
            doc,
            markTimes,
            trades.filter((trade) => mine.has(trade.symbol)),
            (symbol) => held.get(symbol)?.precision,
          ),
        ),
      ),
    );
    for (const [i, w] of writes.entries())
      if (w.status === 'rejected') this.store.log?.(`portfolio ${accounts[i]![0]} not re-marked: ${w.reason instanceof Error ? w.reason.message : String(w.reason)}`);
  }
}
