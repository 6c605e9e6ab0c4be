import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createFleet } from '../fleet.js';
import { formatHostlist, formatIndexRanges } from '../formats/hostlist.js';
import { parseSeries } from '../test-helpers.js';

const referenceDir = new URL('../../test/fixtures/jobs/sim-reference/', import.meta.url);
const readReference = (name: string) => readFileSync(new URL(name, referenceDir), 'utf8');
const realSacct = JSON.parse(readReference('sacct.json'));
const realSqueue = JSON.parse(readReference('squeue-running.json'));
const realScontrol = readReference('scontrol-show-job-d-running.txt');

const startMs = Date.UTC(2025, 5, 2, 8);
const fleet = createFleet({ seed: 2024, nodeCount: 24, startMs });
const tMs = startMs + 2 * 3_600_000;
const straggler = fleet.groundTruth().scenarios.find((s) => s.kind === 'multi-node-straggler')!;

/** Key paths in order (arrays by their first element), so two payloads compare in shape only. */
function shapeOf(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [`${path}[]`] : shapeOf(value[0], `${path}[]`);
  if (value === null || typeof value !== 'object') return [path];
  return Object.entries(value).flatMap(([key, child]) => [
    `${path}.${key}`,
    ...shapeOf(child, `${path}.${key}`),
  ]);
}

/** Drops the paths under maps keyed by data (core numbers) and under arrays empty in one payload. */
function comparable(paths: string[]): string[] {
  return paths.filter((p) => !/\.sockets\./.test(p) && !p.startsWith('.steps') && p !== '.gres_detail[]');
}

describe('renderSacctJson', () => {
  const sacct = JSON.parse(fleet.renderSacctJson(startMs, tMs));

  it('has the top-level shape and meta of a real Slurm 22.05 sacct --json', () => {
    expect(Object.keys(sacct)).toEqual(Object.keys(realSacct));
    expect(sacct.meta).toEqual(realSacct.meta);
    expect(sacct.jobs.length).toBeGreaterThan(3);
  });

  it('gives every job the key layout of the real GPU job, gres/gpu TRES included', () => {
    const real = realSacct.jobs.find((job: { job_id: number }) => job.job_id === 5);
    for (const job of sacct.jobs) {
      expect(comparable(shapeOf(job))).toEqual(comparable(shapeOf(real)));
      const gpu = job.tres.allocated.find(
        (t: { type: string; name: string }) => t.type === 'gres' && t.name === 'gpu',
      );
      expect(gpu.count).toBeGreaterThan(0);
    }
  });

  it('lists the straggler job once, running on both nodes with all 16 GPUs', () => {
    const job = sacct.jobs.find((j: { job_id: number }) => String(j.job_id) === straggler.jobId);
    expect(job.state.current).toBe('RUNNING');
    expect(job.time.end).toBe(0);
    expect(job.allocation_nodes).toBe(2);
    expect(job.nodes).toBe(formatHostlist(straggler.nodes!.slice().sort()));
    expect(job.tres.allocated.find((t: { name: string }) => t.name === 'gpu:h100').count).toBe(16);
  });

  it('includes finished jobs that ended inside the window and leaves out those that ended before it', () => {
    const wide = JSON.parse(fleet.renderSacctJson(startMs - 3 * 86_400_000, tMs)).jobs;
    const states = new Set(wide.map((job: { state: { current: string } }) => job.state.current));
    expect(states).toContain('COMPLETED');
    expect(states).toContain('RUNNING');
    for (const job of sacct.jobs) expect(job.time.end === 0 || job.time.end * 1000 >= startMs).toBe(true);
    expect(wide.length).toBeGreaterThan(sacct.jobs.length);
  });
});

describe('renderSqueueJson', () => {
  const squeue = JSON.parse(fleet.renderSqueueJson(tMs));

  it('has the key layout of a real running job in squeue --json', () => {
    const real = realSqueue.jobs.find((job: { job_state: string }) => job.job_state === 'RUNNING');
    expect(Object.keys(squeue)).toEqual(Object.keys(realSqueue));
    expect(squeue.meta).toEqual(realSqueue.meta);
    for (const job of squeue.jobs) expect(comparable(shapeOf(job))).toEqual(comparable(shapeOf(real)));
  });

  it('names exactly the GPUs the dcgm-exporter text labels with each hpc_job', () => {
    const fromLabels = new Set<string>();
    for (const node of fleet.nodes.filter((n) => n.scheduler === 'slurm')) {
      for (const s of parseSeries(fleet.renderNode(node.name, tMs)!)) {
        if (s.name === 'DCGM_FI_DEV_GPU_TEMP' && s.labels.hpc_job) {
          fromLabels.add(`${s.labels.hpc_job}@${node.name}#${s.labels.gpu}`);
        }
      }
    }
    const fromSqueue = new Set<string>();
    for (const job of squeue.jobs) {
      job.job_resources.allocated_nodes.forEach((node: { nodename: string }, i: number) => {
        const idx = /\(IDX:([\d,-]+)\)$/.exec(job.gres_detail[i])![1]!;
        for (const gpu of expandRanges(idx)) fromSqueue.add(`${job.job_id}@${node.nodename}#${gpu}`);
      });
    }
    expect(fromLabels.size).toBeGreaterThan(10);
    expect([...fromSqueue].sort()).toEqual([...fromLabels].sort());
  });
});

function expandRanges(text: string): number[] {
  return text.split(',').flatMap((range) => {
    const [from, to = from] = range.split('-').map(Number) as [number, number?];
    return Array.from({ length: to! - from + 1 }, (_, i) => from + i);
  });
}

describe('renderScontrolShowJobs', () => {
  const text = fleet.renderScontrolShowJobs(tMs);
  const keysOf = (block: string) =>
    [...block.matchAll(/(?:^|\s)([A-Za-z_/:]+)=/g)].map((m) => m[1]).filter((key) => key !== 'Nodes');

  it('prints each job with the same keys as real scontrol show job -d output', () => {
    const blocks = text.split('\n\n').filter((block) => block.trim() !== '');
    const realKeys = keysOf(
      realScontrol
        .split('\n')
        .filter((line) => !line.startsWith('     '))
        .join('\n'),
    );
    for (const block of blocks) {
      const lines = block.split('\n');
      expect(keysOf(lines.filter((line) => !line.startsWith('     ')).join('\n'))).toEqual(realKeys);
    }
    expect(text.endsWith('   \n\n')).toBe(realScontrol.endsWith('   \n\n'));
  });

  it('prints one GRES detail line per node of the straggler job, with the GPU indices', () => {
    const block = fleet.renderScontrolShowJobs(tMs, Number(straggler.jobId));
    const details = block.split('\n').filter((line) => line.startsWith('     Nodes='));
    expect(details).toHaveLength(2);
    for (const line of details)
      expect(line).toMatch(/^ {5}Nodes=gpu-node-\d{4} CPU_IDs=0-95 Mem=\d+ GRES=gpu:h100:8\(IDX:0-7\)$/);
    expect(fleet.renderScontrolShowJobs(tMs, 1)).toMatch(/Invalid job id/);
  });
});

describe('hostlist formatting', () => {
  it('compresses node names and GPU indices the way Slurm prints them', () => {
    expect(formatHostlist(['gpu-node-0003', 'gpu-node-0004', 'gpu-node-0017'])).toBe(
      'gpu-node-[0003-0004,0017]',
    );
    expect(formatHostlist(['vm'])).toBe('vm');
    expect(formatIndexRanges([0, 1, 2, 3, 6])).toBe('0-3,6');
    expect(formatIndexRanges([5])).toBe('5');
  });
});
