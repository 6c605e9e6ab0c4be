import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeKubeApi,
  POD_FIXTURES,
  readKubeFixture,
  startFakeKubeApi,
} from '../../test/helpers/fake-kube-api.js';
import { readJson } from '../../test/helpers/read-json.js';

let api: FakeKubeApi | null = null;

afterEach(async () => {
  await api?.close();
  api = null;
});

async function start(): Promise<FakeKubeApi> {
  api = await startFakeKubeApi();
  return api;
}

describe('fake Kubernetes API server', () => {
  it('answers a missing owner with a 404 NotFound Status object', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/apis/apps/v1/namespaces/ml/replicasets/gone-7d9c`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
    });
  });

  it('pages a PodList and stamps it with the resourceVersion of its snapshot', async () => {
    const server = await start();
    server.addPod(readKubeFixture(POD_FIXTURES.deployment));
    server.addPod(readKubeFixture(POD_FIXTURES.bareMig));
    const first = await readJson(await fetch(`${server.url}/api/v1/pods?limit=1`));
    expect(first).toMatchObject({
      kind: 'PodList',
      metadata: { resourceVersion: '1002', remainingItemCount: 1 },
    });
    const second = await readJson(
      await fetch(`${server.url}/api/v1/pods?limit=1&continue=${first.metadata.continue}`),
    );
    expect(second.items[0].metadata.name).toBe('notebook-mig-jdoe');
    expect(second.metadata.continue).toBeUndefined();
  });

  it('refuses selectors it does not implement instead of ignoring them', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/api/v1/pods?labelSelector=team%3Dnlp`)).status).toBe(400);
  });

  it('streams a compacted resourceVersion as one ERROR event with a 410 Expired Status and ends', async () => {
    const server = await start();
    server.addPod(readKubeFixture(POD_FIXTURES.deployment));
    server.addPod(readKubeFixture(POD_FIXTURES.bareMig));
    server.compact();
    const res = await fetch(`${server.url}/api/v1/pods?watch=true&resourceVersion=1001`);
    expect(res.status).toBe(200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }),
      },
    ]);
  });
});
