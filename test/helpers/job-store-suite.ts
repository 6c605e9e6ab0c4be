import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lookupField } from '../../collector/dcgm/fields.js';
import type { GpuLabels } from '../../collector/dcgm/normalize.js';
import { createJobMetrics } from '../../collector/jobs/metrics.js';
import { attributeRollups, upsertJobs } from '../../collector/jobs/queries.js';
import { findJobs, listJobGpus, listJobs } from '../../collector/jobs/read-queries.js';
import { runAttributionTick } from '../../collector/jobs/run-attribution-tick.js';
import { type JobReader, JobReadersState, runJobsTick } from '../../collector/jobs/run-jobs-tick.js';
import type { JobRecord } from '../../collector/jobs/types.js';
import { type LinkRollupWrite, listLinkSummaries, writeLinkRollups } from '../../collector/link-queries.js';
import { listTargets } from '../../collector/queries.js';
import { RollupAccumulator } from '../../collector/rollup/accumulate.js';
import { EntityIdCache, flushRollups } from '../../collector/rollup/write.js';
import { createManualClock } from '../../core/clock.js';
import { type DbHandle, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry } from '../../core/telemetry.js';

const t0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const minute = 60_000;

export function makeJob(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    source: 'slurm',
    cluster: 'jobs-test',
    jobId: '4242',
    name: 'train',
    user: 'alice',
    account: 'ml',
    namespace: null,
    partition: 'gpu',
    team: 'vision',
    project: null,
    state: 'running',
    rawState: 'RUNNING',
    submittedAt: new Date(t0 - minute),
    startedAt: new Date(t0),
    endedAt: null,
    gpusRequested: 2,
    gpusAllocated: 2,
    gpuType: 'h100',
    nodes: ['jn-1'],
    allocations: [
      { node: 'jn-1', gpuIndex: 0, gpuUuid: null, migProfile: null },
      { node: 'jn-1', gpuIndex: 1, gpuUuid: null, migProfile: null },
    ],
    schedulerGpuUsage: null,
    owners: [],
    labels: {},
    ...overrides,
  };
}

function gpu(index: number, owner: Record<string, string>): GpuLabels {
  return {
    uuid: `GPU-0000000${index}-aaaa-bbbb-cccc-dddddddddddd`,
    gpuInstanceId: null,
    gpuIndex: index,
    device: `nvidia${index}`,
    model: 'NVIDIA H100 80GB HBM3',
    pciBusId: null,
    migProfile: null,
    hostname: 'jn-1',
    driverVersion: null,
    owner,
  };
}

/** GPU 0 says hpc_job=4242, GPU 1 names no owner (scheduler must find it), GPU 2 a pod, GPU 3 nothing at all. */
async function writeMinutes(handle: DbHandle, minutes: number, owners: Record<string, string>[]) {
  const acc = new RollupAccumulator();
  const active = lookupField('DCGM_FI_PROF_GR_ENGINE_ACTIVE')!;
  for (let i = 0; i < minutes * 4; i++) {
    for (const [index, owner] of owners.entries()) {
      acc.observe('jn-1', gpu(index, owner), active, 0.5, t0 + i * 15_000);
    }
  }
  await flushRollups(handle.db, 'jobs-test', acc, new EntityIdCache(), t0 + (minutes + 1) * minute, {
    includeOpen: true,
  });
}

async function attributionOf(handle: DbHandle) {
  return queryRows<{ gpu_index: number; bucket: Date; attribution: string | null; job_id: string | null }>(
    handle.db,
    sql`select g.gpu_index, r.bucket, r.attribution, j.job_id from gpu_rollups r join gpus g on g.id = r.gpu_id
      join nodes n on n.id = g.node_id left join jobs j on j.id = r.job_ref
      where n.cluster = 'jobs-test' order by g.gpu_index, r.bucket`,
  );
}

function linkMinute(minuteIndex: number, overrides: Partial<LinkRollupWrite> = {}): LinkRollupWrite {
  return {
    node: 'jn-1',
    linkType: 'infiniband',
    device: 'mlx5_0',
    port: 1,
    rateBitsPerSecond: 400e9,
    state: 'ACTIVE',
    physState: 'LinkUp',
    gpuIndices: [0, 1],
    bucketStartMs: t0 + minuteIndex * minute,
    sampleCount: 4,
    txBytesPerSecondMean: 10e9,
    txBytesPerSecondMax: 20e9,
    rxBytesPerSecondMean: 5e9,
    rxBytesPerSecondMax: 6e9,
    utilizationMaxRatio: 0.4,
    xmitWaitTicksPerSecondMean: 1000,
    errorDeltas: minuteIndex === 1 ? { symbol_error: 3, link_downed: 1 } : {},
    errorTotal: minuteIndex === 1 ? 4 : 0,
    linkDownedTotal: minuteIndex === 1 ? 1 : 0,
    stateChanges: minuteIndex === 1 ? 2 : 0,
    flapping: false,
    counterIssues: 0,
    suspectSamples: 0,
    ...overrides,
  };
}

/** Jobs and attribution on a migrated store; runs inside defineStoreSuite on both backends. */
export function defineJobStoreTests(getHandle: () => DbHandle) {
  describe('jobs and attribution', () => {
    const window = {
      from: new Date(t0),
      to: new Date(t0 + 10 * minute),
      settledBefore: new Date(t0 + 10 * minute),
      retryFrom: new Date(t0),
    };
    const owners: Record<string, string>[] = [
      { hpc_job: '4242' },
      {},
      { pod: 'web-7d9f-x2', namespace: 'serving' },
      {},
    ];

    it('upserts jobs by scheduler id and replaces their GPUs when a job is seen again', async () => {
      const handle = getHandle();
      const first = await upsertJobs(handle.db, [makeJob()], new Date(t0));
      const again = await upsertJobs(
        handle.db,
        [makeJob({ state: 'completed', rawState: 'COMPLETED', endedAt: new Date(t0 + 3 * minute) })],
        new Date(t0 + 5 * minute),
      );
      expect([...again.values()]).toEqual([...first.values()]);
      const [job] = await findJobs(handle.db, '4242', 'slurm');
      expect(job).toMatchObject({ state: 'completed', gpus_allocated: 2, nodes: ['jn-1'], team: 'vision' });
      const allocated = await queryRows<{ n: number }>(
        handle.db,
        sql`select count(*)::int as n from job_gpus where job_ref = ${job!.id}`,
      );
      expect(allocated[0]?.n).toBe(2);
      // sacct's view of the finished job has counts but no indices: the indices learnt while it ran stay
      await upsertJobs(
        handle.db,
        [makeJob({ state: 'completed', endedAt: new Date(t0 + 3 * minute), allocations: [] })],
        new Date(t0 + 6 * minute),
      );
      const kept = await queryRows<{ n: number }>(
        handle.db,
        sql`select count(*)::int as n from job_gpus where job_ref = ${job!.id}`,
      );
      expect(kept[0]?.n).toBe(2);
    });

    it('attributes minutes by exporter label, then scheduler allocation, and marks the rest unattributed', async () => {
      const handle = getHandle();
      await upsertJobs(
        handle.db,
        [
          makeJob({
            source: 'kubernetes',
            jobId: 'serving/Deployment/web',
            pods: ['serving/web-7d9f-x2'],
            allocations: [],
            nodes: ['jn-1'],
            gpusAllocated: 1,
          }),
        ],
        new Date(t0),
      );
      await writeMinutes(handle, 4, owners);
      const versionOf = async () =>
        (
          await queryRows<{ v: number }>(
            handle.db,
            sql`select change_version as v from job_usage_hours where hour = date_trunc('hour', ${new Date(t0)}::timestamptz)`,
          )
        )[0];
      const written = await versionOf();
      expect(written).toBeDefined();
      const counts = await attributeRollups(handle.db, window);
      // minutes given a job change their hour's job-usage summary
      expect((await versionOf())?.v).toBeGreaterThan(written?.v ?? 0);
      const rows = await attributionOf(handle);
      const byGpu = (index: number) => rows.filter((r) => r.gpu_index === index);
      expect(byGpu(0).every((r) => r.attribution === 'exporter_label' && r.job_id === '4242')).toBe(true);
      // the job ended at t0+3min: its last minute on GPU 1 is no longer the scheduler's
      expect(byGpu(1).map((r) => r.attribution)).toEqual([
        'scheduler',
        'scheduler',
        'scheduler',
        'unattributed',
      ]);
      expect(byGpu(2).every((r) => r.job_id === 'serving/Deployment/web')).toBe(true);
      expect(byGpu(3).every((r) => r.attribution === 'unattributed')).toBe(true);
      expect(counts).toEqual({ exporterLabel: 8, scheduler: 3, unattributed: 5 });
    });

    it('lets a job that arrives late claim minutes already marked unattributed', async () => {
      const handle = getHandle();
      await upsertJobs(
        handle.db,
        [
          makeJob({
            jobId: '5000',
            allocations: [{ node: 'jn-1', gpuIndex: 3, gpuUuid: null, migProfile: null }],
          }),
        ],
        new Date(t0 + 9 * minute),
      );
      const counts = await attributeRollups(handle.db, window);
      expect(counts.scheduler).toBe(4);
      const rows = await attributionOf(handle);
      expect(rows.filter((r) => r.gpu_index === 3).every((r) => r.job_id === '5000')).toBe(true);
    });

    it('retries unattributed minutes only from retryFrom, so old unowned minutes are not rescanned every pass', async () => {
      const handle = getHandle();
      const late = makeJob({
        jobId: '6000',
        startedAt: new Date(t0 + 3 * minute),
        allocations: [{ node: 'jn-1', gpuIndex: 1, gpuUuid: null, migProfile: null }],
      });
      await upsertJobs(handle.db, [late], new Date(t0 + 9 * minute));
      // GPU 1's minute at t0+3 min is unattributed (4242 ended then, 6000 started); a retry window after it skips it
      const skipped = await attributeRollups(handle.db, { ...window, retryFrom: new Date(t0 + 4 * minute) });
      expect(skipped.scheduler).toBe(0);
      const claimed = await attributeRollups(handle.db, window);
      expect(claimed.scheduler).toBe(1);
      const rows = await attributionOf(handle);
      expect(
        rows.find((r) => r.gpu_index === 1 && new Date(r.bucket).getTime() === t0 + 3 * minute)?.job_id,
      ).toBe('6000');
    });

    it('clears attribution when a minute is rewritten, so the next pass looks again', async () => {
      const handle = getHandle();
      await writeMinutes(handle, 4, owners);
      const pending = await attributionOf(handle);
      expect(pending.every((r) => r.attribution === null)).toBe(true);
      await attributeRollups(handle.db, window);
      const rows = await attributionOf(handle);
      expect(rows.filter((r) => r.gpu_index === 0).every((r) => r.job_id === '4242')).toBe(true);
    });

    it('lists jobs in a window with efficiency from their attributed minutes', async () => {
      const handle = getHandle();
      const jobs = await listJobs(handle.db, {
        from: new Date(t0),
        to: new Date(t0 + 10 * minute),
        limit: 10,
      });
      const job = jobs.find((j) => j.job_id === '4242');
      // GPU 0 by label (4 minutes) + GPU 1 by scheduler (3 minutes)
      expect(job).toMatchObject({ measured_gpu_minutes: 7 });
      expect(Number(job?.activity_mean)).toBeCloseTo(0.5, 10);
      const filtered = await listJobs(handle.db, {
        from: new Date(t0),
        to: new Date(t0 + minute),
        team: 'nobody',
        limit: 10,
      });
      expect(filtered).toEqual([]);
      const gpus = await listJobGpus(handle.db, job!.id);
      expect(gpus.map((g) => [g.gpu_index, g.measured_minutes])).toEqual([
        [0, 4],
        [1, 3],
      ]);
    });

    it('stores link minutes idempotently and summarises them per link over a window', async () => {
      const handle = getHandle();
      const minutes = [0, 1, 2, 3].map((i) => linkMinute(i));
      await writeLinkRollups(handle.db, 'jobs-test', minutes, new Date(t0 + 5 * minute));
      await writeLinkRollups(handle.db, 'jobs-test', minutes, new Date(t0 + 5 * minute));
      // a partial replay of minute 3 must not replace the fuller row
      await writeLinkRollups(
        handle.db,
        'jobs-test',
        [linkMinute(3, { sampleCount: 1, txBytesPerSecondMean: 0 })],
        new Date(t0 + 6 * minute),
      );
      const [link] = await listLinkSummaries(handle.db, {
        from: new Date(t0),
        to: new Date(t0 + 10 * minute),
        node: 'jn-1',
        limit: 10,
      });
      expect(link).toMatchObject({
        device: 'mlx5_0',
        port: 1,
        minutes: 4,
        gpu_indices: [0, 1],
        state_changes: 2,
      });
      expect(Number(link?.tx_bytes_per_second_mean)).toBeCloseTo(10e9, 0);
      expect(Number(link?.errors_total)).toBe(4);
      expect(link?.error_deltas).toEqual({ symbol_error: 3, link_downed: 1 });
    });

    it('shows a job the links that served its GPUs while it ran', async () => {
      const handle = getHandle();
      await writeLinkRollups(
        handle.db,
        'jobs-test',
        [linkMinute(0, { device: 'mlx5_5', gpuIndices: [5] })],
        new Date(t0 + 5 * minute),
      );
      const [job] = await findJobs(handle.db, '4242', 'slurm');
      const links = await listLinkSummaries(handle.db, {
        from: new Date(t0),
        to: new Date(t0 + 3 * minute),
        nodes: job!.nodes,
        gpuIndices: [0, 1],
        limit: 10,
      });
      expect(links.map((l) => [l.device, l.minutes])).toEqual([['mlx5_0', 3]]);
    });

    it('records a failing scheduler as a target error without stopping the others or losing stored jobs', async () => {
      const handle = getHandle();
      const registry = createRegistry({ defaultMetrics: false });
      const metrics = createJobMetrics(registry);
      const readers: JobReader[] = [
        {
          source: 'slurm',
          target: 'slurm://jobs-test',
          read: async () => {
            throw new Error('sacct timed out after 30 s');
          },
        },
        {
          source: 'kubernetes',
          target: 'https://kube.example:6443',
          read: async () => ({
            jobs: [makeJob({ source: 'kubernetes', jobId: 'ml/Job/etl', team: 'data', pods: ['ml/etl-1'] })],
            issues: [
              { source: '/api/v1/pods', line: null, field: 'metadata', jobId: null, message: 'no name' },
            ],
            errors: [],
          }),
        },
      ];
      const deps = {
        db: handle.db,
        clock: createManualClock(t0 + 20 * minute),
        log: createSilentLogger(),
        metrics,
      };
      const summary = await runJobsTick(deps, new JobReadersState(), readers);
      expect(summary).toEqual({ jobs: 1, issues: 1, failedReaders: 1 });
      const targets = await listTargets(handle.db);
      expect(targets.find((t) => t.url === 'slurm://jobs-test')).toMatchObject({
        kind: 'slurm',
        up: false,
        lastError: 'sacct timed out after 30 s',
        consecutiveFailures: 1,
      });
      expect(targets.find((t) => t.url === 'https://kube.example:6443')).toMatchObject({
        up: true,
        lastIssueCount: 1,
      });
      expect(await findJobs(handle.db, '4242', 'slurm')).toHaveLength(1);
      const text = await registry.metrics();
      expect(text).toContain('gpuscope_jobs_read_failures_total{source="slurm"} 1');
      expect(text).toContain('gpuscope_jobs_record_issues_total{source="kubernetes"} 1');
    });

    it('publishes running jobs, allocated GPUs and activity per team after attributing', async () => {
      const handle = getHandle();
      const registry = createRegistry({ defaultMetrics: false });
      const metrics = createJobMetrics(registry);
      await runAttributionTick({ db: handle.db, clock: createManualClock(t0 + 12 * minute), metrics });
      const text = await registry.metrics();
      expect(text).toContain('gpuscope_jobs_gpus_allocated{source="kubernetes",team="data"} 2');
      expect(text).toMatch(/gpuscope_team_gpu_activity_ratio\{team="vision"\} 0\.5/);
    });
  });
}
