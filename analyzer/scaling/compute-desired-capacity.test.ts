import { describe, expect, it } from 'vitest';
import { computePoolScaling, isDemandForPool } from './compute-desired-capacity.js';

const asOf = new Date('2026-12-03T09:00:00Z');
const h100 = { pool: 'NVIDIA H100 80GB HBM3 x8', gpusPerNode: 8, nodes: 2, currentGpus: 16, busyGpus: 10 };

describe('isDemandForPool', () => {
  it('matches a GPU type contained in the pool model, case-insensitively', () => {
    expect(isDemandForPool(h100.pool, 'h100')).toBe(true);
    expect(isDemandForPool(h100.pool, 'a100')).toBe(false);
  });

  it('lets untyped demand run on any pool', () => {
    expect(isDemandForPool(h100.pool, null)).toBe(true);
  });
});

describe('computePoolScaling', () => {
  it('wants busy + pending + headroom GPUs', () => {
    const [p] = computePoolScaling([h100], [{ gpuType: 'h100', gpus: 4 }], 1, asOf);
    expect(p).toEqual({
      ...h100,
      desiredGpus: 10 + 4 + 8,
      pendingGpus: 4,
      idleGpus: 6,
      headroomGpus: 8,
      asOf: '2026-12-03T09:00:00.000Z',
    });
  });

  it('wants fewer GPUs than it has when idle ones exceed the headroom, never fewer than the busy', () => {
    const [p] = computePoolScaling([{ ...h100, busyGpus: 3 }], [], 0, asOf);
    expect(p?.desiredGpus).toBe(3);
    expect(p?.idleGpus).toBe(13);
  });

  it('ignores demand for another GPU type', () => {
    const [p] = computePoolScaling([h100], [{ gpuType: 'a100', gpus: 64 }], 0, asOf);
    expect(p?.pendingGpus).toBe(0);
  });
});
