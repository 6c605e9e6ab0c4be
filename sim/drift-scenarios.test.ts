import { describe, expect, it } from 'vitest';
import { type JobRun, judgeJobDrift } from '../analyzer/findings/drift-job-efficiency.js';
import { judgeSpendDrift } from '../analyzer/findings/drift-spend.js';
import { DEFAULT_DRIFT_THRESHOLDS } from '../analyzer/findings/drift-thresholds.js';
import { createDriftFleet } from './drift-fleet.js';
import { driftDays } from './drift-scenarios.js';
import type { DriftScenarioTruth } from './ground-truth.js';
import { parseSeries } from './test-helpers.js';

const startMs = Date.UTC(2026, 10, 20);
const minuteMs = 60_000;
const fleet = createDriftFleet({ seed: 7, startMs });
const truth = fleet.groundTruth().drift!;
type SeriesTruth = Extract<DriftScenarioTruth, { expect: { runs: unknown } }>;
type TeamTruth = Extract<DriftScenarioTruth, { expect: { days: unknown } }>;
const series = truth.filter((t): t is SeriesTruth => 'runs' in t.expect);
const teams = truth.filter((t): t is TeamTruth => 'days' in t.expect);

interface SacctJob {
  job_id: number;
  name: string;
  user: string;
  nodes: string;
  state: { current: string };
  time: { start: number; end: number };
  tres: { allocated: { type: string; name: string | null; count: number }[] };
}

/** The GR-engine lines of a node at `tMs`, by UUID: value and owner labels. */
function readGr(node: string, tMs: number) {
  const lines = parseSeries(fleet.renderNode(node, tMs)!).filter(
    (s) => s.name === 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
  );
  return new Map(lines.map((s) => [s.labels['UUID']!, { value: s.value, labels: s.labels }]));
}

/** Mean GR-engine activity over [from, to) sampled every 15 s, as the collector would average it. */
function measureActivity(node: string, uuid: string, fromMs: number, toMs: number): number {
  let sum = 0;
  let n = 0;
  for (let t = fromMs; t < toMs; t += 15_000, n++) sum += readGr(node, t).get(uuid)!.value;
  return sum / n;
}

describe('the drift fleet', () => {
  it('is two H100 nodes, one Slurm and one Kubernetes, with no GPU held before the first day', () => {
    expect(fleet.nodes.map((n) => [n.scheduler, n.model.name])).toEqual([
      ['slurm', 'NVIDIA H100 80GB HBM3'],
      ['kubernetes', 'NVIDIA H100 80GB HBM3'],
    ]);
    expect(fleet.days).toHaveLength(driftDays);
    expect(fleet.days[0]).toBe(startMs);
    for (const node of fleet.nodes) {
      for (const { value, labels } of readGr(node.name, fleet.windows[0]!.fromMs - minuteMs).values()) {
        expect(value).toBe(0);
        expect(labels['hpc_job'] ?? labels['pod']).toBeUndefined();
      }
    }
  });

  it('is the same for a seed and differs for another', () => {
    const again = createDriftFleet({ seed: 7, startMs });
    expect(again.groundTruth()).toEqual(fleet.groundTruth());
    const t = fleet.windows[2]!.fromMs + 7 * minuteMs;
    expect(again.renderNode(fleet.nodes[1]!.name, t)).toBe(fleet.renderNode(fleet.nodes[1]!.name, t));
    const other = createDriftFleet({ seed: 8, startMs }).groundTruth().drift!;
    expect(other.map((s) => s.kind)).toEqual(truth.map((s) => s.kind));
    expect(other).not.toEqual(truth);
  });

  it('plants three recurring series and three teams, one of each a drift, the rest hard negatives', () => {
    expect(truth.map((t) => [t.kind, t.expect.finding])).toEqual([
      ['job-drift-latest', 'drift_job_efficiency'],
      ['job-drift-gradual', 'drift_job_efficiency'],
      ['job-steady-noisy', null],
      ['spend-jump', 'drift_spend'],
      ['spend-growth', null],
      ['spend-fall', null],
    ]);
  });

  it('windows cover every run and pod, and every GPU is unallocated and idle between them', () => {
    const spans = [
      ...series.flatMap((s) => s.expect.runs),
      ...teams.flatMap((t) => t.expect.days.map((d) => ({ fromMs: d.fromMs, toMs: d.toMs }))),
    ];
    for (const span of spans) {
      const window = fleet.windows.find((w) => w.fromMs <= span.fromMs && span.toMs <= w.toMs);
      expect(window).toBeDefined();
    }
    for (const window of fleet.windows) {
      for (const node of fleet.nodes) {
        for (const { value, labels } of readGr(node.name, window.toMs).values()) {
          expect(value).toBe(0);
          expect(labels['hpc_job'] ?? labels['pod']).toBeUndefined();
        }
      }
    }
  });
});

describe('recurring Slurm series', () => {
  const sacct: SacctJob[] = JSON.parse(
    fleet.renderSacctJson(startMs, startMs + (driftDays + 1) * 86_400_000),
  ).jobs;

  it('runs 8 times each with the same name, user and GPU count, COMPLETED in sacct at the planted times', () => {
    expect(sacct).toHaveLength(series.length * 8);
    for (const s of series) {
      expect(s.expect.runs).toHaveLength(8);
      expect(s.expect.subject.id).toBe(s.expect.runs.at(-1)!.jobId);
      for (const run of s.expect.runs) {
        const job = sacct.find((j) => String(j.job_id) === run.jobId)!;
        expect([job.name, job.user, job.state.current, job.nodes]).toEqual([
          s.expect.name,
          s.expect.user,
          'COMPLETED',
          s.node,
        ]);
        expect([job.time.start * 1000, job.time.end * 1000]).toEqual([run.fromMs, run.toMs]);
        expect(job.tres.allocated.find((a) => a.type === 'gres' && a.name === 'gpu')?.count).toBe(2);
        expect(run.toMs - run.fromMs).toBe(12 * minuteMs);
      }
    }
  });

  it('labels its GPUs with the run while it runs and with nothing once it ended', () => {
    for (const s of series) {
      for (const run of s.expect.runs) {
        const during = readGr(s.node, run.fromMs + 6 * minuteMs);
        const after = readGr(s.node, run.toMs);
        for (const uuid of s.gpuUuids) {
          expect(during.get(uuid)!.labels['hpc_job']).toBe(run.jobId);
          expect(after.get(uuid)!.labels['hpc_job']).toBeUndefined();
        }
      }
    }
  });

  it('runs each at its planted activity, and the detector judges the sampled runs as planted', () => {
    for (const s of series) {
      const runs: JobRun[] = s.expect.runs.map((run, i) => {
        const efficiency = measureActivity(s.node, s.gpuUuids[0]!, run.fromMs, run.toMs);
        expect(efficiency, `${s.id} run ${i}`).toBeCloseTo(run.activityLevel, 1);
        return {
          id: i,
          jobId: run.jobId,
          name: s.expect.name,
          user: s.expect.user,
          gpusAllocated: 2,
          team: null,
          startedAt: new Date(run.fromMs),
          endedAt: new Date(run.toMs),
          minutes: 24,
          efficiency,
        };
      });
      const verdict = judgeJobDrift(runs, DEFAULT_DRIFT_THRESHOLDS)!;
      expect([verdict.drifted, verdict.test], s.id).toEqual([s.expect.finding !== null, s.expect.test]);
    }
    // the noisy series' newest run is its lowest, more than the drop share under the mean: only the test holds it
    const noisy = series.find((s) => s.kind === 'job-steady-noisy')!.expect.runs.map((r) => r.activityLevel);
    expect(Math.min(...noisy)).toBe(noisy.at(-1));
    const mean = noisy.slice(0, -1).reduce((a, b) => a + b, 0) / 7;
    expect((mean - noisy.at(-1)!) / mean).toBeGreaterThan(DEFAULT_DRIFT_THRESHOLDS.jobDropShare);
  });
});

describe('team CronJobs on Kubernetes', () => {
  it('runs one pod a day per team, labelled on its GPUs only while it runs', () => {
    expect(fleet.pods).toHaveLength(teams.length * driftDays);
    for (const t of teams) {
      for (const day of t.expect.days) {
        expect(day.gpuMinutes).toBe(((day.toMs - day.fromMs) / minuteMs) * t.gpuUuids.length);
        const during = readGr(t.node, day.fromMs);
        const after = readGr(t.node, day.toMs);
        for (const uuid of t.gpuUuids) {
          expect(during.get(uuid)!.labels).toMatchObject({ namespace: t.expect.namespace, pod: day.pod });
          expect(after.get(uuid)!.labels['pod']).toBeUndefined();
        }
      }
    }
  });

  it('shows each pod Running, then Succeeded with its end as finishedAt, owned by a Job of a CronJob', () => {
    const t = teams[0]!;
    const day = t.expect.days[1]!;
    const find = (tMs: number) => {
      const objects = fleet.listKubernetesObjects(tMs);
      const pod = objects.pods.find((p) => (p['metadata'] as { name: string }).name === day.pod);
      return {
        pod: pod as { metadata: Record<string, unknown>; status: Record<string, unknown> } | undefined,
        objects,
      };
    };
    expect(find(day.fromMs - 30_000).pod).toBeUndefined();
    const running = find(day.fromMs + minuteMs).pod!;
    expect(running.status['phase']).toBe('Running');
    expect(running.metadata['labels']).toMatchObject({ team: t.expect.subject.id, 'job-name': day.job });
    const { pod: done, objects } = find(day.toMs);
    expect(done!.status['phase']).toBe('Succeeded');
    const [container] = done!.status['containerStatuses'] as {
      state: { terminated: { finishedAt: string } };
    }[];
    expect(Date.parse(container!.state.terminated.finishedAt)).toBe(day.toMs);
    expect(Number(done!.metadata['resourceVersion'])).toBeGreaterThan(
      Number(running.metadata['resourceVersion']),
    );
    const job = objects.owners.find(
      (o) => o['kind'] === 'Job' && (o['metadata'] as { name: string }).name === day.job,
    );
    const cronRef = (job!['metadata'] as { ownerReferences: { kind: string; name: string }[] })
      .ownerReferences[0];
    expect(cronRef).toMatchObject({ kind: 'CronJob' });
    expect(objects.owners.some((o) => o['kind'] === 'CronJob')).toBe(true);
  });

  it('gives the spend detector a last-day jump, a rise along the trend and a fall, as planted', () => {
    const usd = (minutes: number) => (minutes / 60) * 2.99;
    for (const t of teams) {
      const daily = t.expect.days.map((d) => usd(d.gpuMinutes));
      const verdict = judgeSpendDrift(daily.slice(0, -1), daily.at(-1)!, {
        ...DEFAULT_DRIFT_THRESHOLDS,
        spendTrendDays: 5,
        spendMinDays: 5,
        spendMinUsd: 5,
        spendSdFloorUsd: 1,
      })!;
      expect(verdict.drifted, t.id).toBe(t.expect.finding !== null);
    }
    const growth = teams.find((t) => t.kind === 'spend-growth')!.expect.days.map((d) => d.gpuMinutes);
    expect(Math.max(...growth)).toBe(growth.at(-1));
  });
});
