import { describe, expect, it } from 'vitest';
import { collectGarbage } from './gc.js';

describe('collectGarbage', () => {
  it('runs a full collection without --expose-gc and frees what nothing references', () => {
    let garbage: number[][] | null = Array.from({ length: 2000 }, () => new Array(1000).fill(1.5));
    const before = process.memoryUsage().heapUsed;
    expect(garbage.length).toBe(2000);
    garbage = null;
    const seconds = collectGarbage();
    expect(seconds).toBeGreaterThanOrEqual(0);
    // 2,000 arrays of 1,000 doubles are ~16 MB; a full collection gives most of it back
    expect(before - process.memoryUsage().heapUsed).toBeGreaterThan(10_000_000);
    expect(garbage).toBeNull();
  });
});
