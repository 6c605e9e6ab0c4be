import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type FakeKubeApi,
  fakeKubeConfig,
  POD_FIXTURES,
  readKubeFixture,
  startFakeKubeApi,
} from '../../test/helpers/fake-kube-api.js';
import { createKubeClient } from './create-kube-client.js';
import { createPodWatcher, type PodWatcher } from './pod-watcher.js';

type Raw = Record<string, unknown> & { metadata: Record<string, unknown>; spec: Record<string, unknown> };

const open: { api: FakeKubeApi; watcher: PodWatcher }[] = [];

afterEach(async () => {
  for (const { api, watcher } of open.splice(0)) {
    await watcher.stop();
    await api.close();
  }
});

function gpuPod(namespace: string, name: string, phase = 'Running'): Raw {
  const pod = readKubeFixture<Raw>(POD_FIXTURES.bareMig);
  pod.metadata = { ...pod.metadata, name, namespace, uid: `uid-${namespace}-${name}` };
  pod['status'] = { ...(pod['status'] as object), phase };
  return pod;
}

function cpuPod(namespace: string, name: string): Raw {
  const pod = gpuPod(namespace, name);
  pod.spec['containers'] = [{ name: 'web', resources: { limits: { cpu: '1' } } }];
  return pod;
}

async function startWatching(setup: (api: FakeKubeApi) => void, namespaces: string[] = []) {
  const api = await startFakeKubeApi();
  setup(api);
  const watcher = createPodWatcher({
    client: createKubeClient(fakeKubeConfig(api.url)),
    namespaces,
    pageSize: 2,
    backoff: { initialMs: 5, maxMs: 50 },
  });
  open.push({ api, watcher });
  watcher.start();
  await watcher.waitForSync();
  await vi.waitFor(() => expect(api.openWatches()).toBe(Math.max(1, namespaces.length)));
  return { api, watcher };
}

function names(watcher: PodWatcher, filter: 'live' | 'deleted' = 'live'): string[] {
  return watcher
    .snapshot()
    .filter((p) => (filter === 'live' ? p.deletedAt === null : p.deletedAt !== null))
    .map((p) => p.pod.name)
    .sort();
}

describe('createPodWatcher', () => {
  it('lists every page of pods and keeps only the GPU pods', async () => {
    const { api, watcher } = await startWatching((api) => {
      for (const name of ['a', 'b', 'c']) api.addPod(gpuPod('ml', name));
      api.addPod(cpuPod('ml', 'web'));
    });
    expect(names(watcher)).toEqual(['a', 'b', 'c']);
    expect(api.requests.filter((r) => r.includes('continue='))).toHaveLength(1);
    expect(watcher.health()).toMatchObject({
      synced: true,
      lists: 1,
      relists: 0,
      gpuPods: 3,
      lastError: null,
    });
  });

  it('reflects ADDED, MODIFIED and DELETED events after the list', async () => {
    const { api, watcher } = await startWatching((api) => api.addPod(gpuPod('ml', 'a')));
    api.addPod(gpuPod('ml', 'b'));
    await vi.waitFor(() => expect(names(watcher)).toEqual(['a', 'b']));
    api.updatePod(gpuPod('ml', 'a', 'Succeeded'));
    await vi.waitFor(() =>
      expect(watcher.snapshot().find((p) => p.pod.name === 'a')?.pod.phase).toBe('Succeeded'),
    );
    api.deletePod('ml', 'b');
    await vi.waitFor(() => expect(names(watcher, 'deleted')).toEqual(['b']));
    expect(names(watcher)).toEqual(['a']);
  });

  it('reconnects a dropped watch from its last resourceVersion without re-listing or losing pods', async () => {
    const { api, watcher } = await startWatching((api) => api.addPod(gpuPod('ml', 'a')));
    api.addPod(gpuPod('ml', 'b'));
    await vi.waitFor(() => expect(names(watcher)).toEqual(['a', 'b']));
    const rvBeforeDrop = api.resourceVersion();
    api.dropWatches();
    api.addPod(gpuPod('ml', 'c'));
    await vi.waitFor(() => expect(names(watcher)).toEqual(['a', 'b', 'c']));
    expect(
      api.requests.some((r) =>
        r.startsWith(`GET /api/v1/pods?watch=true&resourceVersion=${rvBeforeDrop}&allowWatchBookmarks=true`),
      ),
    ).toBe(true);
    expect(watcher.health()).toMatchObject({ lists: 1, relists: 0 });
    expect(watcher.health().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('re-lists after a 410 Expired watch event and converges on the server’s state', async () => {
    const { api, watcher } = await startWatching((api) => {
      api.addPod(gpuPod('ml', 'a'));
      api.addPod(gpuPod('ml', 'b'));
    });
    api.holdWatches();
    api.dropWatches();
    await vi.waitFor(() => expect(api.heldWatches()).toBe(1));
    api.deletePod('ml', 'a');
    api.addPod(gpuPod('ml', 'd'));
    api.compact();
    api.releaseWatches();
    await vi.waitFor(() => expect(names(watcher)).toEqual(['b', 'd']));
    expect(names(watcher, 'deleted')).toEqual(['a']);
    expect(watcher.health()).toMatchObject({ lists: 2, relists: 1 });
  });

  it('re-lists after an HTTP 410 answer to the watch request as well', async () => {
    const { api, watcher } = await startWatching((api) => api.addPod(gpuPod('ml', 'a')));
    api.expiredAs = 'http';
    api.holdWatches();
    api.dropWatches();
    await vi.waitFor(() => expect(api.heldWatches()).toBe(1));
    api.addPod(gpuPod('ml', 'e'));
    api.compact();
    api.releaseWatches();
    await vi.waitFor(() => expect(names(watcher)).toEqual(['a', 'e']));
    expect(watcher.health().relists).toBe(1);
  });

  it('moves its resourceVersion on a BOOKMARK so a later reconnect needs no re-list', async () => {
    const { api, watcher } = await startWatching((api) => api.addPod(gpuPod('ml', 'a')), ['ml']);
    // Changes in another namespace move the global resourceVersion without sending this watch any event.
    api.addPod(gpuPod('other', 'x'));
    api.addPod(gpuPod('other', 'y'));
    api.bookmark();
    const bookmarked = `resourceVersion=${api.resourceVersion()}`;
    await vi.waitFor(() =>
      expect(watcher.health().scopes[0]?.resourceVersion).toBe(String(api.resourceVersion())),
    );
    api.compact();
    api.dropWatches();
    await vi.waitFor(() => expect(api.requests.some((r) => r.includes(bookmarked))).toBe(true));
    expect(
      api.requests.filter((r) => r.includes('/namespaces/ml/pods') && r.includes(bookmarked)),
    ).toHaveLength(1);
    expect(watcher.health()).toMatchObject({ lists: 1, relists: 0 });
    expect(names(watcher)).toEqual(['a']);
  });

  it('reports a watched pod without a name as an issue and keeps the others', async () => {
    const { api, watcher } = await startWatching((api) => api.addPod(gpuPod('ml', 'a')));
    const bad = gpuPod('ml', 'x');
    bad.metadata = { namespace: 'ml' };
    api.addPod(bad);
    api.addPod(gpuPod('ml', 'b'));
    await vi.waitFor(() => expect(names(watcher)).toEqual(['a', 'b']));
    expect(watcher.takeIssues()).toEqual([
      {
        source: '/api/v1/pods',
        line: null,
        field: 'metadata',
        jobId: null,
        message: 'ADDED event: pod has no metadata.name',
      },
    ]);
    expect(watcher.takeIssues()).toEqual([]);
  });

  it('keeps retrying with back-off while the API server is unreachable and records the error', async () => {
    const api = await startFakeKubeApi();
    const url = api.url;
    await api.close();
    const watcher = createPodWatcher({
      client: createKubeClient(fakeKubeConfig(url)),
      namespaces: [],
      backoff: { initialMs: 1, maxMs: 5 },
    });
    watcher.start();
    await vi.waitFor(() => expect(watcher.health().lastError).toContain('list /api/v1/pods'));
    expect(watcher.health().synced).toBe(false);
    await watcher.stop();
  });
});
