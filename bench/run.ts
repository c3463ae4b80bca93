/**
 * `npm run bench` (node --import tsx bench/run.ts): the performance bench of issue 6.
 * Runs each part with ours and its baseline interleaved in rounds, prints a table and
 * writes bench/results.json. Not part of `npm test`.
 *
 *   --quick          short smoke run (fewer rounds, smaller sizes), writes bench/results.tmp-quick.json
 *   --only=a,b       parts to run: size, browser, fanout, idle, publish, memory, resume, tabs (default all), and
 *                    cluster (opt-in: two nodes on a real redis-server against one in memory and two Socket.IO nodes; needs redis-server)
 *   --cluster-clients=N  clients of the cluster part (default 200, quick 50)
 *   --cluster-latency-clients=N  clients of its latency run, two nodes on Redis (default 1000, quick 0: skipped)
 *   --cluster-rates=A,B  updates/s per client tried in turn until one is not held (default 1000,2000,3000,4000,6000)
 *   --rounds=N       rounds per part (default 5, quick 2)
 *   --no-build       use the existing dist/ instead of building the kit into a temp folder
 *   --out=FILE       where to write the results (default bench/results.json; with --only,
 *                    bench/results-<parts>.json, e.g. results-publish.json, so the full run's file stays)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBrowserPart, type BrowserResult } from './browser.js';
import { runFanoutPart, type FanoutResult, type Impl } from './fanout.js';
import { runIdlePart, type IdleResult } from './idle.js';
import { runMemoryPart, type MemoryResult } from './memory.js';
import { runResumePart, type ResumeResult } from './resume.js';
import { held, runClusterPart, type ClusterResult } from './cluster.js';
import { runPublishPart, type PublishResult } from './publish.js';
import { runSizePart, type SizeResult } from './size.js';
import { runTabsPart, type TabsResult } from './tabs.js';
import { fmtBytes, fmtRate, fmtRatio, table } from './lib/stats.js';
import { TARGETS, evaluateTargets, type TargetResult } from './targets.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = flag('quick');
const only = value('only');
const parts = new Set((only ?? 'size,browser,fanout,idle,publish,memory,resume,tabs').split(','));
const rounds = Number(value('rounds') ?? (quick ? 2 : 5));
// A run of some parts writes its own file, so it never overwrites the full run's bench/results.json.
const out = value('out') ?? join(root, quick ? 'bench/results.tmp-quick.json' : only ? `bench/results-${only.split(',').join('-')}.json` : 'bench/results.json');
const started = performance.now();
/** No new round of fan-out or idle starts after this, so a full run stays under 10 minutes. */
const deadline = started + (quick ? 110_000 : 540_000);
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s] ${line}`);

/** Our server runs with its defaults (its 10,000-connection limit admits the idle part's 10,000). */
const OURS_OPTIONS: Record<string, unknown> = {};

function buildKit(): { distDir?: string; error?: string; temp?: string } {
  if (flag('no-build')) {
    const dist = join(root, 'dist');
    return existsSync(join(dist, 'live-market-widgets.js')) ? { distDir: dist } : { error: 'no dist/live-market-widgets.js (run npm run build)' };
  }
  if (!existsSync(join(root, 'vite.config.ts')) || !existsSync(join(root, 'src/index.ts'))) return { error: 'no vite.config.ts or src/index.ts yet' };
  // Built into a temp folder so the bench never touches dist/ of a working tree in use.
  const temp = mkdtempSync(join(tmpdir(), 'lmw-bench-dist-'));
  const result = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', temp, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (result.status !== 0) return { error: `vite build failed: ${(result.stderr || result.stdout || '').slice(0, 2000)}`, temp };
  return { distDir: temp, temp };
}

function chromiumVersion(): string {
  try {
    return execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function main() {
  const oursAvailable = existsSync(join(root, 'server/app.ts'));
  const impls: Impl[] = oursAvailable ? ['ours', 'bare'] : ['bare'];
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    chromium: chromiumVersion(),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    loadAverageAtEnd: [] as number[],
  };
  log(`bench ${quick ? '(quick) ' : ''}on ${machine.cpus} cores, load ${machine.loadAverageAtStart.join(' ')}; parts: ${[...parts].join(', ')}; ${rounds} rounds`);
  if (!oursAvailable) log('server/app.ts not found: baselines only');

  const build = parts.has('browser') || parts.has('size') || parts.has('tabs') ? buildKit() : {};
  if (build.error) log(`kit not built: ${build.error}`);
  else if (build.distDir) log(`kit built into ${build.distDir}`);

  let size: SizeResult | undefined;
  let browser: BrowserResult | undefined;
  let fanout: FanoutResult | undefined;
  let idle: IdleResult | undefined;
  let publish: PublishResult | undefined;
  let memory: MemoryResult | undefined;
  let resume: ResumeResult | undefined;
  let tabs: TabsResult | undefined;
  let cluster: ClusterResult | undefined;
  try {
    if (parts.has('size')) {
      log('part 4: size (esbuild minify + gzip -9)');
      size = await runSizePart(build.distDir);
    }
    if (parts.has('browser')) {
      log('part 1: browser ingest (headless Chromium, 50 symbols)');
      browser = await runBrowserPart({
        rounds,
        settleMs: quick ? 400 : 600,
        windowMs: quick ? 800 : 1200,
        distDir: build.distDir,
        maxRate: 1_100_000,
        symbols: 50,
        budgetMs: quick ? 35_000 : 270_000,
        roundGraceMs: quick ? 10_000 : 45_000,
        log,
        diagnosisRounds: quick ? 0 : 1,
        realServer: oursAvailable ? { rounds: quick ? 1 : 2, budgetMs: quick ? 15_000 : 50_000 } : undefined,
      });
    }
    if (parts.has('fanout')) {
      log('part 2: server fan-out');
      fanout = await runFanoutPart({
        clientCounts: quick ? [100] : [100, 1000],
        rounds,
        warmMs: quick ? 400 : 700,
        windowMs: quick ? 1000 : 2000,
        creditWindow: 300,
        impls,
        deflateAt: quick ? [] : [100],
        oursOptions: OURS_OPTIONS,
        deadline,
        log,
      });
    }
    if (parts.has('idle')) {
      log('part 3: idle connections');
      idle = await runIdlePart({ connections: quick ? 2000 : 10_000, rounds, impls, oursOptions: OURS_OPTIONS, settleMs: quick ? 500 : 1000, deadline, log });
    }
    if (parts.has('publish') && oursAvailable) {
      log('part 5: publishing over HTTP keep-alive to 100 subscribers');
      publish = await runPublishPart({ subscribers: 100, rounds, concurrency: 8, warmMs: quick ? 300 : 500, windowMs: quick ? 1000 : 2000, deadline: deadline + 60_000, log });
    }
    if (parts.has('memory') && oursAvailable) {
      log('part 6: server memory per symbol (simulator at the default rate, 1 against 50 symbols)');
      memory = await runMemoryPart({ symbols: 50, settleMs: quick ? 15_000 : 60_000, log });
      if (!idle) {
        log('part 6: bytes per idle connection (part 3, ours only, one round)');
        idle = await runIdlePart({ connections: quick ? 1000 : 5000, rounds: 1, impls: ['ours'], oursOptions: OURS_OPTIONS, settleMs: 500, deadline: Number.POSITIVE_INFINITY, log });
      }
    }
    if (parts.has('resume') && oursAvailable) {
      log('part 7: resume bytes after an absence (1m topic, simulator at the default rate)');
      resume = await runResumePart({ awayMs: quick ? 15_000 : 60_000, log });
    }
    if (parts.has('tabs') && oursAvailable) {
      log('part 8: ten tabs of one browser, sharing one socket vs one socket each');
      tabs = await runTabsPart({ tabs: 10, rounds: quick ? 1 : Math.min(rounds, 3), windowMs: quick ? 2000 : 4000, distDir: build.distDir, log });
    }
    if (parts.has('cluster') && oursAvailable) {
      log('part 9: two nodes on Redis against one node in memory (1,000 updates/s over 10 symbols\' 1s topics)');
      cluster = await runClusterPart({
        clients: Number(value('cluster-clients') ?? (quick ? 50 : 200)),
        latencyClients: Number(value('cluster-latency-clients') ?? (quick ? 0 : 1000)),
        symbols: 10,
        rates: (value('cluster-rates') ?? '1000,2000,3000,4000,6000').split(',').map(Number),
        warmMs: quick ? 1000 : 2000,
        windowMs: quick ? 3000 : 10_000,
        log,
      });
      for (const error of cluster.errors) log(`cluster: ${error}`);
    }
  } finally {
    if (build.temp && !flag('keep-build')) rmSync(build.temp, { recursive: true, force: true });
  }
  machine.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));

  const targets = evaluateTargets({ browser, fanout, idle, size, publish, memory, resume, cluster });
  const results = {
    when: new Date().toISOString(),
    quick,
    rounds,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    machine,
    notes: [
      'Ratios are medians of per-round ratios (ours / baseline); rounds interleave ours and the baseline.',
      'CPU per update in the browser is the renderer main thread task time (Performance.getMetrics TaskDuration) per applied update.',
    ],
    targets,
    browser,
    fanout,
    idle,
    size,
    publish,
    memory,
    resume,
    tabs,
    cluster,
  };
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${report(results)}\n`);
  log(`results written to ${out.replace(root, '')}`);
}

function report(r: {
  browser?: BrowserResult;
  fanout?: FanoutResult;
  idle?: IdleResult;
  size?: SizeResult;
  publish?: PublishResult;
  memory?: MemoryResult;
  resume?: ResumeResult;
  tabs?: TabsResult;
  cluster?: ClusterResult;
  targets: TargetResult[];
  machine: { cpus: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  durationSeconds: number;
}): string {
  const sections: string[] = [
    `${r.machine.cpus} cores; load average ${r.machine.loadAverageAtStart.join(' ')} at start, ${r.machine.loadAverageAtEnd.join(' ')} at end ` +
      `(above ${r.machine.cpus} means other work shared the machine: trust the per-round ratios and CPU per update over raw rates); ${r.durationSeconds} s`,
  ];
  if (r.browser) {
    const rows = r.browser.pages.map((kind) => {
      const s = r.browser!.summary[kind];
      const a = s?.atMax;
      return [
        { kit: 'K kit', 'per-message': 'N per-message', 'per-frame': 'B per-frame' }[kind],
        fmtRate(s?.maxRateHeld ?? 0),
        a ? fmtRate(a.appliedPerSecond) : '-',
        a ? a.fps.toFixed(1) : '-',
        a ? String(a.longTasks) : '-',
        a ? `${a.latencyP50Ms} / ${a.latencyP99Ms}` : '-',
        a ? a.cpuMicrosPerUpdate.toFixed(2) : '-',
        r.browser!.rounds.map((x) => fmtRate(x[kind] ?? 0)).join(' '),
      ];
    });
    sections.push(
      '1. Browser ingest (highest total rate held at >= 55 fps, p99 <= 50 ms; figures at that rate, medians over rounds)\n' +
        table(['page', 'max held/s', 'applied/s', 'fps', 'long tasks', 'p50/p99 ms', 'CPU us/update', 'per round'], rows) +
        `\nK/N per round ${r.browser.ratios.kOverN.map(fmtRatio).join(' ')} -> median ${fmtRatio(r.browser.ratios.medianKOverN)}; ` +
        `K/B per round ${r.browser.ratios.kOverB.map(fmtRatio).join(' ')} -> median ${fmtRatio(r.browser.ratios.medianKOverB)}` +
        Object.entries(r.browser.diagnosis ?? {})
          .map(([name, d]) => `\nK ${name} (diagnosis, not a target): highest rate held ${d.rounds.map(fmtRate).join(' ')}`)
          .join('') +
        (r.browser.realServer ? `\nK against the real reference server: ${r.browser.realServer.summary}` : '') +
        (Object.keys(r.browser.skipped).length ? `\nskipped/failed: ${JSON.stringify(r.browser.skipped)}` : ''),
    );
  }
  if (r.fanout) {
    const rows: string[][] = [];
    for (const [count, c] of Object.entries(r.fanout.byClients)) {
      for (const impl of ['ours', 'bare', 'deflate'] as const) {
        const x = c[impl];
        if (!x) continue;
        rows.push([
          `${impl === 'deflate' ? 'bare+deflate' : impl} x${count}`,
          fmtRate(x.deliveriesPerSecond),
          fmtRate(x.framesPerSecond),
          x.serverCpuMicrosPerDelivery.toFixed(2),
          `${Math.round(x.serverCpuShare * 100)} %`,
          impl === 'ours'
            ? `${fmtRatio(c.medianDeliveriesRatio)} (${c.deliveriesRatios.map(fmtRatio).join(' ')})`
            : impl === 'deflate'
              ? `deflate/bare ${(c.deflateRatios ?? []).map(fmtRatio).join(' ')}`
              : '',
          impl === 'ours' ? `${fmtRatio(c.medianCpuRatio)} (${c.cpuRatios.map(fmtRatio).join(' ')})` : '',
        ]);
      }
    }
    sections.push(
      '2. Server fan-out (one topic, every client subscribed; medians over rounds)\n' +
        table(['server', 'deliveries/s', 'frames/s', 'CPU us/delivery', 'server CPU', 'deliveries ours/bare', 'CPU ours/bare'], rows) +
        (r.fanout.wireCheck ? `\nsame update frame shape from both servers: ${r.fanout.wireCheck.sameShape}` : '') +
        (r.fanout.errors.length ? `\nerrors: ${r.fanout.errors.join('; ')}` : ''),
    );
  }
  if (r.idle) {
    const rows = (['ours', 'bare'] as const)
      .filter((impl) => r.idle![impl])
      .map((impl) => [impl, fmtBytes(r.idle![impl]!.rssBytesPerConnection), fmtBytes(r.idle![impl]!.heapBytesPerConnection), impl === 'ours' ? `${fmtRatio(r.idle!.medianRatio)} (${r.idle!.ratios.map(fmtRatio).join(' ')})` : '']);
    sections.push(`3. Idle connections (${r.idle.connections} held, after GC)\n` + table(['server', 'RSS/conn', 'heap/conn', 'RSS ours/bare'], rows) + (r.idle.errors.length ? `\nerrors: ${r.idle.errors.join('; ')}` : ''));
  }
  if (r.size) {
    const rows: string[][] = [];
    const add = (name: string, e?: { minBytes: number; minGzipBytes: number; files: string[] }) => {
      if (e) rows.push([name, fmtBytes(e.minBytes), fmtBytes(e.minGzipBytes), e.files.join(', ')]);
    };
    add('main (no chart)', r.size.main);
    add('chart chunk (lazy)', r.size.chart);
    add('Lit alone', r.size.lit);
    add('lightweight-charts (4 exports)', r.size.lightweightCharts);
    for (const [tag, entry] of Object.entries(r.size.perElement ?? {})) add(`only <${tag}> (no chart)`, entry);
    const breakdown = r.size.breakdown
      ? `\nmain by source (minified bytes before gzip): ${Object.entries(r.size.breakdown)
          .filter(([, bytes]) => bytes > 0)
          .map(([group, bytes]) => `${group} ${fmtBytes(bytes)}`)
          .join(', ')}`
      : '';
    sections.push('4. Size (min+gzip)\n' + table(['what', 'min', 'min+gzip', 'files'], rows) + breakdown + (r.size.errors.length ? `\nnotes: ${r.size.errors.join('; ')}` : ''));
  }
  if (r.publish) {
    const p = r.publish;
    const rows = (['ours', 'bare'] as const)
      .filter((impl) => p[impl])
      .map((impl) => {
        const x = p[impl]!;
        return [
          impl,
          fmtRate(x.publishedPerSecond),
          fmtRate(x.deliveredEventsPerSecond),
          `${x.p50Ms} / ${x.p99Ms}`,
          `${Math.round(x.serverCpuShare * 100)} %`,
          String(x.serverCpuMicrosPerEvent),
          impl === 'ours' ? `${fmtRatio(p.medianRatio)} (${p.ratios.map(fmtRatio).join(' ')})` : '',
          impl === 'ours' ? `${fmtRatio(p.medianCpuRatio)} (${p.cpuRatios.map(fmtRatio).join(' ')})` : '',
        ];
      });
    sections.push(
      `5. Publishing over HTTP keep-alive (${p.concurrency} requests in flight, one event each; ${p.subscribers} subscribers; medians over rounds)\n` +
        table(['server', 'published/s', 'delivered/s', 'p50/p99 ms', 'server CPU', 'CPU us/event', 'delivered ours/bare', 'CPU/event ours/bare'], rows) +
        (p.errors.length ? `\nerrors: ${p.errors.join('; ')}` : ''),
    );
  }
  if (r.memory) {
    const m = r.memory;
    const x = m.perSymbol;
    sections.push(
      `6. Server memory per symbol (simulator at the default rate, (RSS with ${m.symbols} - RSS with 1) / ${m.symbols - 1} after ${m.settleSeconds} s, after GC)\n` +
        table(
          ['what', 'per symbol'],
          [
            ['RSS', fmtBytes(x.rss)],
            ['  bars (6 x 2,000: OHLCV and trade count)', fmtBytes((x.bars * 52) / 60)],
            ['  index: seq of each bar\'s last change (compacted resume)', fmtBytes((x.bars * 8) / 60)],
            ['  exact rings (old clients)', fmtBytes(x.exactRings)],
            ['  the rest (aggregator spans, heap: simulator, topics; allocator slack)', fmtBytes(x.other)],
            ['heap used', fmtBytes(x.heap)],
            ['baseline: Bar[] windows + the histories filled by then (before issue 12; spans not counted)', fmtBytes(m.baselinePerSymbol.rss)],
          ],
        ) +
        `\nours / baseline ${fmtRatio(m.ratio)}` +
        (r.idle?.ours ? `; bytes per idle connection ${fmtBytes(r.idle.ours.rssBytesPerConnection)} RSS (${r.idle.connections} held)` : '') +
        (m.errors.length ? `\nerrors: ${m.errors.join('; ')}` : ''),
    );
  }
  if (r.resume) {
    const x = r.resume;
    const row = (name: string, a: { recovered: boolean; compacted: boolean; messages: number; bytes: number }) => [
      name,
      a.recovered ? (a.compacted ? 'compacted replay' : 'exact replay') : 'snapshot',
      String(a.messages),
      fmtBytes(a.bytes),
      `${((a.bytes / x.snapshotBytes) * 100).toFixed(2)} %`,
    ];
    sections.push(
      `7. Resume after ${x.awaySeconds} s away on ${x.topic} (${x.missedUpdates} updates missed; its snapshot is ${fmtBytes(x.snapshotBytes)})\n` +
        table(['client', 'answer', 'messages', 'bytes', 'of snapshot'], [row('with compact', x.compact), row('without (baseline)', x.plain)]) +
        (x.dashboard
          ? `\n${x.dashboard.topics}-topic dashboard, default limits: ${x.dashboard.freshConnects} connect(s) fresh, ${x.dashboard.resumeConnects} to resume, ` +
            `${x.dashboard.slowConsumerCloses} slow-consumer closes; 5 clients at once: ${x.dashboard.encodes} snapshot encodings for ` +
            `${x.dashboard.distinctSnapshots} distinct (topic, seq) = ${x.dashboard.encodesPerSnapshot.toFixed(2)} per snapshot`
          : '') +
        (x.errors.length ? `\nerrors: ${x.errors.join('; ')}` : ''),
    );
  }
  if (r.tabs) {
    const t = r.tabs;
    const rows = (['shared', 'unshared'] as const)
      .filter((mode) => t[mode])
      .map((mode) => [
        mode === 'shared' ? `shared (one socket)` : `not shared (share: false)`,
        String(t[mode]!.connections),
        t[mode]!.serverMessagesPerSecond.toFixed(1),
        t[mode]!.tabUpdatesPerSecond.toFixed(1),
        t[mode]!.serverMessagesPerTabUpdate.toFixed(2),
        mode === 'shared' ? `${fmtRatio(t.medianRatio)} (${t.ratios.map(fmtRatio).join(' ')})` : '',
        mode === 'shared' ? `${fmtRatio(t.medianPerUpdateRatio)} (${t.perUpdateRatios.map(fmtRatio).join(' ')})` : '',
      ]);
    sections.push(
      `8. ${t.tabs} tabs of one browser (${t.topics.join(', ')}; ${t.windowMs / 1000} s windows, medians over rounds)\n` +
        table(['tabs', 'server connections', 'server msg/s', 'tab updates/s (all tabs)', 'server msg per tab update', 'msg/s shared/not', 'per update shared/not'], rows) +
        (t.errors.length ? `\nerrors: ${t.errors.join('; ')}` : ''),
    );
  }
  if (r.cluster) {
    const x = r.cluster;
    sections.push(
      `9. Several nodes (issue 14): the same clients and publisher, rates stepped up until one is not held; capacity (most deliveries/s held) ` +
        `redis-2 ${fmtRate(x.capacity['redis-2'])}, memory-1 ${fmtRate(x.capacity['memory-1'])}, socketio-2 ${fmtRate(x.capacity['socketio-2'])}; ` +
        `redis-2 / memory-1 ${x.deliveriesRatio}, redis-2 / socketio-2 ${x.socketIoDeliveriesRatio}; node CPU per delivery at the first rate redis-2 / socketio-2 ${x.socketIoCpuRatio}\n` +
        table(
          ['setup', 'clients', 'rate/client', 'published/s', 'deliveries/s', 'held', 'node µs CPU/delivery', 'node CPU', 'redis CPU', 'clients CPU', 'p50 ms', 'p99 ms', 'updates/frame', 'gaps'],
          [...x.runs, ...x.latencyRuns].map((run) => [
            run.setup,
            String(run.clients),
            String(run.targetUpdatesPerSecond),
            String(run.publishedPerSecond),
            fmtRate(run.deliveriesPerSecond),
            held(run) ? 'yes' : 'no',
            String(run.serverCpuMicrosPerDelivery),
            `${Math.round(run.serverCpuShare * 100)} %`,
            run.redisCpuShare !== undefined ? `${Math.round(run.redisCpuShare * 100)} %` : '-',
            `${Math.round(run.clientsCpuShare * 100)} %`,
            String(run.latencyP50Ms),
            String(run.latencyP99Ms),
            Number.isFinite(run.updatesPerFrame) ? String(run.updatesPerFrame) : '-',
            String(run.gaps),
          ]),
        ) +
        '\nsocketio-2: two Socket.IO nodes with @socket.io/redis-streams-adapter on the same Redis, the same messages to the same number of clients; its gaps are updates reordered across its two nodes.' +
        (x.errors.length ? `\nerrors: ${x.errors.join('; ')}` : ''),
    );
  }
  sections.push(
    'Targets (issues 6, 12, 13, 14 and 17)\n' +
      table(
        ['target', 'measured', 'verdict'],
        r.targets.map((t) => [t.target, t.measured, t.met === null ? 'not measured' : t.met ? 'met' : 'NOT MET']),
      ),
  );
  return sections.join('\n\n');
}

void TARGETS;
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
