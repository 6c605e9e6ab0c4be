import { describe, expect, it } from 'vitest';
import { POD_FIXTURES, readKubeFixture } from '../../test/helpers/fake-kube-api.js';
import { normalizePod } from './pod.js';
import { computePodGpus, isGpuPod } from './pod-gpus.js';

function fixturePod(name: string) {
  const pod = normalizePod(readKubeFixture(name));
  if (!pod.ok) throw new Error(pod.error);
  return pod.value;
}

function podWith(containers: object[], initContainers: object[] = []) {
  const pod = normalizePod({
    metadata: { name: 'p', namespace: 'ns' },
    spec: { containers, initContainers },
  });
  if (!pod.ok) throw new Error(pod.error);
  return pod.value;
}

describe('computePodGpus', () => {
  it('counts the two nvidia.com/gpu of the vLLM Deployment pod', () => {
    expect(computePodGpus(fixturePod(POD_FIXTURES.deployment))).toEqual({
      resources: { 'nvidia.com/gpu': 2 },
      count: 2,
      migProfiles: [],
      issues: [],
    });
  });

  it('ignores non-GPU extended resources such as rdma/ib on the PyTorchJob worker', () => {
    expect(computePodGpus(fixturePod(POD_FIXTURES.pytorchJob)).resources).toEqual({ 'nvidia.com/gpu': 8 });
  });

  it('records the MIG profile of a nvidia.com/mig-1g.10gb slice', () => {
    const gpus = computePodGpus(fixturePod(POD_FIXTURES.bareMig));
    expect(gpus.count).toBe(1);
    expect(gpus.migProfiles).toEqual(['1g.10gb']);
  });

  it('takes the limit when requests and limits differ for an extended resource', () => {
    const pod = podWith([
      { name: 'a', resources: { limits: { 'nvidia.com/gpu': '4' }, requests: { 'nvidia.com/gpu': '2' } } },
    ]);
    expect(computePodGpus(pod).count).toBe(4);
  });

  it('falls back to requests when a container sets no limit', () => {
    const pod = podWith([{ name: 'a', resources: { requests: { 'nvidia.com/gpu': '3' } } }]);
    expect(computePodGpus(pod).count).toBe(3);
  });

  it('sums app containers and charges the larger of that and the biggest init container', () => {
    const gpu = (n: string) => ({ resources: { limits: { 'nvidia.com/gpu': n } } });
    const pod = podWith(
      [
        { name: 'a', ...gpu('1') },
        { name: 'b', ...gpu('2') },
      ],
      [{ name: 'warmup', ...gpu('4') }],
    );
    expect(computePodGpus(pod).count).toBe(4);
    const smallInit = podWith([{ name: 'a', ...gpu('2') }], [{ name: 'warmup', ...gpu('1') }]);
    expect(computePodGpus(smallInit).count).toBe(2);
  });

  it('counts another vendor only when its resource name is configured', () => {
    const pod = podWith([{ name: 'a', resources: { limits: { 'amd.com/gpu': '2' } } }]);
    expect(isGpuPod(pod)).toBe(false);
    expect(computePodGpus(pod, { extraResources: ['amd.com/gpu'] }).count).toBe(2);
  });

  it('reports a fractional GPU quantity as an issue and does not count it', () => {
    const pod = podWith([{ name: 'a', resources: { limits: { 'nvidia.com/gpu': '500m' } } }]);
    const gpus = computePodGpus(pod);
    expect(gpus.count).toBe(0);
    expect(gpus.issues).toEqual(['container a: nvidia.com/gpu quantity "500m" is not a whole number']);
  });

  it('finds no GPUs in a pod without containers', () => {
    expect(isGpuPod(podWith([]))).toBe(false);
  });
});

describe('normalizePod', () => {
  it('rejects an object without metadata and says so', () => {
    expect(normalizePod({ spec: {} })).toEqual({ ok: false, error: 'pod has no metadata' });
    expect(normalizePod(null)).toEqual({ ok: false, error: 'pod has no metadata' });
    expect(normalizePod({ metadata: { name: 'x' } })).toEqual({
      ok: false,
      error: 'pod x has no metadata.namespace',
    });
  });

  it('reads Date timestamps from typed client objects the same as strings from raw JSON', () => {
    const raw = readKubeFixture<{ status: { startTime: string } }>(POD_FIXTURES.deployment);
    const typed = { ...raw, status: { ...raw.status, startTime: new Date(raw.status.startTime) } };
    const a = normalizePod(raw);
    const b = normalizePod(typed);
    expect(a.ok && b.ok && a.value.startedAt?.toISOString()).toBe('2026-11-30T08:14:03.000Z');
    expect(b.ok && b.value.startedAt?.toISOString()).toBe('2026-11-30T08:14:03.000Z');
  });
});
