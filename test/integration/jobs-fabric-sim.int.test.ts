import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateRange } from '../../analyzer/cost/allocate-hours.js';
import { buildCostReport } from '../../analyzer/cost/build-cost-report.js';
import { createCostDeps } from '../../analyzer/cost/create-cost-deps.js';
import { allocationOptionsFromConfig } from '../../analyzer/cost/run-allocation-tick.js';
import { migUnitsPerMinute, UNITS_PER_GPU_MINUTE } from '../../analyzer/cost/split-node-hour.js';
import { createAnalyzerMetrics } from '../../analyzer/findings/analyzer-metrics.js';
import { runAnalyzerPass } from '../../analyzer/findings/run-analyzer-pass.js';
import { createApp } from '../../api/app.js';
import { buildPriceBookRows } from '../../collector/aws/price-book.js';
import { upsertPrices } from '../../collector/aws/queries.js';
import { createNvlinkSink } from '../../collector/dcgm/nvlink-sink.js';
import { DcgmCollectorState, runDcgmScrapeTick } from '../../collector/dcgm/run-dcgm-scrape-tick.js';
import { createFabricMetrics } from '../../collector/fabric/metrics.js';
import {
  FabricCollectorState,
  flushLinkRollups,
  runFabricTick,
} from '../../collector/fabric/run-fabric-tick.js';
import { createJobMetrics } from '../../collector/jobs/metrics.js';
import { runAttributionTick } from '../../collector/jobs/run-attribution-tick.js';
import { type JobReader, JobReadersState, runJobsTick } from '../../collector/jobs/run-jobs-tick.js';
import {
  createKubernetesReader,
  type KubernetesReader,
} from '../../collector/kubernetes/create-kubernetes-reader.js';
import { createCollectorMetrics } from '../../collector/metrics.js';
import { createSlurmReader } from '../../collector/slurm/create-slurm-reader.js';
import { createManualClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { checkReadiness, type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { findPackageRoot } from '../../core/paths.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import {
  createFleet,
  expectedIdleGpus,
  type Fleet,
  type SimServer,
  startSimServer,
} from '../../sim/index.js';
import { type FakeKubeApi, fakeKubeConfig, startFakeKubeApi } from '../helpers/fake-kube-api.js';
import { readJson } from '../helpers/read-json.js';

/**
 * Every issue-3 collector against the simulator, on a manual clock: dcgm-exporter (with NVLink), node_exporter
 * InfiniBand, Slurm through the simulator's sacct/squeue/scontrol, Kubernetes through a fake API server holding
 * the simulator's pods. What the API then reports is checked against the simulator's ground truth.
 */
const T0 = Date.UTC(2026, 11, 1);
const START = T0 + 26 * 60_000;
const TICKS = 56;
const token = 'e2e-viewer-token-0123456789';

type Truth = {
  kind: string;
  node: string;
  nodes?: string[];
  device?: string;
  gpuUuid?: string;
  jobId?: string;
  expect: Record<string, unknown>;
};

let fleet: Fleet;
let sim: SimServer;
let kube: FakeKubeApi;
let handle: DbHandle;
let k8sReader: KubernetesReader;
let app: ReturnType<typeof createApp>;
let truth: Truth[];
const clock = createManualClock(START);
const get = async (path: string) =>
  readJson(await app.request(path, { headers: { authorization: `Bearer ${token}` } }));
const byKind = (kind: string) => truth.find((s) => s.kind === kind)!;

interface SimPodObject {
  metadata: {
    name: string;
    namespace: string;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  };
}

/** The fake API server gets the simulator's pods and, for every owner they name, the owner object itself. */
function seedKubernetes(api: FakeKubeApi) {
  const list = JSON.parse(fleet.renderPodList(START)) as { items: SimPodObject[] };
  const owners = new Map<string, Record<string, unknown>>();
  for (const pod of list.items) {
    api.addPod(pod as unknown as Record<string, unknown>);
    for (const ref of pod.metadata.ownerReferences ?? []) {
      owners.set(`${ref.apiVersion}/${ref.kind}/${pod.metadata.namespace}/${ref.name}`, {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: pod.metadata.namespace, uid: ref.uid, labels: {} },
      });
    }
  }
  for (const owner of owners.values()) api.putObject(owner);
}

async function runCollectors() {
  const log = createSilentLogger();
  const registry = createRegistry({ defaultMetrics: false });
  const fabric = new FabricCollectorState();
  const fabricMetrics = createFabricMetrics(registry);
  const dcgmState = new DcgmCollectorState(createNvlinkSink(fabric, fabricMetrics));
  const hanging = byKind('exporter-hang').node;
  const dcgmSettings = {
    cluster: 'e2e',
    targets: sim.targets.filter((t) => t.node !== hanging),
    timeoutSeconds: 5,
    maxBodyBytes: 16 * 1024 * 1024,
    concurrency: 8,
  };
  const collectors = Config.parse({
    collectors: {
      infiniband: {
        targets: fleet.nodes.map((n) => ({
          node: n.name,
          url: `${sim.baseUrl}/${n.name}/node-exporter/metrics`,
        })),
        gpuAffinity: Object.fromEntries(
          fleet.nodes.map((n) => [n.name, Object.fromEntries(n.gpus.map((_, i) => [`mlx5_${i}`, [i]]))]),
        ),
      },
      slurm: {
        sacct: join(findPackageRoot(), 'sim/bin/sacct'),
        squeue: join(findPackageRoot(), 'sim/bin/squeue'),
        scontrol: join(findPackageRoot(), 'sim/bin/scontrol'),
        env: { GPUSCOPE_SIM_URL: sim.baseUrl },
      },
      kubernetes: {},
    },
  }).collectors;
  k8sReader = await createKubernetesReader(collectors.kubernetes!, {
    cluster: 'e2e',
    log,
    kubeConfig: fakeKubeConfig(kube.url),
  });
  const readers: JobReader[] = [createSlurmReader(collectors.slurm!, { defaultCluster: 'e2e' }), k8sReader];
  const jobMetrics = createJobMetrics(registry);
  const deps = { db: handle.db, clock, log, tracer: getTracer(), metrics: createCollectorMetrics(registry) };
  const fabricSettings = { ...collectors.infiniband!, cluster: 'e2e', node: 'unused' };
  const readersState = new JobReadersState();
  for (let tick = 0; tick < TICKS; tick++) {
    await runDcgmScrapeTick(deps, dcgmState, dcgmSettings);
    await flushLinkRollups({ db: handle.db, log }, fabric, 'e2e', clock.now());
    await runFabricTick({ db: handle.db, clock, log, metrics: fabricMetrics }, fabric, fabricSettings);
    if (tick % 4 === 0) {
      const summary = await runJobsTick(
        { db: handle.db, clock, log, metrics: jobMetrics },
        readersState,
        readers,
      );
      expect(summary.failedReaders).toBe(0);
    }
    clock.advance(15_000);
  }
  clock.advance(120_000);
  await runAttributionTick({ db: handle.db, clock, metrics: jobMetrics });
}

beforeAll(async () => {
  fleet = createFleet({ seed: 42, nodeCount: 20, startMs: T0, nvlinkErrorCounters: true });
  truth = fleet.groundTruth().scenarios as unknown as Truth[];
  sim = await startSimServer({ fleet, clock: () => clock.now() });
  kube = await startFakeKubeApi();
  seedKubernetes(kube);
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  app = createApp({
    db: handle.db,
    clock,
    registry: createRegistry({ defaultMetrics: false }),
    log: createSilentLogger(),
    tracer: getTracer(),
    tokens: [{ name: 'e2e', role: 'viewer', token }],
    costs: createCostDeps(handle.db, Config.parse({}), createRegistry({ defaultMetrics: false })),
    isReady: () => checkReadiness(handle.db),
  });
  await runCollectors();
}, 240_000);

afterAll(async () => {
  await k8sReader?.stop();
  await kube?.close();
  await sim?.close();
  await handle?.close();
});

describe('jobs and fabric on the simulated fleet', () => {
  it('reads the multi-node Slurm job with all 16 GPUs and shows its straggler GPU', async () => {
    const straggler = byKind('multi-node-straggler');
    const job = await get(`/api/v1/jobs/${straggler.jobId}`);
    expect(job).toMatchObject({ source: 'slurm', gpusAllocated: 16, state: 'running' });
    expect([...job.nodes].sort()).toEqual([...straggler.nodes!].sort());
    expect(job.gpus).toHaveLength(16);
    const slow = job.gpus.find((g: { uuid: string }) => g.uuid === straggler.gpuUuid);
    const peers = job.gpus.filter((g: { uuid: string }) => g.uuid !== straggler.gpuUuid);
    expect(slow.measuredMinutes).toBeGreaterThanOrEqual(10);
    expect(slow.activityMeanRatio).toBeLessThanOrEqual(0.6);
    for (const peer of peers) expect(peer.activityMeanRatio).toBeGreaterThanOrEqual(0.85);
  });

  it('reads the PyTorchJob from Kubernetes, attributes its GPU-minutes by pod label, and shows its congested port', async () => {
    const congested = byKind('ib-congested-port');
    const owner = congested.expect['owner'] as { namespace: string; name: string };
    const id = `${owner.namespace}/PyTorchJob.kubeflow.org/${owner.name}`;
    const job = await get(`/api/v1/jobs/${encodeURIComponent(id)}?source=kubernetes`);
    expect(job).toMatchObject({ source: 'kubernetes', namespace: owner.namespace, state: 'running' });
    expect(job.efficiency.measuredGpuHours).toBeGreaterThan(0);
    const links = await get(
      `/api/v1/links?node=${congested.node}&type=infiniband&from=${new Date(START).toISOString()}`,
    );
    const port = links.data.find((l: { device: string }) => l.device === congested.device);
    expect(port.window.utilizationMaxRatio).toBeGreaterThanOrEqual(
      congested.expect['txUtilizationMin'] as number,
    );
    expect(port.window.xmitWaitPerSecondMean).toBeGreaterThanOrEqual(
      congested.expect['xmitWaitPerSecondMin'] as number,
    );
    const peerWaits = links.data
      .filter((l: { device: string }) => l.device !== congested.device)
      .map((l: { window: { xmitWaitPerSecondMean: number } }) => l.window.xmitWaitPerSecondMean);
    expect(Math.max(...peerWaits)).toBeLessThanOrEqual(
      congested.expect['peerXmitWaitPerSecondMax'] as number,
    );
  });

  it('counts every planted link down of the flapping port and marks it flapping', async () => {
    const flap = byKind('ib-link-flap');
    const links = await get(
      `/api/v1/links?node=${flap.node}&type=infiniband&from=${new Date(START).toISOString()}`,
    );
    const port = links.data.find((l: { device: string }) => l.device === flap.device);
    expect(port.window.linkDowned).toBe(flap.expect['linkDownedIncrease']);
    // node_exporter exports no symbol_error counter; link_error_recovery it does
    expect(port.window.errorDeltas.link_error_recovery).toBe(flap.expect['linkErrorRecoveryIncrease']);
    expect(port.window.flappingMinutes).toBeGreaterThan(0);
    expect(port.window.stateChanges).toBeGreaterThanOrEqual(10);
  });

  it('keeps the rate right across a 32-bit wrap and leaves a counter reset out instead of guessing', async () => {
    const wrap = byKind('ib-counter-wrap');
    const from = new Date(START).toISOString();
    const wrapped = (await get(`/api/v1/links?node=${wrap.node}&type=infiniband&from=${from}`)).data.find(
      (l: { device: string }) => l.device === wrap.device,
    );
    const planted = wrap.expect['bytesPerSecond'] as number;
    expect(wrapped.window.txBytesPerSecondMax).toBeLessThan(planted * 1.05);
    expect(wrapped.window.txBytesPerSecondMean).toBeGreaterThan(planted * 0.95);

    const reset = byKind('ib-counter-reset');
    const after = (await get(`/api/v1/links?node=${reset.node}&type=infiniband&from=${from}`)).data.find(
      (l: { device: string }) => l.device === reset.device,
    );
    expect(after.window.counterIssueMinutes).toBeGreaterThanOrEqual(1);
    expect(after.window.txBytesPerSecondMax).toBeLessThanOrEqual(after.rateBitsPerSecond / 8);
  });

  it('marks the NVLink that reads zero under a busy 8-GPU job as suspect, and its peers not', async () => {
    const zero = byKind('nvlink-zero');
    const links = await get(
      `/api/v1/links?node=${zero.node}&type=nvlink&from=${new Date(START).toISOString()}`,
    );
    const totals = links.data.filter((l: { port: number }) => l.port === -1);
    const suspect = totals.filter((l: { window: { suspectMinutes: number } }) => l.window.suspectMinutes > 0);
    expect(suspect.map((l: { device: string }) => l.device)).toEqual([zero.gpuUuid]);
  });

  it('attributes every closed GPU-minute whose exporter named an owner, Slurm and Kubernetes alike', async () => {
    const rows = await queryRows<{ owner_kind: string; attribution: string | null; n: number }>(
      handle.db,
      sql`select owner_kind, attribution, count(*)::int as n from gpu_rollups
        where owner_kind is not null and bucket < ${new Date(clock.now() - 90_000)} group by 1, 2 order by 1, 2`,
    );
    expect(rows.map((r) => [r.owner_kind, r.attribution])).toEqual([
      ['pod', 'exporter_label'],
      ['slurm', 'exporter_label'],
    ]);
    const jobs = await get(`/api/v1/jobs?from=${new Date(START).toISOString()}&limit=1000`);
    const running = jobs.data.filter((j: { state: string }) => j.state === 'running');
    expect(new Set(running.map((j: { source: string }) => j.source))).toEqual(
      new Set(['slurm', 'kubernetes']),
    );
    // the hanging exporter's node was left out of the scrape: its jobs have no telemetry
    const hanging = byKind('exporter-hang').node;
    const observable = running.filter((j: { nodes: string[] }) => j.nodes.some((n) => n !== hanging));
    expect(observable.length).toBeGreaterThan(5);
    for (const job of observable) expect(job.efficiency.measuredGpuHours).toBeGreaterThan(0);
  });

  it('prices every attributed GPU-minute at the price book rate and adds up to the cent', async () => {
    const price: Record<string, number> = { 'NVIDIA H100 80GB HBM3': 2.99, 'NVIDIA A100-SXM4-80GB': 1.79 };
    const config = Config.parse({ cluster: 'e2e', priceBook: { gpuHourUsd: price } });
    const now = new Date(clock.now());
    await upsertPrices(handle.db, buildPriceBookRows(config.priceBook, now), now);
    const from = new Date(Math.floor(T0 / 3_600_000) * 3_600_000);
    const to = new Date(Math.ceil(clock.now() / 3_600_000) * 3_600_000);
    await allocateRange({ ...allocationOptionsFromConfig(config), db: handle.db, now }, from, to);
    const report = await buildCostReport(handle.db, {
      cluster: 'e2e',
      from,
      to,
      groupBy: 'job',
      sharePolicy: 'none',
    });
    const cents = (v: string) => Math.round(Number(v) * 100);
    expect(report.unpriced).toEqual([]);
    expect(
      report.groups.reduce((s, g) => s + cents(g.costUsd), 0) +
        cents(report.idleCostUsd) +
        cents(report.unallocatedCostUsd),
    ).toBe(cents(report.totalCostUsd));
    // every GPU was seen every minute, so a job's cost is its GPU-minutes × its GPUs' model price (a job may
    // span H100 and A100 nodes; a MIG slice counts its fraction: 2g.20gb = 2/7); the minutes are the jobs
    // API's measured GPU-hours too
    const minutes = await queryRows<{
      job_id: string;
      model: string;
      mig_profile: string | null;
      minutes: number;
    }>(
      handle.db,
      sql`select j.job_id, g.model, g.mig_profile, count(*)::int as minutes from gpu_rollups r
        join jobs j on j.id = r.job_ref join gpus g on g.id = r.gpu_id
        where r.bucket >= ${from} and r.bucket < ${to} group by 1, 2, 3`,
    );
    const expected = new Map<string, { usd: number; hours: number }>();
    for (const m of minutes) {
      const e = expected.get(m.job_id) ?? { usd: 0, hours: 0 };
      const fraction = migUnitsPerMinute(m.mig_profile, m.model) / UNITS_PER_GPU_MINUTE;
      e.usd += (m.minutes / 60) * fraction * (price[m.model] ?? Number.NaN);
      e.hours += m.minutes / 60;
      expected.set(m.job_id, e);
    }
    const jobs = await get(`/api/v1/jobs?from=${new Date(START).toISOString()}&limit=1000`);
    let checked = 0;
    for (const job of jobs.data as { id: string; efficiency: { measuredGpuHours: number } }[]) {
      const group = report.groups.find((g) => g.key === job.id);
      const e = expected.get(job.id);
      if (!group || !e) continue;
      expect(job.efficiency.measuredGpuHours).toBeCloseTo(e.hours, 6);
      expect(Math.abs(cents(group.costUsd) + cents(group.idleCostUsd) - e.usd * 100)).toBeLessThanOrEqual(1);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});

/** One detector family's score over (kind, subject) pairs. */
interface Score {
  precision: number;
  recall: number;
  falsePositives: string[];
  missed: string[];
}

/**
 * Precision over findings, recall over planted pairs `kind|subject`. A finding covers the GPUs of its subject (a
 * job's GPUs, or the GPU, link or node itself); it is right when one of them is planted with its kind.
 */
function score(findings: { kind: string; label: string; covers: string[] }[], planted: string[]): Score {
  const truth = new Set(planted);
  const right = findings.filter((f) => f.covers.some((c) => truth.has(`${f.kind}|${c}`)));
  const covered = new Set(findings.flatMap((f) => f.covers.map((c) => `${f.kind}|${c}`)));
  return {
    precision: findings.length === 0 ? 1 : right.length / findings.length,
    recall: truth.size === 0 ? 1 : [...truth].filter((p) => covered.has(p)).length / truth.size,
    falsePositives: findings.filter((f) => !right.includes(f)).map((f) => f.label),
    missed: [...truth].filter((p) => !covered.has(p)),
  };
}

/** The issue's bar for every detector: precision and recall of 0.95 or more. */
function expectGood(s: Score) {
  expect(s.precision, JSON.stringify(s)).toBeGreaterThanOrEqual(0.95);
  expect(s.recall, JSON.stringify(s)).toBeGreaterThanOrEqual(0.95);
}

describe('the analyzer on the simulated fleet, against its ground truth (precision and recall per detector)', () => {
  // the run covers 14 minutes: windows and look-backs that fit in it (every threshold is configurable)
  const analyzer = Config.parse({
    analyzer: {
      idle: { windowMinutes: 10 },
      bottleneck: { windowMinutes: 10 },
      links: { windowMinutes: 14 },
      health: { windowMinutes: 14 },
      dataQuality: { windowMinutes: 10 },
      capacity: { windowMinutes: 10, minMinutes: 8 },
      rightSizing: { lookbackDays: 1, minHours: 0.15 },
    },
  }).analyzer;
  let found: { kind: string; subject: string; subjectType: string }[];
  /** GPU subjects (uuid, or uuid/instance) of each job id, from what was attributed in the window. */
  const jobGpus = new Map<string, string[]>();
  const covers = (f: { subject: string; subjectType: string }) =>
    f.subjectType === 'job' ? (jobGpus.get(f.subject) ?? []) : [f.subject];
  const family = (kinds: (k: string) => boolean) =>
    found
      .filter((f) => kinds(f.kind))
      .map((f) => ({ kind: f.kind, label: `${f.kind} ${f.subject}`, covers: covers(f) }));
  const all = (kind: string) => truth.filter((t) => t.kind === kind);
  const gpus = (t: Truth) => (t as Truth & { gpuUuids?: string[] }).gpuUuids ?? [t.gpuUuid ?? ''];

  beforeAll(async () => {
    const at = new Date(Math.floor(clock.now() / 60_000) * 60_000 - 60_000);
    const registry = createRegistry({ defaultMetrics: false });
    await runAnalyzerPass(
      { db: handle.db, cluster: 'e2e', config: analyzer, metrics: createAnalyzerMetrics(registry) },
      at,
    );
    found = (
      await queryRows<{ kind: string; subject_id: string; subject_type: string }>(
        handle.db,
        sql`select kind, subject_id, subject_type from findings where status <> 'resolved' order by kind, subject_id`,
      )
    ).map((f) => ({ kind: f.kind, subject: f.subject_id, subjectType: f.subject_type }));
    const held = await queryRows<{ job_id: string; gpu: string }>(
      handle.db,
      sql`select distinct j.job_id, case when g.gpu_instance_id is null then g.uuid
          else g.uuid || '/' || g.gpu_instance_id end as gpu
        from gpu_rollups r join jobs j on j.id = r.job_ref join gpus g on g.id = r.gpu_id`,
    );
    for (const h of held) jobGpus.set(h.job_id, [...(jobGpus.get(h.job_id) ?? []), h.gpu]);
  });

  it('idle: every flat-idle GPU by variant, none of the hard negatives (encoder-only, GR-engine fault, frozen, between two jobs)', () => {
    const planted = expectedIdleGpus(fleet).map((e) => `${e.kind}|${e.subject}`);
    expectGood(
      score(
        family((k) => k.startsWith('idle_gpu_')),
        planted,
      ),
    );
    const negatives = [
      'encoder-only',
      'gr-engine-zero',
      'frozen-exporter',
      'busy-training',
      'memory-bound',
      'job-gap',
    ];
    const never = new Set(truth.filter((t) => negatives.includes(t.kind)).flatMap(gpus));
    expect(
      family((k) => k.startsWith('idle_gpu_')).filter((f) => f.covers.some((c) => never.has(c))),
    ).toEqual([]);
  });

  it('bottleneck: each planted class, and no ordinary job called bottlenecked', () => {
    const classes: Record<string, string> = {
      'memory-bound': 'bottleneck_memory_bound',
      'thermal-throttled': 'bottleneck_throttled',
      'input-bound': 'bottleneck_input_bound',
      'launch-overhead': 'bottleneck_launch_overhead',
      'compute-bound': 'bottleneck_compute_bound',
    };
    const planted = Object.entries(classes).flatMap(([kind, finding]) =>
      all(kind).flatMap((t) => gpus(t).map((g) => `${finding}|${g}`)),
    );
    // a job's finding covers all its GPUs: the input-bound job's two count as one planted subject each
    expectGood(
      score(
        family((k) => k.startsWith('bottleneck_')),
        planted,
      ),
    );
  });

  it('straggler: the slow GPU of the 16-GPU job and no other', () => {
    expectGood(
      score(
        family((k) => k === 'straggler'),
        all('multi-node-straggler').map((t) => `straggler|${t.gpuUuid}`),
      ),
    );
  });

  it('links: the flapping port and the NVLink with errors faulty, the congested port congested; not the wrapped or reset counters', () => {
    const planted = [
      ...all('ib-link-flap').map((t) => `link_faulty|${t.node}/infiniband/${t.device}/1`),
      ...all('nvlink-errors').map((t) => `link_faulty|${t.node}/nvlink/${t.gpuUuid}/-1`),
      ...all('ib-congested-port').map((t) => `link_congested|${t.node}/infiniband/${t.device}/1`),
    ];
    expectGood(
      score(
        family((k) => k.startsWith('link_')),
        planted,
      ),
    );
  });

  it('health: the overheating GPU and the one with rising ECC errors, nothing else', () => {
    const planted = [
      ...all('thermal-throttled').map((t) => `gpu_thermal|${t.gpuUuid}`),
      ...all('ecc-rising').map((t) => `gpu_memory_errors|${t.gpuUuid}`),
    ];
    expectGood(
      score(
        family((k) => k.startsWith('gpu_')),
        planted,
      ),
    );
  });

  it('data quality: the GR-engine fault, the frozen exporter and the NVLink reading zero; no other data in doubt', () => {
    const planted = [
      ...all('gr-engine-zero').map((t) => `data_gr_engine_zero|${t.gpuUuid}`),
      ...all('frozen-exporter').map((t) => `data_frozen_series|${t.gpuUuid}`),
      ...all('nvlink-zero').map((t) => `data_nvlink_suspect|${t.node}/nvlink/${t.gpuUuid}/-1`),
    ];
    expectGood(
      score(
        family((k) => k.startsWith('data_')),
        planted,
      ),
    );
  });

  it('right-sizing: 4 of 8 GPUs idle → fewer GPUs; a small steady job → a MIG slice; nothing for busy jobs', () => {
    const planted = [
      ...all('fewer-gpus').flatMap((t) => gpus(t).map((g) => `right_size_gpus|${g}`)),
      ...all('mig-fits').map((t) => `right_size_mig|${t.gpuUuid}`),
    ];
    expectGood(
      score(
        family((k) => k.startsWith('right_size_')),
        planted,
      ),
    );
  });

  it('configuration drift: the node on another driver, and the node whose MIG layout differs from its pool', () => {
    // a MIG-partitioned GPU in a pool of whole GPUs is a layout that differs within the pool: drift by definition
    const planted = [
      ...all('driver-drift').map((t) => `drift_config|${t.node}`),
      ...all('mig-partitioned').map((t) => `drift_config|${t.node}`),
    ];
    expectGood(
      score(
        family((k) => k === 'drift_config'),
        planted,
      ),
    );
  });
});
