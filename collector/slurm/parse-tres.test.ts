import { describe, expect, it } from 'vitest';
import {
  parseSizeBytes,
  parseTresString,
  readGpuUsage,
  summarizeGpuTres,
  tresEntriesFromJson,
} from './parse-tres.js';

describe('summarizeGpuTres', () => {
  it('counts the untyped gres/gpu once when typed entries sit beside it', () => {
    const gpus = summarizeGpuTres(parseTresString('cpu=1,mem=20000M,gres/gpu=2,gres/gpu:h100=2'));
    expect(gpus).toEqual({ count: 2, type: 'h100' });
  });

  it('sums typed entries when no untyped count is present', () => {
    expect(summarizeGpuTres(parseTresString('cpu=8,gres/gpu:a100=2,gres/gpu:v100=1'))).toEqual({
      count: 3,
      type: 'a100,v100',
    });
  });

  it('returns null when a TRES list holds no GPU', () => {
    expect(summarizeGpuTres(parseTresString('billing=24,cpu=1,mem=199G,node=1'))).toBeNull();
  });

  it('reads JSON TRES entries by type and name, never by the site-specific id', () => {
    const entries = tresEntriesFromJson([
      { type: 'gres', name: 'gpu:a100', id: 7777, count: 4 },
      { type: 'energy', name: '', id: 3, count: -2 },
    ]);
    expect(entries).toEqual([{ name: 'gres/gpu:a100', value: '4' }]);
    expect(summarizeGpuTres(entries)).toEqual({ count: 4, type: 'a100' });
  });
});

describe('readGpuUsage', () => {
  it('reads gpuutil as percent and gpumem in binary units as bytes', () => {
    const usage = readGpuUsage(
      parseTresString('cpu=15:33:58,gres/gpumem=20500736K,gres/gpuutil=90,mem=1294440K'),
    );
    expect(usage).toEqual({ utilizationPercent: 90, memoryBytes: 20500736 * 1024 });
  });

  it('parses sizes with and without a unit and rejects other text', () => {
    expect(parseSizeBytes('199G')).toBe(199 * 1024 ** 3);
    expect(parseSizeBytes('512')).toBe(512);
    expect(parseSizeBytes('12X')).toBeNull();
  });
});
