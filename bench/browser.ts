/**
 * Part 1: browser ingest in headless Chromium. The pages kit (K), per-message (N) and
 * per-frame (B: coalesced per frame, no framework) take candle updates for 50 symbols from the bench
 * feed at rising total rates; each page's highest rate held at >= 55 fps with p99
 * latency <= 50 ms is found by a ladder search, in rounds that interleave the pages.
 */
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
// @ts-expect-error plain ESM helper shared with the test harness, no type declarations
import { chromiumArgs, chromiumPath } from '../scripts/chromium.mjs';
import { sleep, spawnChild, type Child } from './lib/proc.js';
import { startStaticServer, type StaticServer } from './lib/static-server.js';
import { median, round } from './lib/stats.js';

/**
 * A bench page, named as its file in bench/pages/. Reports and docs use the letters of the
 * ratios K/N and K/B: K = kit, N = per-message, B = per-frame.
 */
export type PageKind = 'kit' | 'per-message' | 'per-frame';

export interface StepResult {
  page: PageKind;
  round: number;
  rate: number;
  offeredPerSecond: number;
  appliedPerSecond: number;
  fps: number;
  longTasks: number;
  longTaskMs: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  cpuMicrosPerUpdate: number;
  held: boolean;
  feedDropped: number;
  /** CPU of the feed process (bench feed or reference server) in cores. */
  feedCpuShare: number;
}

export interface BrowserOptions {
  rounds: number;
  settleMs: number;
  windowMs: number;
  /** Folder holding the built kit (live-market-widgets.js); page K is skipped without it. */
  distDir?: string;
  /** Highest rate tried (updates/s). */
  maxRate: number;
  symbols: number;
  /** Time budget for the whole part (ms): no round starts past it. */
  budgetMs: number;
  /**
   * Extra time (ms) a round that started within the budget gets to finish its ladders, so the
   * pages that come last in the final round are not cut short (that biased the last round).
   */
  roundGraceMs?: number;
  log: (line: string) => void;
  /** Also run page K against the real reference server (server/app.ts) as the feed. */
  realServer?: { rounds: number; budgetMs: number; options?: Record<string, unknown> };
  /**
   * Diagnosis ladders of page K (not targets): with prefers-reduced-motion (no cell
   * flashing) and without the <pnl-summary> element, to show where K's time goes.
   */
  diagnosisRounds?: number;
}

export interface RealServerResult {
  rounds: number[];
  maxRateHeld: number;
  pnlRows: number;
  summary: string;
  error?: string;
}

export interface BrowserResult {
  pages: PageKind[];
  skipped: Record<string, string>;
  criteria: { minFps: number; maxP99Ms: number; minAppliedShare: number };
  /** Per round, the highest rate each page held (0 when it held none). */
  rounds: Record<PageKind, number>[];
  ratios: { kOverN: number[]; kOverB: number[]; medianKOverN: number; medianKOverB: number };
  /** Per page: median over rounds of the highest rate held and the measurements at it. */
  summary: Record<string, { maxRateHeld: number; atMax: Omit<StepResult, 'page' | 'round' | 'held'> | null }>;
  steps: StepResult[];
  realServer?: RealServerResult;
  /** Page K variants: highest rate held per round (diagnosis, not a target). */
  diagnosis?: Record<string, { rounds: number[]; maxRateHeld: number }>;
}

export const MIN_FPS = 55;
export const MAX_P99_MS = 50;
/** A page that applies less than this share of what was offered is falling behind. */
export const MIN_APPLIED_SHARE = 0.9;

/** Rates tried: 250 updates/s growing by 1.25x per step. */
export function rateGrid(maxRate: number): number[] {
  const grid: number[] = [];
  for (let r = 250; r <= maxRate * 1.001 && grid.length < 50; r *= 1.25) grid.push(Number(r.toPrecision(3)));
  return grid;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The bench pages, the built kit (page kit) and lightweight-charts (the other pages) over HTTP. */
export function startBenchWeb(distDir?: string): Promise<StaticServer> {
  return startStaticServer({
    '/bench/pages/': here('./pages'),
    ...(distDir ? { '/dist/': distDir } : {}),
    '/vendor/lightweight-charts.mjs': here('../node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.mjs'),
  });
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Keep the DevTools Network domain off: with it on, every WebSocket frame is relayed
    // to the driver and the measurement is of the relay.
    networkEnabled: false,
    args: [
      ...chromiumArgs,
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
      '--window-size=1280,1000',
    ],
    defaultViewport: { width: 1280, height: 1000 },
  });
}

interface Ctx {
  browser: Browser;
  feed: Child;
  feedUrl: string;
  symbols: string[];
  account: string;
  interval: string;
  web: StaticServer;
  opts: BrowserOptions;
  /** Rows the P&L table must show before page K counts as ready. */
  rows: number;
  /** Emulate prefers-reduced-motion: reduce (the kit then does not flash changed cells). */
  reducedMotion?: boolean;
  /** Page K only: elements left out (diagnosis), e.g. 'pnl'. */
  omit?: string;
}

function pageUrl(ctx: Ctx, kind: PageKind): string {
  const q = new URLSearchParams({ ws: ctx.feedUrl, symbols: ctx.symbols.join(','), interval: ctx.interval, account: ctx.account, rows: String(ctx.rows) });
  if (ctx.omit) q.set('omit', ctx.omit);
  return `${ctx.web.origin}/bench/pages/${kind}.html?${q}`;
}

async function openPage(ctx: Ctx, kind: PageKind): Promise<Page> {
  await ctx.feed.call('setRate', { rate: 0 });
  const page = await ctx.browser.newPage();
  if (ctx.reducedMotion) await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pageUrl(ctx, kind), { waitUntil: 'load', timeout: 20_000 });
  try {
    await page.waitForFunction(() => (globalThis as any).__bench?.ready() === true, { timeout: 20_000, polling: 100 });
  } catch (error) {
    const described = await page.evaluate(() => (globalThis as any).__bench?.describe?.() ?? null).catch(() => null);
    await page.close();
    throw new Error(`page ${kind} did not get ready: ${errors.join('; ') || String(error)} ${JSON.stringify(described)}`);
  }
  await sleep(300);
  return page;
}

async function measure(ctx: Ctx, page: Page, kind: PageKind, roundNo: number, rate: number): Promise<StepResult> {
  await ctx.feed.call('setRate', { rate });
  await sleep(ctx.opts.settleMs);
  const before = (await ctx.feed.call('stats')) as { emitted: number; dropped: number; cpuMicros: number };
  const cpuBefore = (await page.metrics()).TaskDuration ?? 0;
  await page.evaluate(() => (globalThis as any).__bench.meter.reset());
  const t0 = performance.now();
  await sleep(ctx.opts.windowMs);
  const read = await page.evaluate(() => (globalThis as any).__bench.meter.read());
  const seconds = (performance.now() - t0) / 1000;
  const cpuAfter = (await page.metrics()).TaskDuration ?? 0;
  const after = (await ctx.feed.call('stats')) as { emitted: number; dropped: number; cpuMicros: number };
  const offeredPerSecond = (after.emitted - before.emitted) / seconds;
  const step: StepResult = {
    page: kind,
    round: roundNo,
    rate,
    offeredPerSecond: round(offeredPerSecond),
    appliedPerSecond: round(read.appliedPerSecond),
    fps: round(read.fps),
    longTasks: read.longTasks,
    longTaskMs: round(read.longTaskMs),
    latencyP50Ms: read.latencyP50Ms,
    latencyP99Ms: read.latencyP99Ms,
    cpuMicrosPerUpdate: read.applied > 0 ? round(((cpuAfter - cpuBefore) * 1e6) / read.applied) : Number.NaN,
    held: false,
    feedDropped: after.dropped - before.dropped,
    feedCpuShare: round((after.cpuMicros - before.cpuMicros) / 1e6 / seconds),
  };
  step.held =
    step.fps >= MIN_FPS &&
    step.latencyP99Ms !== null &&
    step.latencyP99Ms <= MAX_P99_MS &&
    read.appliedPerSecond >= MIN_APPLIED_SHARE * offeredPerSecond &&
    step.feedDropped === 0;
  return step;
}

/** Rate and length of the unmeasured warm-up every page gets once before round 1. */
export const WARM_UP_RATE = 40_000;
export const WARM_UP_MS = 4_000;

/** Loads a page and feeds it WARM_UP_RATE for WARM_UP_MS, unmeasured (the same for every page). */
async function warmUp(ctx: Ctx, kind: PageKind): Promise<void> {
  try {
    const page = await openPage(ctx, kind);
    try {
      await ctx.feed.call('setRate', { rate: WARM_UP_RATE });
      await sleep(WARM_UP_MS);
    } finally {
      await ctx.feed.call('setRate', { rate: 0 });
      await page.close();
    }
    ctx.opts.log(`  ${kind} warmed up (${WARM_UP_RATE}/s for ${WARM_UP_MS / 1000} s, unmeasured)`);
  } catch (error) {
    ctx.opts.log(`  ${kind} warm-up: ${(error as Error).message}`); // the round reports the page's own failure
  }
}

/**
 * Ladder search for one page in one round: climb from `start` by `stride` grid steps
 * while the page holds; after a miss, reload (the backlog would spoil the next step)
 * and climb one step at a time from the last held rate until the next miss. A miss is
 * retried once on a fresh page before it counts (the machine may be shared: one
 * disturbed window should not decide), the same for every page. A miss at the start
 * walks down instead. Bounded in steps and by the part's deadline.
 */
async function ladder(ctx: Ctx, kind: PageKind, roundNo: number, grid: number[], start: number, stride: number, deadline: number, steps: StepResult[]) {
  let page = await openPage(ctx, kind);
  let best = -1;
  let index = Math.max(0, Math.min(grid.length - 1, start));
  let missAbove = grid.length;
  const retried = new Set<number>();
  try {
    for (let n = 0; n < 20 && index >= 0 && index < missAbove; n++) {
      const step = await measure(ctx, page, kind, roundNo, grid[index]!);
      steps.push(step);
      ctx.opts.log(
        `  ${kind} r${roundNo} ${String(grid[index]).padStart(7)}/s: applied ${Math.round(step.appliedPerSecond)}/s fps ${step.fps} p50 ${step.latencyP50Ms} p99 ${step.latencyP99Ms} ms long ${step.longTasks} cpu ${step.cpuMicrosPerUpdate} us/upd feed ${Math.round(step.feedCpuShare * 100)}% ${step.held ? 'HELD' : 'miss'}`,
      );
      if (step.held) {
        best = Math.max(best, index);
        index = Math.min(index + stride, missAbove - 1);
        if (index <= best) break;
      } else {
        await page.close();
        if (performance.now() > deadline && best >= 0) break;
        page = await openPage(ctx, kind);
        if (!retried.has(index)) {
          retried.add(index);
          continue;
        }
        missAbove = Math.min(missAbove, index);
        if (best >= 0) {
          stride = 1;
          index = best + 1;
          if (index >= missAbove) break;
        } else {
          index -= 6; // about a quarter of the rate
        }
      }
      if (performance.now() > deadline && best >= 0) break;
    }
  } finally {
    if (!page.isClosed()) await page.close();
    await ctx.feed.call('setRate', { rate: 0 });
  }
  return best;
}

export async function runBrowserPart(opts: BrowserOptions): Promise<BrowserResult> {
  const started = performance.now();
  const deadline = started + opts.budgetMs;
  const skipped: Record<string, string> = {};
  const pages: PageKind[] = [];
  const distDir = opts.distDir;
  if (distDir && existsSync(join(distDir, 'live-market-widgets.js'))) pages.push('kit');
  else skipped.kit = `no built kit at ${distDir ?? '(none)'}/live-market-widgets.js`;
  pages.push('per-message', 'per-frame');

  const feed = spawnChild('feed-server.ts');
  const web = await startBenchWeb(distDir);
  let browser: Browser | undefined;
  const steps: StepResult[] = [];
  const rounds: Record<PageKind, number>[] = [];
  let realServer: RealServerResult | undefined;
  let diagnosis: BrowserResult['diagnosis'];
  try {
    const info = (await feed.call('start', { symbols: opts.symbols, account: 'bench' })) as { url: string; symbols: string[]; account: string; interval: string };
    browser = await launchBrowser();
    const ctx: Ctx = { browser, feed, feedUrl: info.url, symbols: info.symbols, account: info.account, interval: info.interval, web, opts, rows: info.symbols.length };
    const grid = rateGrid(opts.maxRate);
    // Unmeasured warm-up: no page (and not the feed, which serves round 1 at its highest
    // rates) is measured cold: first compile, caches, the chart chunk, buffer sizes.
    for (const kind of pages) await warmUp(ctx, kind);
    const bestIndex: Partial<Record<PageKind, number[]>> = {};
    for (let r = 1; r <= opts.rounds && performance.now() < deadline; r++) {
      // Rotate the page order each round so no page always goes first.
      const order = pages.map((_, i) => pages[(i + r - 1) % pages.length]!);
      const held = {} as Record<PageKind, number>;
      for (const kind of order) {
        const previous = bestIndex[kind] ?? [];
        const first = previous.length === 0;
        const start = first ? grid.findIndex((g) => g >= 10_000) : Math.max(0, Math.round(median(previous)) - 1);
        let best: number;
        try {
          best = await ladder(ctx, kind, r, grid, start, first ? 3 : 1, deadline + (opts.roundGraceMs ?? 0), steps);
        } catch (error) {
          opts.log(`  ${kind} r${r}: ${(error as Error).message}`);
          skipped[kind] = (error as Error).message;
          best = -1;
        }
        (bestIndex[kind] ??= []).push(Math.max(0, best));
        held[kind] = best >= 0 ? grid[best]! : 0;
      }
      rounds.push(held);
      opts.log(`  round ${r}: highest rate held ${order.map((k) => `${k} ${held[k]}`).join(', ')}`);
    }
    if (opts.diagnosisRounds && pages.includes('kit')) {
      const variants: [string, Partial<Ctx>][] = [
        ['prefers-reduced-motion (no cell flashing)', { reducedMotion: true }],
        ['without <pnl-summary>', { omit: 'pnl' }],
      ];
      diagnosis = {};
      for (const [name, change] of variants) {
        const held: number[] = [];
        for (let r = 1; r <= opts.diagnosisRounds; r++) {
          const start = Math.max(0, Math.round(median(bestIndex.kit ?? [0])));
          const before = steps.length;
          const best = await ladder({ ...ctx, ...change }, 'kit', 200 + r, grid, start, 3, performance.now() + 35_000, steps);
          for (const step of steps.slice(before)) (step as StepResult & { variant?: string }).variant = name;
          held.push(best >= 0 ? grid[best]! : 0);
        }
        diagnosis[name] = { rounds: held, maxRateHeld: median(held) };
        opts.log(`  K ${name}: highest rate held ${held.join(', ')}`);
      }
    }
    if (opts.realServer && pages.includes('kit')) {
      realServer = await runRealServer(browser, web, info.symbols, opts, opts.realServer, steps);
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await feed.call('close').catch(() => undefined);
    await feed.stop();
    await web.close();
  }

  // A page that held no rate at all has ratio 0 against a baseline that held one.
  const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  const kOverN = rounds.map((r) => ratio(r.kit, r['per-message']));
  const kOverB = rounds.map((r) => ratio(r.kit, r['per-frame']));
  const summary: BrowserResult['summary'] = {};
  for (const kind of pages) {
    const maxima = rounds.map((r) => r[kind] ?? 0);
    const maxRateHeld = median(maxima);
    // Measurements at each round's highest held rate, median per field.
    const atMaxSteps = rounds
      .map((r, i) => steps.find((s) => s.page === kind && s.round === i + 1 && s.held && s.rate === r[kind]))
      .filter((s): s is StepResult => s !== undefined);
    const med = (f: (s: StepResult) => number | null) => round(median(atMaxSteps.map((s) => f(s) ?? Number.NaN)));
    summary[kind] = {
      maxRateHeld: Number.isFinite(maxRateHeld) ? maxRateHeld : 0,
      atMax: atMaxSteps.length
        ? {
            rate: med((s) => s.rate),
            offeredPerSecond: med((s) => s.offeredPerSecond),
            appliedPerSecond: med((s) => s.appliedPerSecond),
            fps: med((s) => s.fps),
            longTasks: med((s) => s.longTasks),
            longTaskMs: med((s) => s.longTaskMs),
            latencyP50Ms: med((s) => s.latencyP50Ms),
            latencyP99Ms: med((s) => s.latencyP99Ms),
            cpuMicrosPerUpdate: med((s) => s.cpuMicrosPerUpdate),
            feedDropped: 0,
            feedCpuShare: med((s) => s.feedCpuShare),
          }
        : null,
    };
  }
  return {
    pages,
    skipped,
    criteria: { minFps: MIN_FPS, maxP99Ms: MAX_P99_MS, minAppliedShare: MIN_APPLIED_SHARE },
    rounds,
    ratios: { kOverN, kOverB, medianKOverN: round(median(kOverN)), medianKOverB: round(median(kOverB)) },
    summary,
    steps,
    ...(realServer ? { realServer } : {}),
    ...(diagnosis ? { diagnosis } : {}),
  };
}

/**
 * Page K with the real reference server as the feed: the simulator's market (with its
 * history) at rate 0 and its `demo` account, driven through publishTrades in the server's
 * own process. What is measured is what ships, up to what one server process can produce.
 */
async function runRealServer(
  browser: Browser,
  web: StaticServer,
  symbols: string[],
  opts: BrowserOptions,
  real: NonNullable<BrowserOptions['realServer']>,
  steps: StepResult[],
): Promise<RealServerResult> {
  const server = spawnChild('server-child.ts', ['--impl', 'ours']);
  const deadline = performance.now() + real.budgetMs;
  const held: number[] = [];
  try {
    const info = (await server.call('start', { symbol: symbols[0], options: { feed: 'sim', rate: 0, seed: 3, symbols, ...real.options } }, 30_000)) as { url: string };
    await server.call('drive', { symbols });
    // The simulator's demo account holds a few of the symbols (the P&L table shows those rows).
    const ctx: Ctx = { browser, feed: server, feedUrl: info.url, symbols, account: 'demo', interval: '1m', web, opts, rows: 1 };
    const grid = rateGrid(opts.maxRate);
    let start = grid.findIndex((g) => g >= 10_000);
    for (let r = 1; r <= real.rounds && performance.now() < deadline; r++) {
      const before = steps.length;
      const best = await ladder(ctx, 'kit', 100 + r, grid, start, r === 1 ? 3 : 1, deadline, steps);
      for (const step of steps.slice(before)) (step as StepResult & { feed?: string }).feed = 'reference server';
      held.push(best >= 0 ? grid[best]! : 0);
      start = Math.max(0, best - 1);
    }
    const page = await openPage(ctx, 'kit');
    const described = (await page.evaluate(() => (globalThis as any).__bench.describe())) as { pnlRows: number };
    await page.close();
    const maxRateHeld = median(held);
    const atMax = steps.filter((s) => s.page === 'kit' && s.round > 100 && s.held && s.rate === maxRateHeld).at(-1);
    const summary =
      `highest rate held per round ${held.join(', ')} updates/s, P&L rows ${described.pnlRows}` +
      (atMax ? `; at it fps ${atMax.fps}, p50/p99 ${atMax.latencyP50Ms}/${atMax.latencyP99Ms} ms, server CPU ${Math.round(atMax.feedCpuShare * 100)} % of a core` : '');
    return { rounds: held, maxRateHeld, pnlRows: described.pnlRows, summary };
  } catch (error) {
    opts.log(`  K on the reference server: ${(error as Error).message}`);
    return { rounds: held, maxRateHeld: median(held), pnlRows: 0, summary: `failed: ${(error as Error).message}`, error: (error as Error).message };
  } finally {
    await server.call('close').catch(() => undefined);
    await server.stop();
  }
}
