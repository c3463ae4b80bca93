/**
 * `npm run bench:profile`: where the time goes when one bench page takes a given rate.
 * Not a measurement of record (that is `npm run bench`): a diagnosis of one page at
 * a time, with the whole machine in view, to tell a page's own cost from the rest.
 * Options: see USAGE (`npm run bench:profile -- --help`).
 *
 * Per rate it prints updates applied/s, fps, p99 latency, how busy the renderer's main
 * thread was (DevTools TaskDuration) and the CPU of every process on the machine that
 * takes part (the feed, and Chromium's renderer, GPU, network and browser processes),
 * read from /proc, in percent of one core. With two cores, 200 % is the machine.
 */
import type { Page } from 'puppeteer-core';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startBenchWeb, type PageKind } from './browser.js';
import { sleep, spawnChild } from './lib/proc.js';

const USAGE = `npm run bench:profile -- [options]
  --page=PAGE         kit | per-message | per-frame: a page of bench/pages/ (default kit;
                      kit needs a built kit, see --dist)
  --rates=60000,...   total updates/s to hold, each for --window seconds (default 60000,103000)
  --window=SECONDS    how long each rate is measured (default 5)
  --dist=DIR          the built kit (default dist/, from \`npm run build\`)
  --trace=RATE        also trace RATE: self time per event on the renderer's main thread
  --js=RATE           also sample the page's JavaScript at RATE: self time per function
  --omit=pnl,chart    page kit without these elements (also badge, metrics)
  --away=chart        page kit with these elements three viewports down, out of view`;
const PAGES: readonly PageKind[] = ['kit', 'per-message', 'per-frame'];

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const pageKind = (value('page') ?? 'kit') as PageKind;
if (!PAGES.includes(pageKind)) {
  console.error(`--page must be one of ${PAGES.join(', ')}\n\n${USAGE}`);
  process.exit(2);
}
const rates = (value('rates') ?? '60000,103000').split(',').map(Number);
const windowMs = Number(value('window') ?? 5) * 1000;
const distDir = value('dist') ?? here('../dist');
const traceRate = value('trace') ? Number(value('trace')) : undefined;
const jsRate = value('js') ? Number(value('js')) : undefined;
const omit = value('omit');
const away = value('away');
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU ticks per process group: the feed, and Chromium's processes by --type. */
function cpuTicks(): Record<string, number> {
  const ticks: Record<string, number> = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // Chromium rewrites its process titles with spaces, so split on both.
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
      let group: string;
      if (argv[0]!.includes('chrom')) {
        const type = argv.find((a) => a.startsWith('--type='))?.slice(7) ?? 'browser';
        group = argv.some((a) => a.includes('NetworkService')) ? 'network' : type === 'gpu-process' ? 'gpu' : type;
      } else if (argv.some((a) => a.endsWith('feed-server.ts'))) group = 'feed';
      else continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks[group] = (ticks[group] ?? 0) + Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between readdir and read.
    }
  }
  return ticks;
}

const bench = (page: Page) => page.evaluate(() => (globalThis as any).__bench.meter.read());

async function measureRate(page: Page, feed: ReturnType<typeof spawnChild>, rate: number) {
  await feed.call('setRate', { rate });
  await sleep(2000);
  await page.evaluate(() => (globalThis as any).__bench.meter.reset());
  const cpu0 = cpuTicks();
  const main0 = (await page.metrics()).TaskDuration ?? 0;
  const t0 = performance.now();
  await sleep(windowMs);
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuTicks();
  const main1 = (await page.metrics()).TaskDuration ?? 0;
  const read = await bench(page);
  const percent = (ticks: number) => Math.round((ticks / CLOCK_TICKS / seconds) * 100);
  const groups = Object.keys(cpu1).filter((g) => percent(cpu1[g]! - (cpu0[g] ?? 0)) > 0);
  const cpu = groups.map((g) => `${g} ${percent(cpu1[g]! - (cpu0[g] ?? 0))}%`).join(', ');
  const total = groups.reduce((sum, g) => sum + percent(cpu1[g]! - (cpu0[g] ?? 0)), 0);
  console.log(
    `${pageKind} ${String(rate).padStart(7)}/s: applied ${Math.round(read.appliedPerSecond)}/s, fps ${read.fps.toFixed(1)}, ` +
      `p99 ${read.latencyP99Ms} ms, main thread ${Math.round(((main1 - main0) / seconds) * 100)}% | CPU ${cpu} | machine ${total}%`,
  );
}

/** Self time per trace event name on the renderer main thread (children subtracted). */
async function traceMainThread(page: Page, feed: ReturnType<typeof spawnChild>, rate: number) {
  await feed.call('setRate', { rate });
  await sleep(2000);
  await page.tracing.start({ categories: ['devtools.timeline', 'blink', 'v8', 'toplevel', 'cc'] });
  await sleep(3000);
  const events = JSON.parse(Buffer.from((await page.tracing.stop())!).toString()).traceEvents as any[];
  const threadName = new Map<string, string>();
  for (const e of events) if (e.name === 'thread_name') threadName.set(`${e.pid}:${e.tid}`, e.args.name);
  const byThread = new Map<string, any[]>();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const key = `${e.pid}:${e.tid}`;
    if (threadName.get(key) === 'CrRendererMain') (byThread.get(key) ?? byThread.set(key, []).get(key)!).push(e);
  }
  // The page's main thread is the busiest CrRendererMain.
  const list = [...byThread.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map<string, number>();
  const stack: any[] = [];
  let busy = 0;
  for (const e of list) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur);
    else busy += e.dur;
    self.set(e.name, (self.get(e.name) ?? 0) + e.dur);
    stack.push(e);
  }
  console.log(`\nmain thread at ${rate}/s, traced 3 s (tracing adds overhead): busy ${((busy / 3e6) * 100).toFixed(0)}%`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 16)) console.log(`  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
}

/** Self time per JavaScript function on the page (V8 sampling profiler). */
async function profileJs(page: Page, feed: ReturnType<typeof spawnChild>, rate: number) {
  await feed.call('setRate', { rate });
  await sleep(2000);
  const cdp = await page.createCDPSession();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  await sleep(3000);
  const { profile } = await cdp.send('Profiler.stop');
  const node = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples?.forEach((id, i) => {
    const frame = node.get(id)!.callFrame;
    const where = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()!.split('?')[0]}:${frame.lineNumber + 1}`;
    const dt = profile.timeDeltas?.[i] ?? 0;
    self.set(where, (self.get(where) ?? 0) + dt);
    total += dt;
  });
  console.log(`\nJavaScript at ${rate}/s, sampled 3 s ("(program)" is the browser's own work: receiving frames, style, layout, paint):`);
  for (const [where, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`  ${(us / 1000).toFixed(0).padStart(6)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${where}`);
  }
}

async function main() {
  if (pageKind === 'kit' && !existsSync(join(distDir, 'live-market-widgets.js'))) throw new Error(`no built kit in ${distDir}: run npm run build, or pass --dist=DIR`);
  const feed = spawnChild('feed-server.ts');
  const web = await startBenchWeb(distDir);
  const browser = await launchBrowser();
  try {
    const info = (await feed.call('start', { symbols: 50, account: 'bench' })) as { url: string; symbols: string[]; account: string; interval: string };
    const query = new URLSearchParams({ ws: info.url, symbols: info.symbols.join(','), interval: info.interval, account: info.account, rows: String(info.symbols.length) });
    if (omit) query.set('omit', omit);
    if (away) query.set('away', away);
    const page = await browser.newPage();
    await page.goto(`${web.origin}/bench/pages/${pageKind}.html?${query}`, { waitUntil: 'load' });
    await page.waitForFunction(() => (globalThis as any).__bench?.ready() === true, { timeout: 20_000, polling: 100 });
    // The same unmeasured warm-up as the bench gives every page.
    await feed.call('setRate', { rate: 40_000 });
    await sleep(4000);
    for (const rate of rates) await measureRate(page, feed, rate);
    if (traceRate) await traceMainThread(page, feed, traceRate);
    if (jsRate) await profileJs(page, feed, jsRate);
  } finally {
    await feed.call('setRate', { rate: 0 }).catch(() => undefined);
    await browser.close();
    await feed.call('close').catch(() => undefined);
    await feed.stop();
    await web.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
