import type { Clock } from '../../core/clock.js';
import { mapWithConcurrency } from '../../core/concurrency.js';
import type { InfinibandCollectorConfig } from '../../core/config.js';
import type { Db } from '../../core/db.js';
import type { Logger } from '../../core/log.js';
import { runCommand } from '../../core/run-command.js';
import type { LabelCache } from '../dcgm/parse.js';
import { createLabelCache } from '../dcgm/parse.js';
import { type LinkIdentity, type LinkRollupWrite, writeLinkRollups } from '../link-queries.js';
import { type TargetStatus, upsertTargetStatuses } from '../queries.js';
import { LinkRollupAccumulator } from './accumulate-link-rollups.js';
import { type FabricMetrics, recordLinkObservation } from './metrics.js';
import { computeHcaGpuAffinity, parseNvidiaSmiTopo } from './parse-nvidia-smi-topo.js';
import { readIbSysfs } from './read-ib-sysfs.js';
import { readNodeExporterIb } from './read-node-exporter-ib.js';
import { IbPortRateTracker } from './track-port-rates.js';
import type { FabricIssue, IbPortSnapshot, LinkRollup } from './types.js';

export interface FabricTickDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: FabricMetrics;
}

export type FabricSettings = InfinibandCollectorConfig & { cluster: string; node: string };

/** The key under which a link's identity (speed, state, GPUs served) is kept between cycles. */
export const linkIdentityKey = (r: Pick<LinkRollup, 'linkType' | 'node' | 'device' | 'port'>) =>
  `${r.linkType}/${r.node}/${r.device}/${r.port}`;

/** Everything that outlives one fabric cycle: previous counters, open minutes, what each link is. */
export class FabricCollectorState {
  readonly tracker = new IbPortRateTracker();
  /** InfiniBand minutes, written open and closed so the API is a cycle behind at most. */
  readonly rollups = new LinkRollupAccumulator();
  /**
   * NVLink minutes from the DCGM scrapes (one per GPU and link), written once closed: a fleet has as many of
   * them as GPUs, and rewriting each open minute every scrape would double the collector's writes.
   */
  readonly nvlinkRollups = new LinkRollupAccumulator();
  readonly identities = new Map<string, LinkIdentity>();
  readonly labelCaches = new Map<string, LabelCache>();
  readonly failures = new Map<string, { lastSuccessAt: Date | null; consecutive: number }>();
  /** This host's HCA → GPU indices from `nvidia-smi topo -m`, and when it was read. */
  topoAffinity: Record<string, number[]> = {};
  topoReadAtMs = Number.NEGATIVE_INFINITY;
  flushFailures = 0;
}

/**
 * One fabric cycle: read every IB source (sysfs on this host, node_exporter targets), turn counters into
 * rates and minute rollups, write the minutes. A source that fails is a target error; the others go on.
 */
export async function runFabricTick(
  deps: FabricTickDeps,
  state: FabricCollectorState,
  settings: FabricSettings,
) {
  const nowMs = deps.clock.now();
  await refreshTopoAffinity(deps, state, settings, nowMs);
  const readings = await readAllSources(deps, state, settings, nowMs);
  const snapshots = readings.flatMap((r) => r.snapshots);
  for (const s of snapshots) {
    state.identities.set(linkIdentityKey({ ...s, linkType: 'infiniband' }), identityOf(s, settings, state));
  }
  const rates = state.tracker.update(snapshots);
  for (const r of rates) {
    state.rollups.observe(r);
    recordLinkObservation(deps.metrics, r);
  }
  state.tracker.forgetStale(nowMs);
  await upsertTargetStatuses(
    deps.db,
    readings.map((r) => r.status),
  );
  const written = await flushLinkRollups(deps, state, settings.cluster, nowMs);
  return {
    ports: snapshots.length,
    rates: rates.length,
    rowsWritten: written,
    failedSources: countDown(readings),
  };
}

function countDown(readings: SourceReading[]): number {
  return readings.filter((r) => !r.status.up).length;
}

interface SourceReading {
  snapshots: IbPortSnapshot[];
  status: TargetStatus;
}

async function readAllSources(
  deps: FabricTickDeps,
  state: FabricCollectorState,
  settings: FabricSettings,
  nowMs: number,
): Promise<SourceReading[]> {
  const out: SourceReading[] = [];
  if (settings.sysfsRoot !== undefined) {
    const started = performance.now();
    const read = await readIbSysfs({ sysfsRoot: settings.sysfsRoot, node: settings.node, nowMs });
    reportIssues(deps, 'sysfs', read.issues);
    // a host with no readable port at all is down; some missing files on a working port are issues
    const error = read.snapshots.length === 0 ? firstIssue(read.issues, 'no InfiniBand port found') : null;
    out.push(
      statusOf(state, 'infiniband', `sysfs://${settings.node}${settings.sysfsRoot}`, settings.node, {
        nowMs,
        error,
        started,
        snapshots: read.snapshots,
        issues: read.issues.length,
      }),
    );
  }
  const scraped = await mapWithConcurrency(settings.targets, 32, async (target) => {
    const started = performance.now();
    let cache = state.labelCaches.get(target.url);
    if (!cache) {
      cache = createLabelCache();
      state.labelCaches.set(target.url, cache);
    }
    const read = await readNodeExporterIb(target, {
      nowMs,
      timeoutMs: settings.timeoutSeconds * 1000,
      labelCache: cache,
    });
    if (read.ok) reportIssues(deps, 'node_exporter', read.value.issues);
    return statusOf(state, 'node_exporter', target.url, target.node ?? null, {
      nowMs,
      error: read.ok ? null : read.error.message,
      started,
      snapshots: read.ok ? read.value.snapshots : [],
      issues: read.ok ? read.value.issues.length : 0,
    });
  });
  out.push(...scraped);
  deps.metrics.ports.set(
    { source: 'sysfs' },
    out.filter((r) => r.status.kind === 'infiniband').flatMap((r) => r.snapshots).length,
  );
  deps.metrics.ports.set({ source: 'node_exporter' }, scraped.flatMap((r) => r.snapshots).length);
  return out;
}

function statusOf(
  state: FabricCollectorState,
  kind: 'infiniband' | 'node_exporter',
  url: string,
  node: string | null,
  r: { nowMs: number; error: string | null; started: number; snapshots: IbPortSnapshot[]; issues: number },
): SourceReading {
  const now = new Date(r.nowMs);
  const prev = state.failures.get(url) ?? { lastSuccessAt: null, consecutive: 0 };
  const next =
    r.error === null
      ? { lastSuccessAt: now, consecutive: 0 }
      : { ...prev, consecutive: prev.consecutive + 1 };
  state.failures.set(url, next);
  return {
    snapshots: r.snapshots,
    status: {
      kind,
      url,
      node,
      up: r.error === null,
      lastAttemptAt: now,
      lastSuccessAt: next.lastSuccessAt,
      lastError: r.error,
      lastDurationSeconds: (performance.now() - r.started) / 1000,
      lastSampleCount: r.snapshots.length,
      lastIssueCount: r.issues,
      consecutiveFailures: next.consecutive,
    },
  };
}

function firstIssue(issues: FabricIssue[], fallback: string): string {
  const issue = issues[0];
  return issue === undefined ? fallback : `${issue.source}: ${issue.reason}`;
}

function reportIssues(deps: FabricTickDeps, source: string, issues: FabricIssue[]) {
  if (issues.length === 0) return;
  deps.metrics.readIssues.inc({ source }, issues.length);
  deps.log.debug({ source, issues: issues.length, first: issues.slice(0, 3) }, 'fabric read issues');
}

function identityOf(s: IbPortSnapshot, settings: FabricSettings, state: FabricCollectorState): LinkIdentity {
  const topo = s.node === settings.node ? state.topoAffinity[s.device] : undefined;
  return {
    rateBitsPerSecond: s.rateBitsPerSecond,
    state: s.state?.name ?? null,
    physState: s.physState?.name ?? null,
    gpuIndices: settings.gpuAffinity[s.node]?.[s.device] ?? topo ?? [],
  };
}

const TOPO_REFRESH_MS = 3_600_000;

/**
 * Reads this host's PCIe topology (`nvidia-smi topo -m`) when the sysfs reader runs on a GPU node, so each HCA
 * is linked to the GPUs nearest it. A failure is logged and retried at the next refresh; links keep the last
 * affinity known (or none), never a guess.
 */
async function refreshTopoAffinity(
  deps: FabricTickDeps,
  state: FabricCollectorState,
  settings: FabricSettings,
  nowMs: number,
) {
  if (settings.nvidiaSmi === undefined || settings.sysfsRoot === undefined) return;
  if (nowMs - state.topoReadAtMs < TOPO_REFRESH_MS) return;
  state.topoReadAtMs = nowMs;
  const run = await runCommand({ command: settings.nvidiaSmi, args: ['topo', '-m'], timeoutSeconds: 30 });
  if (!run.ok) {
    deps.log.warn({ err: run.error.message }, 'nvidia-smi topo -m failed; HCA to GPU affinity unknown');
    return;
  }
  const { matrix, issues } = parseNvidiaSmiTopo(run.value.stdout, `${settings.nvidiaSmi} topo -m`);
  reportIssues(deps, 'nvidia_smi', issues);
  const configured = settings.gpuAffinity[settings.node] ?? {};
  state.topoAffinity = Object.fromEntries(
    computeHcaGpuAffinity(matrix, configured).map((a) => [a.hca, a.gpus]),
  );
}

/**
 * Writes the link minutes that changed (the open one too, so the API is a cycle behind at most). On failure
 * nothing is confirmed and the same minutes are written next time; the upsert keeps that from double-counting.
 */
export async function flushLinkRollups(
  deps: Pick<FabricTickDeps, 'db' | 'log'>,
  state: FabricCollectorState,
  cluster: string,
  nowMs: number,
): Promise<number> {
  const ib = state.rollups.takeDirty(nowMs, { includeOpen: true });
  const nvlink = state.nvlinkRollups.takeDirty(nowMs, { includeOpen: false });
  if (ib.length + nvlink.length === 0) return 0;
  const writes: LinkRollupWrite[] = [...ib, ...nvlink].map(({ version: _v, ...row }) => ({
    ...row,
    ...(state.identities.get(linkIdentityKey(row)) ?? {
      rateBitsPerSecond: null,
      state: null,
      physState: null,
      gpuIndices: [],
    }),
  }));
  try {
    await writeLinkRollups(deps.db, cluster, writes, new Date(nowMs));
  } catch (error) {
    state.flushFailures++;
    state.rollups.evictStale(nowMs);
    state.nvlinkRollups.evictStale(nowMs);
    deps.log.warn({ err: error, rows: writes.length }, 'link rollup write failed; kept for the next cycle');
    return 0;
  }
  state.rollups.confirmWritten(ib, nowMs);
  state.nvlinkRollups.confirmWritten(nvlink, nowMs);
  return writes.length;
}
