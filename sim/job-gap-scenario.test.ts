import { describe, expect, it } from 'vitest';
import { expectedIdleGpus } from './expected-findings.js';
import { createFleet } from './fleet.js';
import { type ScenarioTruth, scenarioKinds } from './ground-truth.js';
import { findSeries, parseSeries, readValue } from './test-helpers.js';

/** The integration test's fleet and run: scrapes every 15 s from 26 to 40 minutes after the start. */
const startMs = Date.UTC(2026, 11, 1);
const minuteMs = 60_000;
const fleet = createFleet({ seed: 42, nodeCount: 20, startMs, nvlinkErrorCounters: true });
const truth = fleet.groundTruth();
const gaps = truth.scenarios.filter(
  (s): s is Extract<ScenarioTruth, { kind: 'job-gap' }> => s.kind === 'job-gap',
);
const gap = gaps[0]!;
const { gapFromMs, gapToMs, jobBefore, jobAfter } = gap.expect;
const node = fleet.getNode(gap.node)!;
const gpu = node.gpus.find((g) => g.uuid === gap.gpuUuid)!;
const ticks = Array.from({ length: 57 }, (_, i) => startMs + 26 * minuteMs + i * 15_000);

type Phase = 'before' | 'gap' | 'after';
const phaseAt = (tMs: number): Phase => (tMs < gapFromMs ? 'before' : tMs < gapToMs ? 'gap' : 'after');

interface SqueueJob {
  job_id: number;
  job_state: string;
  nodes: string;
  gres_detail: string[];
}

interface SacctJob {
  job_id: number;
  nodes: string;
  state: { current: string };
  time: { start: number; end: number; submission: number };
  tres: { allocated: { type: string; name: string | null; count: number }[] };
}

function readSqueue(tMs: number): SqueueJob[] {
  return JSON.parse(fleet.renderSqueueJson(tMs)).jobs;
}

function readSacct(fromMs: number, toMs: number): Map<string, SacctJob> {
  const jobs: SacctJob[] = JSON.parse(fleet.renderSacctJson(fromMs, toMs)).jobs;
  return new Map(jobs.map((job) => [String(job.job_id), job]));
}

describe('job-gap placement', () => {
  it('plants one per started 500 nodes, on a Slurm GPU no other scenario names, 33-35 minutes in', () => {
    expect(gaps).toHaveLength(1);
    expect(node.scheduler).toBe('slurm');
    expect(gapFromMs).toBe(startMs + 33 * minuteMs);
    expect(gapToMs - gapFromMs).toBe(2 * minuteMs);
    expect([gap.fromMs, gap.toMs]).toEqual([gapFromMs, gapToMs]);
    const others = truth.scenarios.filter((s) => s !== gap);
    const named = others.flatMap((s) => [s.gpuUuid, ...('gpuUuids' in s ? s.gpuUuids : [])]);
    expect(named).not.toContain(gap.gpuUuid);
    const firstAnalyzerKind = scenarioKinds.indexOf('idle-allocated');
    for (const s of others.filter((s) => (s.nodes ?? [s.node]).includes(gap.node)))
      expect(scenarioKinds.indexOf(s.kind), s.id).toBeGreaterThanOrEqual(firstAnalyzerKind);
    expect(others.find((s) => s.kind === 'fewer-gpus')?.node).not.toBe(gap.node);
    const large = createFleet({ seed: 7, nodeCount: 1250, startMs }).groundTruth().scenarios;
    const largeGaps = large.filter((s) => s.kind === 'job-gap');
    expect(largeGaps).toHaveLength(3);
    expect(new Set(largeGaps.map((s) => s.node)).size).toBe(3);
  });

  it('is no idle GPU for the idle detector', () => {
    expect(expectedIdleGpus(fleet).map((e) => e.subject)).not.toContain(gap.gpuUuid);
  });
});

describe('job-gap in the dcgm-exporter text', () => {
  it('labels the GPU with job A, then no owner for 2 minutes, then job B, busy / exactly 0 / busy', () => {
    const seen = new Set<Phase>();
    for (const tMs of ticks) {
      const series = parseSeries(fleet.renderNode(gap.node, tMs)!);
      const match = { UUID: gap.gpuUuid! };
      const lines = findSeries(series, 'DCGM_FI_DEV_FB_USED', match);
      expect(lines).toHaveLength(1);
      const labels = lines[0]!.labels;
      const activity = readValue(series, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', match);
      const idleBit = readValue(series, 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', match) & 0x1;
      const phase = phaseAt(tMs);
      seen.add(phase);
      expect(labels['pod'], String(tMs)).toBeUndefined();
      if (phase === 'gap') {
        expect(labels['hpc_job']).toBeUndefined();
        expect(activity).toBe(0);
        expect(lines[0]!.value).toBe(0);
        expect(idleBit).toBe(1);
      } else {
        expect(labels['hpc_job']).toBe(phase === 'before' ? jobBefore : jobAfter);
        expect(activity).toBeGreaterThan(0.2);
        expect(lines[0]!.value).toBeGreaterThan(10_000);
        expect(idleBit).toBe(0);
      }
    }
    expect([...seen]).toEqual(['before', 'gap', 'after']);
  });

  it('keeps the energy counter the exact integral: it grows at about idle power across the gap', () => {
    const energyJ = (tMs: number) =>
      readValue(parseSeries(fleet.renderNode(gap.node, tMs)!), 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', {
        UUID: gap.gpuUuid!,
      }) / 1000;
    const gapMeanW = (energyJ(gapToMs - 1) - energyJ(gapFromMs)) / ((gapToMs - 1 - gapFromMs) / 1000);
    expect(gapMeanW).toBeGreaterThan(node.model.powerIdleW * 0.9);
    expect(gapMeanW).toBeLessThan(node.model.powerIdleW * 1.1);
    const beforeMeanW = (energyJ(gapFromMs) - energyJ(gapFromMs - 2 * minuteMs)) / 120;
    expect(beforeMeanW).toBeGreaterThan(node.model.powerIdleW * 1.5);
    for (let i = 1; i < ticks.length; i++) expect(energyJ(ticks[i]!)).toBeGreaterThan(energyJ(ticks[i - 1]!));
  });

  it('moves only the InfiniBand management floor (2 kB/s) on its port during the gap', () => {
    const txBytes = (tMs: number) =>
      fleet.sampleIbPorts(gap.node, tMs)![gpu.index]!.counters.port_xmit_data * 4;
    const gapRate = (txBytes(gapToMs - 1_000) - txBytes(gapFromMs)) / 119;
    expect(gapRate).toBeCloseTo(2_000, -1);
    expect((txBytes(gapFromMs) - txBytes(gapFromMs - minuteMs)) / 60).toBeGreaterThan(10 * gapRate);
  });
});

describe('job-gap in Slurm', () => {
  it('shows job A COMPLETED at the gap start and job B RUNNING from its end in sacct --json', () => {
    const jobs = readSacct(startMs + 26 * minuteMs, startMs + 40 * minuteMs);
    const a = jobs.get(jobBefore)!;
    const b = jobs.get(jobAfter)!;
    expect(a.state.current).toBe('COMPLETED');
    expect(a.time.end).toBe(gapFromMs / 1000);
    expect(a.time.start).toBeLessThan(startMs / 1000);
    expect(b.state.current).toBe('RUNNING');
    expect(b.time.start).toBe(gapToMs / 1000);
    expect(b.time.submission).toBeLessThan(b.time.start);
    for (const job of [a, b]) {
      expect(job.nodes).toBe(gap.node);
      expect(job.tres.allocated.find((t) => t.type === 'gres' && t.name === 'gpu')?.count).toBe(1);
    }
  });

  it('shows job A RUNNING and job B absent in sacct as of a time before the gap', () => {
    const jobs = readSacct(startMs, gapFromMs - 1_000);
    expect(jobs.get(jobBefore)?.state.current).toBe('RUNNING');
    expect(jobs.has(jobAfter)).toBe(false);
    expect(readSacct(startMs, gapFromMs + minuteMs).get(jobBefore)?.state.current).toBe('COMPLETED');
  });

  it('runs job A on the GPU index in squeue and scontrol before the gap, neither job in it, job B after', () => {
    const idx = `gpu:${node.model.name.includes('A100') ? 'a100' : 'h100'}:1(IDX:${gpu.index})`;
    for (const tMs of [
      gapFromMs - 15_000,
      gapFromMs,
      gapFromMs + minuteMs,
      gapToMs,
      gapToMs + 5 * minuteMs,
    ]) {
      const phase = phaseAt(tMs);
      const running = readSqueue(tMs).filter((job) => [jobBefore, jobAfter].includes(String(job.job_id)));
      const scontrolA = fleet.renderScontrolShowJobs(tMs, Number(jobBefore));
      const scontrolB = fleet.renderScontrolShowJobs(tMs, Number(jobAfter));
      if (phase === 'gap') {
        expect(running, String(tMs)).toEqual([]);
        expect(scontrolA).toBe('slurm_load_jobs error: Invalid job id specified\n');
        expect(scontrolB).toBe('slurm_load_jobs error: Invalid job id specified\n');
        continue;
      }
      const id = phase === 'before' ? jobBefore : jobAfter;
      expect(running.map((job) => String(job.job_id))).toEqual([id]);
      expect(running[0]!.job_state).toBe('RUNNING');
      expect(running[0]!.nodes).toBe(gap.node);
      expect(running[0]!.gres_detail).toEqual([idx]);
      const text = phase === 'before' ? scontrolA : scontrolB;
      expect(text).toContain(`JobId=${id} `);
      expect(text).toContain(`Nodes=${gap.node} `);
      expect(text).toContain(`GRES=${idx}`);
    }
  });
});
