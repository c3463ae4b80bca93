/** The targets of issues 6, 12, 13, 14 and 17, checked against the bench results. */
import type { BrowserResult } from './browser.js';
import type { ClusterResult } from './cluster.js';
import type { FanoutResult } from './fanout.js';
import type { IdleResult } from './idle.js';
import type { MemoryResult } from './memory.js';
import type { PublishResult } from './publish.js';
import type { ResumeResult } from './resume.js';
import type { SizeResult } from './size.js';
import { fmtRate, fmtRatio } from './lib/stats.js';

export const TARGETS = {
  kOverN: 3,
  kOverB: 0.9,
  fanoutDeliveries: 0.9,
  fanoutCpu: 1.15,
  idleBytes: 2,
  /** 15 KB min+gzip for the main file, Lit included (KB = 1,000 bytes, the stricter reading). */
  mainBytes: 15_000,
  /** Issue 13: events/s published over HTTP and delivered to 100 subscribers, against the bare handler. */
  publishEvents: 0.8,
  /** Issue 12: server RSS per simulated symbol at the default settings. */
  memoryPerSymbolBytes: 1_000_000,
  /** Issue 12: resume bytes after 60 s away on a 1m topic, as a share of its snapshot's bytes. */
  resumeShare: 0.01,
  /** Issue 14: two nodes on Redis against two Socket.IO nodes with the Redis streams adapter, deliveries/s. */
  clusterOverSocketIo: 1.5,
  /** Issue 14: publish-to-deliver p99 at 1,000 updates/s to 1,000 clients through Redis, ms. */
  clusterP99Ms: 20,
};

export interface TargetResult {
  target: string;
  measured: string;
  met: boolean | null;
}

export function evaluateTargets(r: { browser?: BrowserResult; fanout?: FanoutResult; idle?: IdleResult; size?: SizeResult; publish?: PublishResult; memory?: MemoryResult; resume?: ResumeResult; cluster?: ClusterResult }): TargetResult[] {
  const out: TargetResult[] = [];
  const ratio = (target: string, value: number | undefined, ok: (v: number) => boolean) =>
    out.push({ target, measured: value === undefined || !Number.isFinite(value) ? 'n/a' : fmtRatio(value), met: value === undefined || !Number.isFinite(value) ? null : ok(value) });
  const b = r.browser;
  ratio(`page K >= ${TARGETS.kOverN}x page N (max rate held)`, b?.ratios.medianKOverN, (v) => v >= TARGETS.kOverN);
  ratio(`page K >= ${TARGETS.kOverB}x page B (max rate held)`, b?.ratios.medianKOverB, (v) => v >= TARGETS.kOverB);
  for (const count of ['100', '1000']) {
    const c = r.fanout?.byClients[count];
    ratio(`fan-out x${count}: deliveries/s >= ${TARGETS.fanoutDeliveries}x bare ws`, c?.ours ? c.medianDeliveriesRatio : undefined, (v) => v >= TARGETS.fanoutDeliveries);
    ratio(`fan-out x${count}: server CPU/delivery <= ${TARGETS.fanoutCpu}x bare ws`, c?.ours ? c.medianCpuRatio : undefined, (v) => v <= TARGETS.fanoutCpu);
  }
  ratio(`idle: bytes/connection <= ${TARGETS.idleBytes}x bare ws`, r.idle?.ours ? r.idle.medianRatio : undefined, (v) => v <= TARGETS.idleBytes);
  ratio(
    `publish: events/s over HTTP to 100 subscribers >= ${TARGETS.publishEvents}x the bare handler`,
    r.publish?.ours ? r.publish.medianRatio : undefined,
    (v) => v >= TARGETS.publishEvents,
  );
  const perSymbol = r.memory?.perSymbol.rss;
  out.push({
    target: `memory: server RSS per symbol <= ${TARGETS.memoryPerSymbolBytes / 1e6} MB (default settings, after a minute)`,
    measured: perSymbol === undefined ? 'n/a' : `${(perSymbol / 1e6).toFixed(2)} MB`,
    met: perSymbol === undefined ? null : perSymbol <= TARGETS.memoryPerSymbolBytes,
  });
  const share = r.resume?.ratio;
  out.push({
    target: `resume: bytes after 60 s away on a 1m topic < ${TARGETS.resumeShare * 100} % of its snapshot`,
    measured: share === undefined ? 'n/a' : `${(share * 100).toFixed(2)} %${r.resume!.awaySeconds < 60 ? ` (${r.resume!.awaySeconds} s)` : ''}`,
    met: share === undefined ? null : share < TARGETS.resumeShare,
  });
  const d = r.resume?.dashboard;
  out.push({
    target: 'a 60-topic dashboard costs one connect, fresh and on resume (no 4408)',
    measured: d ? `${d.freshConnects} / ${d.resumeConnects}` : 'n/a',
    met: d ? d.freshConnects === 1 && d.resumeConnects === 1 && d.slowConsumerCloses === 0 : null,
  });
  out.push({
    target: 'snapshot encodings per (topic, seq) = 1 (five clients subscribing at once)',
    measured: d ? d.encodesPerSnapshot.toFixed(2) : 'n/a',
    met: d ? d.encodesPerSnapshot <= 1 : null,
  });
  const main = r.size?.main?.minGzipBytes;
  out.push({
    target: 'main file without the chart <= 15 KB min+gzip (Lit included)',
    measured: main === undefined ? 'n/a' : `${(main / 1000).toFixed(1)} KB`,
    met: main === undefined ? null : main <= TARGETS.mainBytes,
  });
  out.push({
    target: 'chart chunk loads lazily (a dynamic import)',
    measured: r.size?.chart ? r.size.chart.files.join(', ') : 'n/a',
    met: r.size ? r.size.chart !== undefined : null,
  });
  const c = r.cluster;
  ratio(`cluster: two nodes on Redis >= ${TARGETS.clusterOverSocketIo}x Socket.IO's deliveries/s (redis streams adapter)`, c?.socketIoDeliveriesRatio, (v) => v >= TARGETS.clusterOverSocketIo);
  const l = c?.latencyRun;
  // Held only if the rate was: a run that fell behind the publisher measured a lower load.
  const held = l !== undefined && l.deliveriesPerSecond >= 0.95 * l.targetUpdatesPerSecond * l.clients && l.gaps === 0;
  out.push({
    target: `cluster: publish-to-deliver p99 < ${TARGETS.clusterP99Ms} ms at 1,000 updates/s to 1,000 clients through Redis`,
    measured: l ? `${l.latencyP99Ms} ms (${l.clients} clients, ${fmtRate(l.deliveriesPerSecond)} deliveries/s)` : 'n/a',
    met: l ? held && l.clients >= 1000 && l.latencyP99Ms < TARGETS.clusterP99Ms : null,
  });
  return out;
}
