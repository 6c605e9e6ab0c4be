import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet } from './fleet.js';
import { type SimServer, startSimServer } from './server.js';
import { parseSlurmTime } from './server-routes.js';

const run = promisify(execFile);
const binDir = fileURLToPath(new URL('./bin/', import.meta.url));
const fleet = createFleet({ seed: 2024, nodeCount: 24, startMs: Date.UTC(2025, 5, 2, 8) });
const nowMs = fleet.startMs + 3_600_000 + 7_000;
let server: SimServer;

beforeAll(async () => {
  server = await startSimServer({ fleet, clock: () => nowMs });
});

afterAll(async () => {
  await server.close();
});

async function get(path: string): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`${server.baseUrl}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

function runBin(name: string, args: string[]) {
  return run(`${binDir}${name}`, args, { env: { ...process.env, GPUSCOPE_SIM_URL: server.baseUrl } });
}

describe('simulator routes beside the dcgm-exporter ones', () => {
  it('serves node_exporter InfiniBand text per node, rendered at the start of the tick', async () => {
    const answer = await get('/gpu-node-0003/node-exporter/metrics');
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(answer.body).toBe(fleet.renderNodeExporter('gpu-node-0003', nowMs - 7_000));
    expect((await get('/gpu-node-9999/node-exporter/metrics')).status).toBe(404);
  });

  it('lists the node_exporter endpoints for Prometheus HTTP service discovery', async () => {
    const groups = JSON.parse((await get('/node-exporter-targets.json')).body);
    expect(groups).toHaveLength(24);
    expect(groups[2].labels).toEqual({
      __metrics_path__: '/gpu-node-0003/node-exporter/metrics',
      node: 'gpu-node-0003',
    });
  });

  it('serves sacct JSON for the asked window, squeue JSON, scontrol text and the pod list as of the clock', async () => {
    const sacct = await get('/slurm/sacct.json?start=2025-06-02T08:00:00&end=2025-06-02T09:00:00');
    expect(sacct.body).toBe(fleet.renderSacctJson(fleet.startMs, fleet.startMs + 3_600_000));
    expect((await get('/slurm/squeue.json')).body).toBe(fleet.renderSqueueJson(nowMs));
    expect((await get('/slurm/scontrol-show-job.txt')).body).toBe(fleet.renderScontrolShowJobs(nowMs));
    const pods = await get('/kubernetes/api/v1/pods');
    expect(pods.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(pods.body).metadata.resourceVersion).toMatch(/^\d+$/);
  });

  it('rejects a time Slurm would not parse', async () => {
    const answer = await get('/slurm/sacct.json?start=yesterday-ish');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/Invalid time/);
  });

  it('reads a zoneless Slurm time as UTC and keeps an explicit zone', () => {
    expect(parseSlurmTime('2025-06-02T08:00:00')).toBe(Date.UTC(2025, 5, 2, 8));
    expect(parseSlurmTime('2025-06-02T10:00:00+02:00')).toBe(Date.UTC(2025, 5, 2, 8));
  });
});

describe('sim/bin stand-ins for the Slurm commands', () => {
  it('print what the reader would get from sacct, squeue and scontrol on a real cluster', async () => {
    const sacct = await runBin('sacct', [
      '--json',
      '--allusers',
      '-S',
      '2025-06-02T08:00:00',
      '-E',
      '2025-06-02T09:00:00',
    ]);
    expect(sacct.stdout).toBe(fleet.renderSacctJson(fleet.startMs, fleet.startMs + 3_600_000));
    expect((await runBin('squeue', ['--json'])).stdout).toBe(fleet.renderSqueueJson(nowMs));
    const job = fleet.groundTruth().scenarios.find((s) => s.kind === 'multi-node-straggler')!.jobId!;
    const scontrol = await runBin('scontrol', ['show', 'job', '-d', job]);
    expect(scontrol.stdout).toBe(fleet.renderScontrolShowJobs(nowMs, Number(job)));
  });

  it('exit non-zero with a message when the simulator is not configured', async () => {
    const env = { ...process.env, GPUSCOPE_SIM_URL: '' };
    await expect(run(`${binDir}squeue`, ['--json'], { env })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('GPUSCOPE_SIM_URL'),
    });
  });
});
