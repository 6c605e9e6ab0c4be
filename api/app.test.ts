import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCostDeps } from '../analyzer/cost/create-cost-deps.js';
import { lookupField } from '../collector/dcgm/fields.js';
import type { GpuLabels } from '../collector/dcgm/normalize.js';
import { attributeRollups, upsertJobs } from '../collector/jobs/queries.js';
import { writeLinkRollups } from '../collector/link-queries.js';
import { RollupAccumulator } from '../collector/rollup/accumulate.js';
import { EntityIdCache, flushRollups } from '../collector/rollup/write.js';
import { createManualClock } from '../core/clock.js';
import { Config } from '../core/config.js';
import { checkReadiness, type DbHandle, openDb } from '../core/db.js';
import { AppError } from '../core/errors.js';
import { createSilentLogger } from '../core/log.js';
import { createRegistry, getTracer } from '../core/telemetry.js';
import { makeJob } from '../test/helpers/job-store-suite.js';
import { readJson } from '../test/helpers/read-json.js';
import { createApp } from './app.js';
import { createTokenVerifier, requireRole, sha256Hex } from './auth.js';
import { errorResponse } from './errors.js';

const t0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const viewerToken = 'viewer-token-0123456789';
const gpu: GpuLabels = {
  uuid: 'GPU-21c6d9d7-46cd-7e91-99c3-7b6a06a3faea',
  gpuInstanceId: null,
  gpuIndex: 1,
  device: 'nvidia1',
  model: 'NVIDIA H100 80GB HBM3',
  pciBusId: '00000000:43:00.0',
  migProfile: null,
  hostname: 'gpu-node-0001',
  driverVersion: '575.51.03',
  owner: { hpc_job: '4242' },
};

async function seedJobsAndLinks(handle: DbHandle) {
  const node = 'gpu-node-0001';
  await upsertJobs(
    handle.db,
    [
      makeJob({
        cluster: 'test',
        jobId: '4242',
        startedAt: new Date(t0),
        submittedAt: new Date(t0 - 60_000),
        nodes: [node],
        gpusAllocated: 1,
        allocations: [{ node, gpuIndex: 1, gpuUuid: null, migProfile: null }],
      }),
      makeJob({
        cluster: 'test',
        source: 'kubernetes',
        jobId: 'ml/Deployment/web',
        name: 'web',
        user: null,
        account: null,
        namespace: 'ml',
        team: 'serving',
        state: 'completed',
        startedAt: new Date(t0 - 3_600_000),
        endedAt: new Date(t0 - 1_800_000),
        nodes: [node],
        gpusAllocated: 2,
        allocations: [],
        pods: ['ml/web-1'],
      }),
    ],
    new Date(t0),
  );
  await attributeRollups(handle.db, {
    from: new Date(t0 - 3_600_000),
    to: new Date(t0 + 3 * 60_000),
    settledBefore: new Date(t0 + 3 * 60_000),
    retryFrom: new Date(t0 - 3_600_000),
  });
  await writeLinkRollups(
    handle.db,
    'test',
    [0, 1].map((i) => ({
      node,
      linkType: 'infiniband' as const,
      device: 'mlx5_1',
      port: 1,
      rateBitsPerSecond: 400e9,
      state: 'ACTIVE',
      physState: 'LinkUp',
      gpuIndices: [1],
      bucketStartMs: t0 + i * 60_000,
      sampleCount: 4,
      txBytesPerSecondMean: 25e9,
      txBytesPerSecondMax: 40e9,
      rxBytesPerSecondMean: 20e9,
      rxBytesPerSecondMax: 30e9,
      utilizationMaxRatio: 0.8,
      xmitWaitTicksPerSecondMean: 5e5,
      errorDeltas: {},
      errorTotal: 0,
      linkDownedTotal: 0,
      stateChanges: 0,
      flapping: false,
      counterIssues: 0,
      suspectSamples: 0,
    })),
    new Date(t0 + 2 * 60_000),
  );
}

describe('API', () => {
  let handle: DbHandle;
  let app: ReturnType<typeof createApp>;
  const registry = createRegistry({ defaultMetrics: false });
  const get = (path: string, token: string | undefined = viewerToken) =>
    app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    const acc = new RollupAccumulator();
    for (let i = 0; i < 8; i++) {
      acc.observe(
        'gpu-node-0001',
        gpu,
        lookupField('DCGM_FI_DEV_GPU_UTIL')!,
        40 + (i % 2) * 20,
        t0 + i * 15_000,
      );
      acc.observe('gpu-node-0001', gpu, lookupField('DCGM_FI_DEV_POWER_USAGE')!, 300, t0 + i * 15_000);
    }
    await flushRollups(handle.db, 'test', acc, new EntityIdCache(), t0 + 3 * 60_000, { includeOpen: true });
    await seedJobsAndLinks(handle);
    app = createApp({
      db: handle.db,
      clock: createManualClock(t0 + 3 * 60_000),
      registry,
      log: createSilentLogger(),
      tracer: getTracer(),
      tokens: [
        { name: 'dashboards', role: 'viewer', token: viewerToken },
        { name: 'finops', role: 'finance', tokenSha256: sha256Hex('finance-token-0123456789') },
      ],
      isReady: () => checkReadiness(handle.db),
      costs: createCostDeps(handle.db, Config.parse({}), registry),
    });
  });
  afterAll(async () => handle?.close());

  describe('GET /api/v1/gpus', () => {
    it('lists GPUs with identity, owner labels and the newest minute rollup', async () => {
      const res = await get('/api/v1/gpus');
      expect(res.status).toBe(200);
      const body = await readJson(res);
      expect(body.page).toEqual({ limit: 1000, offset: 0, total: 1 });
      expect(body.data[0]).toMatchObject({
        uuid: gpu.uuid,
        gpuInstanceId: null,
        node: 'gpu-node-0001',
        index: 1,
        model: 'NVIDIA H100 80GB HBM3',
        owner: { hpc_job: '4242' },
        latest: {
          bucket: new Date(t0 + 60_000).toISOString(),
          sampleCount: 4,
          activitySource: 'gpu_util',
          activityMaxRatio: 0.6,
          powerMeanWatts: 300,
        },
      });
      expect(body.data[0].latest.activityMeanRatio).toBeCloseTo(0.5, 10);
    });

    it('accepts a token configured only by its SHA-256 digest', async () => {
      expect((await get('/api/v1/gpus', 'finance-token-0123456789')).status).toBe(200);
    });
  });

  describe('GET /api/v1/gpus/{uuid}/series', () => {
    it('returns the rollups re-bucketed to the step', async () => {
      const from = new Date(t0).toISOString();
      const to = new Date(t0 + 2 * 60_000).toISOString();
      const res = await get(`/api/v1/gpus/${gpu.uuid}/series?from=${from}&to=${to}&step=120`);
      expect(res.status).toBe(200);
      const body = await readJson(res);
      expect(body.points).toHaveLength(1);
      expect(body.points[0]).toMatchObject({ sampleCount: 8, activityMaxRatio: 0.6, powerMeanWatts: 300 });
    });

    it('answers 404 for a GPU it has never seen', async () => {
      const res = await get('/api/v1/gpus/GPU-00000000-0000-0000-0000-000000000000/series');
      expect(res.status).toBe(404);
      expect((await readJson(res)).error.code).toBe('NOT_FOUND');
    });
  });

  describe('GET /api/v1/jobs', () => {
    it('lists jobs running in the window with allocated and measured GPU-hours', async () => {
      const res = await get(`/api/v1/jobs?from=${new Date(t0).toISOString()}`);
      expect(res.status).toBe(200);
      const body = await readJson(res);
      expect(body.data.map((j: { id: string }) => j.id)).toEqual(['4242']);
      expect(body.data[0]).toMatchObject({
        source: 'slurm',
        user: 'alice',
        account: 'ml',
        team: 'vision',
        state: 'running',
        gpusAllocated: 1,
        nodes: ['gpu-node-0001'],
        gpuHours: 3 / 60,
        efficiency: { measuredGpuHours: 2 / 60 },
      });
      expect(body.data[0].efficiency.activityMeanRatio).toBeCloseTo(0.5, 10);
    });

    it('filters by team, user and state', async () => {
      const from = new Date(t0 - 7_200_000).toISOString();
      const team = await readJson(await get(`/api/v1/jobs?from=${from}&team=serving`));
      expect(team.data.map((j: { id: string }) => j.id)).toEqual(['ml/Deployment/web']);
      const state = await readJson(await get(`/api/v1/jobs?from=${from}&state=running&user=alice`));
      expect(state.data.map((j: { id: string }) => j.id)).toEqual(['4242']);
    });

    it('shows one job with its GPUs and the links they used', async () => {
      const res = await get('/api/v1/jobs/4242');
      expect(res.status).toBe(200);
      const body = await readJson(res);
      expect(body.gpus).toEqual([
        expect.objectContaining({ node: 'gpu-node-0001', index: 1, uuid: gpu.uuid, measuredMinutes: 2 }),
      ]);
      expect(body.links).toEqual([
        expect.objectContaining({
          device: 'mlx5_1',
          type: 'infiniband',
          window: expect.objectContaining({ minutes: 2 }),
        }),
      ]);
    });

    it('finds a Kubernetes job by its URL-encoded id', async () => {
      const res = await get(`/api/v1/jobs/${encodeURIComponent('ml/Deployment/web')}?source=kubernetes`);
      expect(res.status).toBe(200);
      expect(await readJson(res)).toMatchObject({ id: 'ml/Deployment/web', namespace: 'ml', gpuHours: 1 });
    });

    it('answers 404 for an unknown job and 400 naming a bad state', async () => {
      expect((await get('/api/v1/jobs/999999')).status).toBe(404);
      const res = await get('/api/v1/jobs?state=sleeping');
      expect(res.status).toBe(400);
      expect((await readJson(res)).error.message).toContain('state');
    });
  });

  describe('GET /api/v1/links', () => {
    it('lists links with throughput, utilization and congestion over the window', async () => {
      const res = await get(`/api/v1/links?from=${new Date(t0).toISOString()}&type=infiniband`);
      expect(res.status).toBe(200);
      const [link] = (await readJson(res)).data;
      expect(link).toMatchObject({
        node: 'gpu-node-0001',
        device: 'mlx5_1',
        port: 1,
        rateBitsPerSecond: 400e9,
        gpuIndices: [1],
        window: { minutes: 2, utilizationMaxRatio: 0.8, xmitWaitPerSecondMean: 5e5, errorsTotal: 0 },
      });
    });
  });

  describe('errors', () => {
    it('answers 400 naming the field for a bad query parameter', async () => {
      const res = await get('/api/v1/gpus?limit=abc');
      expect(res.status).toBe(400);
      const body = await readJson(res);
      expect(body.error.code).toBe('VALIDATION');
      expect(body.error.message).toMatch(/^limit: /);
      expect(body.error.requestId).toBeTruthy();
    });

    it('answers 400 for a step below a minute and for from after to', async () => {
      expect((await readJson(await get(`/api/v1/gpus/${gpu.uuid}/series?step=59`))).error.message).toMatch(
        /^step: /,
      );
      const res = await get(
        `/api/v1/gpus/${gpu.uuid}/series?from=2026-11-22T11:00:00Z&to=2026-11-22T10:00:00Z`,
      );
      expect(res.status).toBe(400);
      expect((await readJson(res)).error.message).toMatch(/^from: /);
    });

    it('answers 400 when a window would return too many points', async () => {
      const res = await get(
        `/api/v1/gpus/${gpu.uuid}/series?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&step=60`,
      );
      expect(res.status).toBe(400);
      expect((await readJson(res)).error.message).toMatch(/at most 11000/);
    });

    it('answers 404 in the error shape for an unknown route', async () => {
      const res = await get('/api/v1/nothing-here');
      expect(res.status).toBe(404);
      expect((await readJson(res)).error).toMatchObject({ code: 'NOT_FOUND' });
    });

    it('never shows an internal error message or stack to the client', async () => {
      const probe = new OpenAPIHono();
      probe.get('/boom', () => {
        throw new Error('password=hunter2 at db.ts:12');
      });
      probe.onError((error, c) => errorResponse(c, error, createSilentLogger()));
      const res = await probe.request('/boom');
      expect(res.status).toBe(500);
      expect(await res.text()).not.toMatch(/hunter2|db\.ts/);
    });
  });

  describe('security', () => {
    it('answers 401 without a token and with a wrong token', async () => {
      const none = await get('/api/v1/gpus', '');
      expect(none.status).toBe(401);
      expect((await readJson(none)).error.code).toBe('UNAUTHORIZED');
      expect((await get('/api/v1/targets', 'not-a-real-token-at-all')).status).toBe(401);
    });

    it('answers 403 when the role is too low', async () => {
      const verify = createTokenVerifier([{ name: 'v', role: 'viewer', token: viewerToken }]);
      const probe = new OpenAPIHono();
      probe.use('/ops', requireRole('operator', verify));
      probe.get('/ops', (c) => c.text('ok'));
      probe.onError((error, c) => errorResponse(c, error, createSilentLogger()));
      const res = await probe.request('/ops', { headers: { authorization: `Bearer ${viewerToken}` } });
      expect(res.status).toBe(403);
      expect((await readJson(res)).error.message).toMatch(/operator or higher/);
      expect(new AppError('FORBIDDEN', 'x').expose).toBe(true);
    });

    it('sets secure headers and a request id on every answer', async () => {
      const res = await get('/api/v1/gpus');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-request-id')).toBeTruthy();
    });
  });

  describe('service endpoints', () => {
    it('serves healthz and readyz without a token', async () => {
      expect((await app.request('/healthz')).status).toBe(200);
      const ready = await app.request('/readyz');
      expect(ready.status).toBe(200);
      expect(await readJson(ready)).toMatchObject({ status: 'ready' });
    });

    it('reports not ready while migrations are missing', async () => {
      const bare = await openDb({ inMemory: true });
      try {
        expect(await checkReadiness(bare.db)).toEqual({ ready: false, reason: 'migrations not applied' });
      } finally {
        await bare.close();
      }
    });

    it('serves Prometheus metrics including request durations', async () => {
      await get('/api/v1/gpus');
      const res = await app.request('/metrics');
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      expect(await res.text()).toMatch(
        /gpuscope_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/gpus"/,
      );
    });

    it('publishes an OpenAPI document generated from the route schemas', async () => {
      const doc = await readJson(await app.request('/openapi.json'));
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/v1/gpus', '/api/v1/gpus/{uuid}/series', '/api/v1/targets']),
      );
      expect(doc.components.schemas.Gpu).toBeDefined();
    });
  });
});
