import { afterEach, describe, expect, it } from 'vitest';
import type { KubernetesCollectorConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createFleet, startSimServer } from '../../sim/index.js';
import {
  fakeKubeConfig,
  POD_FIXTURES,
  readKubeFixture,
  startFakeKubeApi,
} from '../../test/helpers/fake-kube-api.js';
import { createKubernetesReader, type KubernetesReader } from './create-kubernetes-reader.js';

const config: KubernetesCollectorConfig = {
  enabled: true,
  teamLabel: 'team',
  userLabels: ['gpuscope.io/user', 'user'],
  projectLabel: 'project',
  namespaces: [],
};
const log = createLogger({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(reader: KubernetesReader): KubernetesReader {
  cleanups.push(() => reader.stop());
  return reader;
}

describe('createKubernetesReader', () => {
  it('reads the jobs the watcher holds, with the API server URL as its target', async () => {
    const api = await startFakeKubeApi();
    cleanups.push(() => api.close());
    for (const name of Object.values(POD_FIXTURES)) api.addPod(readKubeFixture(name));
    const reader = track(
      await createKubernetesReader(config, { cluster: 'lab', log, kubeConfig: fakeKubeConfig(api.url) }),
    );
    expect(reader).toMatchObject({ source: 'kubernetes', target: api.url });
    const result = await reader.read(new Date());
    expect(result.errors).toEqual([]);
    expect(result.jobs).toHaveLength(5);
    expect(result.jobs.every((j) => j.cluster === 'lab')).toBe(true);
  });

  it('lists and watches the simulator, walking its owner references to PyTorchJobs, Jobs and ReplicaSets', async () => {
    const fleet = createFleet({ seed: 42, nodeCount: 20, startMs: Date.UTC(2026, 11, 1) });
    const sim = await startSimServer({ fleet, clock: () => Date.UTC(2026, 11, 1, 1) });
    cleanups.push(() => sim.close());
    const reader = track(
      await createKubernetesReader(config, {
        cluster: 'sim',
        log,
        kubeConfig: fakeKubeConfig(`${sim.baseUrl}/kubernetes`),
      }),
    );
    const result = await reader.read(new Date());
    expect(result.errors).toEqual([]);
    expect(result.issues).toEqual([]);
    const kinds = new Set(result.jobs.flatMap((j) => j.owners.map((o) => o.kind)));
    expect(kinds).toEqual(new Set(['PyTorchJob', 'Job', 'ReplicaSet']));
    const pods = result.jobs.flatMap((j) => j.pods ?? []);
    expect(pods.sort()).toEqual(fleet.pods.map((p) => `${p.namespace}/${p.name}`).sort());
  });

  it('turns an unreadable kubeconfig into a read error on every tick instead of failing at start', async () => {
    const reader = track(
      await createKubernetesReader(
        { ...config, kubeconfig: '/nonexistent/kubeconfig' },
        { cluster: 'lab', log },
      ),
    );
    expect(reader.target).toBe('kubernetes://lab');
    const result = await reader.read(new Date());
    expect(result.jobs).toEqual([]);
    expect(result.errors[0]).toContain('/nonexistent/kubeconfig');
  });

  it('reports an API server that never answers the first list as a read error', async () => {
    const api = await startFakeKubeApi();
    const url = api.url;
    await api.close();
    const reader = track(
      await createKubernetesReader(config, {
        cluster: 'lab',
        log,
        kubeConfig: fakeKubeConfig(url),
        initialSyncTimeoutMs: 1,
      }),
    );
    const result = await reader.read(new Date());
    expect(result.jobs).toEqual([]);
    expect(result.errors[0]).toBe('initial pod list not finished');
  });
});
