import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createCostDeps } from '../../analyzer/cost/create-cost-deps.js';
import { jobs } from '../../collector/jobs/schema.js';
import { gpuRollups, gpus, nodes } from '../../collector/schema.js';
import { createManualClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { readJson } from '../../test/helpers/read-json.js';
import { createApp } from '../app.js';

const now = Date.parse('2026-12-03T10:00:00Z');
const minute = 60_000;
const viewerToken = 'viewer-token-0123456789';
const capacity = Config.parse({ analyzer: { capacity: { windowMinutes: 30, headroomNodes: 1 } } }).analyzer
  .capacity;
const H100 = 'NVIDIA H100 80GB HBM3';
const A100 = 'NVIDIA A100-SXM4-80GB';

type Db = DbHandle['db'];

/** A node with its GPUs; returns the GPU ids in index order. */
async function addNode(db: Db, cluster: string, name: string, model: string, count: number) {
  const [node] = await db.insert(nodes).values({ cluster, name }).returning({ id: nodes.id });
  const rows = await db
    .insert(gpus)
    .values(
      Array.from({ length: count }, (_, i) => ({
        nodeId: node!.id,
        uuid: `GPU-${name}-${i}`,
        gpuIndex: i,
        model,
      })),
    )
    .returning({ id: gpus.id });
  return rows.map((r) => r.id);
}

/** Minute rollups for one GPU over [from, to) minutes before now. */
async function addMinutes(
  db: Db,
  gpuId: number,
  minutesAgo: [number, number],
  values: { activityMax: number | null; ownerKind?: string; jobRef?: number },
) {
  const [from, to] = minutesAgo;
  await db.insert(gpuRollups).values(
    Array.from({ length: from - to }, (_, i) => ({
      gpuId,
      bucket: new Date(now - (from - i) * minute),
      sampleCount: 4,
      activityMax: values.activityMax,
      activityMean: values.activityMax,
      ownerKind: values.ownerKind ?? null,
      ownerRef: values.ownerKind ? '4242' : null,
      jobRef: values.jobRef ?? null,
    })),
  );
}

function job(overrides: Partial<typeof jobs.$inferInsert>): typeof jobs.$inferInsert {
  return {
    cluster: 'prod',
    source: 'slurm',
    jobId: 'x',
    name: 'train',
    state: 'pending',
    rawState: 'PENDING',
    gpusRequested: 1,
    gpusAllocated: 0,
    nodes: [],
    pods: [],
    owners: [],
    labels: {},
    ...overrides,
  };
}

/**
 * prod: H100 x2 pool of two nodes (n1 both GPUs allocated, n2 both idle, though busy before the window),
 * A100 x1 of one node without activity readings, and an L4 x1 node seen only before the window.
 */
async function seed(db: Db) {
  const [n1a, n1b] = await addNode(db, 'prod', 'h100-1', H100, 2);
  const [n2a, n2b] = await addNode(db, 'prod', 'h100-2', H100, 2);
  const [a100] = await addNode(db, 'prod', 'a100-1', A100, 1);
  const [l4] = await addNode(db, 'prod', 'l4-1', 'NVIDIA L4', 1);
  await addNode(db, 'other', 'h100-9', H100, 2);
  const [vllm] = await db
    .insert(jobs)
    .values(
      job({
        source: 'kubernetes',
        jobId: 'ml/Deployment/vllm',
        name: 'vllm',
        namespace: 'ml',
        state: 'running',
        rawState: 'Running',
        gpusRequested: 2,
        gpusAllocated: 2,
      }),
    )
    .returning({ id: jobs.id });
  await addMinutes(db, n1a!, [30, 0], { activityMax: 0.9, ownerKind: 'pod', jobRef: vllm!.id });
  await addMinutes(db, n1b!, [30, 0], { activityMax: 0.01, ownerKind: 'pod', jobRef: vllm!.id });
  for (const id of [n2a!, n2b!]) {
    await addMinutes(db, id, [90, 31], { activityMax: 0.95 });
    await addMinutes(db, id, [30, 0], { activityMax: 0.01 });
  }
  await addMinutes(db, a100!, [30, 0], { activityMax: null });
  await addMinutes(db, l4!, [200, 100], { activityMax: 0.5 });
  await db.insert(jobs).values([
    job({ jobId: '1', gpuType: 'h100', gpusRequested: 3 }),
    job({ jobId: '2', gpuType: null, gpusRequested: 1 }),
    job({ jobId: '3', gpuType: 'h100', gpusRequested: 8, state: 'running', rawState: 'RUNNING' }),
    job({ jobId: '4', cluster: 'other', gpuType: 'h100', gpusRequested: 16 }),
    job({
      source: 'kubernetes',
      jobId: 'ml/Deployment/embed',
      name: 'embed',
      namespace: 'ml',
      gpuType: A100,
      gpusRequested: 1,
    }),
  ]);
}

describe('scaling API (KEDA metrics-api source)', () => {
  let handle: DbHandle;
  let app: ReturnType<typeof createApp>;
  const get = (path: string, token = viewerToken) =>
    app.request(path, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    await seed(handle.db);
    const registry = createRegistry({ defaultMetrics: false });
    app = createApp({
      db: handle.db,
      clock: createManualClock(now),
      registry,
      log: createSilentLogger(),
      tracer: getTracer(),
      tokens: [{ name: 'keda', role: 'viewer', token: viewerToken }],
      isReady: async () => ({ ready: true }),
      costs: createCostDeps(handle.db, Config.parse({}), registry),
      scaling: { cluster: 'prod', capacity },
    });
  }, 60_000);
  afterAll(async () => handle?.close());

  describe('GET /api/v1/scaling/pools', () => {
    it('gives each pool its desired GPUs: busy + pending demand for its model + headroom node GPUs', async () => {
      const res = await get('/api/v1/scaling/pools');
      expect(res.status).toBe(200);
      const asOf = new Date(now).toISOString();
      expect((await readJson(res)).data).toEqual([
        {
          pool: `${A100} x1`,
          gpusPerNode: 1,
          nodes: 1,
          currentGpus: 1,
          busyGpus: 1, // no activity reading: never counted idle
          pendingGpus: 2, // the untyped Slurm job and the A100 pod
          idleGpus: 0,
          headroomGpus: 1,
          desiredGpus: 4,
          asOf,
        },
        {
          pool: `${H100} x2`,
          gpusPerNode: 2,
          nodes: 2,
          currentGpus: 4,
          busyGpus: 2, // h100-1's two allocated GPUs; h100-2 was busy only before the window
          pendingGpus: 4, // 3 typed h100 + 1 untyped; the other cluster's 16 do not count
          idleGpus: 2,
          headroomGpus: 2,
          desiredGpus: 8,
          asOf,
        },
        {
          pool: 'NVIDIA L4 x1',
          gpusPerNode: 1,
          nodes: 0,
          currentGpus: 0,
          busyGpus: 0,
          pendingGpus: 1,
          idleGpus: 0,
          headroomGpus: 1,
          desiredGpus: 2,
          asOf,
        },
      ]);
    });
  });

  describe('GET /api/v1/scaling/pools/{pool}', () => {
    it('answers one pool by its URL-encoded name, with desiredGpus at the top level for valueLocation', async () => {
      const res = await get(`/api/v1/scaling/pools/${encodeURIComponent(`${H100} x2`)}`);
      expect(res.status).toBe(200);
      expect(await readJson(res)).toMatchObject({ pool: `${H100} x2`, desiredGpus: 8, currentGpus: 4 });
    });

    it('answers 404 for a pool it does not know', async () => {
      const res = await get(`/api/v1/scaling/pools/${encodeURIComponent('NVIDIA B200 x8')}`);
      expect(res.status).toBe(404);
      expect((await readJson(res)).error.code).toBe('NOT_FOUND');
    });
  });

  describe('GET /api/v1/scaling/workloads/{namespace}/{name}', () => {
    it('wants the busy GPUs of a running workload, not the idle one it holds', async () => {
      const res = await get('/api/v1/scaling/workloads/ml/vllm');
      expect(res.status).toBe(200);
      expect(await readJson(res)).toEqual({
        namespace: 'ml',
        name: 'vllm',
        desiredGpus: 1,
        currentGpus: 2,
        busyGpus: 1,
        pendingGpus: 0,
        idleGpus: 1,
        asOf: new Date(now).toISOString(),
      });
    });

    it('wants the GPUs a pending workload asks for', async () => {
      const body = await readJson(await get('/api/v1/scaling/workloads/ml/embed'));
      expect(body).toMatchObject({ desiredGpus: 1, currentGpus: 0, pendingGpus: 1 });
    });

    it('answers 404 for a workload it does not know', async () => {
      expect((await get('/api/v1/scaling/workloads/ml/nothing')).status).toBe(404);
    });
  });

  describe('deploy/examples/keda-scaledobject.yaml', () => {
    type Doc = {
      kind: string;
      metadata: { name: string };
      spec: {
        secretTargetRef?: { parameter: string }[];
        triggers?: {
          type: string;
          metadata: Record<string, string>;
          authenticationRef: { name: string; kind: string };
        }[];
      };
    };
    const docs = parseAllDocuments(
      readFileSync(join(import.meta.dirname, '../../deploy/examples/keda-scaledobject.yaml'), 'utf8'),
    ).map((d) => d.toJS() as Doc);
    const triggers = docs.flatMap((d) => (d.kind === 'ScaledObject' ? (d.spec.triggers ?? []) : []));

    it('points every metrics-api trigger at a scaling route whose valueLocation is a number', async () => {
      expect(triggers.length).toBeGreaterThan(0);
      for (const t of triggers) {
        expect(t.type).toBe('metrics-api');
        const path = new URL(t.metadata['url'] ?? '').pathname;
        // the example's pool is not in the seed; ask for a seeded pool of the same name form
        const asked = /^\/api\/v1\/scaling\/pools\/(.+)$/.exec(path)
          ? `/api/v1/scaling/pools/${encodeURIComponent(`${H100} x2`)}`
          : path;
        expect(decodeURIComponent(path)).toMatch(
          /^\/api\/v1\/scaling\/(pools\/.+ x\d+|workloads\/[^/]+\/[^/]+)$/,
        );
        const res = await get(asked);
        expect(res.status).toBe(200);
        expect(typeof (await readJson(res))[t.metadata['valueLocation'] ?? '']).toBe('number');
      }
    });

    it('authenticates with a bearer token from the trigger authentication it names', () => {
      for (const t of triggers) {
        expect(t.metadata['authMode']).toBe('bearer');
        const auth = docs.find(
          (d) => d.kind === t.authenticationRef.kind && d.metadata.name === t.authenticationRef.name,
        );
        expect(auth?.spec.secretTargetRef?.map((r) => r.parameter)).toEqual(['token']);
      }
    });
  });

  describe('security', () => {
    it('refuses a request without a viewer token', async () => {
      expect((await app.request('/api/v1/scaling/pools')).status).toBe(401);
      expect((await get('/api/v1/scaling/pools', 'forged-token-0123456789')).status).toBe(401);
    });
  });
});
