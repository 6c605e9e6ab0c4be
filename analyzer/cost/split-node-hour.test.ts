import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimal } from '../../core/decimal.js';
import { migUnitsPerMinute, prorateToHours, splitNodeHour, UNITS_PER_GPU_MINUTE } from './split-node-hour.js';

const d = (v: string) => parseDecimal(v) ?? 0n;
const H = 3_600_000;

describe('migUnitsPerMinute', () => {
  it('weights MIG slices by compute slices over the GPU’s 7 (4 on A30)', () => {
    expect(migUnitsPerMinute(null, 'NVIDIA H100 80GB HBM3')).toBe(UNITS_PER_GPU_MINUTE);
    expect(migUnitsPerMinute('1g.10gb', 'NVIDIA A100-SXM4-80GB')).toBe(4);
    expect(migUnitsPerMinute('3g.40gb', 'NVIDIA H100 80GB HBM3')).toBe(12);
    expect(migUnitsPerMinute('7g.80gb', 'NVIDIA H100 80GB HBM3')).toBe(28);
    expect(migUnitsPerMinute('1g.10gb+me', 'NVIDIA A100-SXM4-80GB')).toBe(4);
    expect(migUnitsPerMinute('1g.6gb', 'NVIDIA A30')).toBe(7);
    expect(migUnitsPerMinute('2g.12gb', 'NVIDIA A30')).toBe(14);
    // an unknown profile string is charged as a whole GPU rather than guessed smaller
    expect(migUnitsPerMinute('weird', 'NVIDIA A100')).toBe(28);
  });
});

describe('splitNodeHour', () => {
  it('charges held minutes by share of capacity and leaves the exact remainder unallocated', () => {
    // a p4d-like node: 8 GPUs × 60 min, $32.7726 the hour; one job holds 3 GPUs, 1 of them idle
    const rows = splitNodeHour(
      d('32.7726'),
      8 * 60 * 28,
      [{ jobRef: 7, gpuModel: 'A100', units: 3 * 60 * 28, idleUnits: 60 * 28 }],
      'A100',
    );
    expect(rows.map((r) => ({ ...r, cost: r.cost === null ? null : formatDecimal(r.cost) }))).toEqual([
      { kind: 'usage', jobRef: 7, gpuModel: 'A100', units: 3360, cost: '8.1931500000' },
      { kind: 'idle', jobRef: 7, gpuModel: 'A100', units: 1680, cost: '4.0965750000' },
      { kind: 'unallocated', jobRef: null, gpuModel: 'A100', units: 8400, cost: '20.4828750000' },
    ]);
    expect(rows.reduce((s, r) => s + (r.cost ?? 0n), 0n)).toBe(d('32.7726'));
  });

  it('adds up exactly when shares do not divide evenly', () => {
    const usage = [1, 2, 3, 4, 5, 6].map((j) => ({ jobRef: j, gpuModel: null, units: 7 * j, idleUnits: 0 }));
    const rows = splitNodeHour(d('1'), 3 * 60 * 28, usage, null);
    expect(rows.reduce((s, r) => s + (r.cost ?? 0n), 0n)).toBe(d('1'));
  });

  it('raises capacity to what was measured rather than charge more than the node cost', () => {
    const rows = splitNodeHour(d('10'), 28, [{ jobRef: 1, gpuModel: null, units: 56, idleUnits: 0 }], null);
    expect(rows).toEqual([{ kind: 'usage', jobRef: 1, gpuModel: null, units: 56, cost: d('10') }]);
  });

  it('keeps unattributed minutes in the unallocated line and unpriced hours at null', () => {
    const rows = splitNodeHour(
      null,
      60 * 28,
      [
        { jobRef: null, gpuModel: 'L40S', units: 30 * 28, idleUnits: 0 },
        { jobRef: 2, gpuModel: 'L40S', units: 30 * 28, idleUnits: 0 },
      ],
      'L40S',
    );
    expect(rows).toEqual([
      { kind: 'usage', jobRef: 2, gpuModel: 'L40S', units: 840, cost: null },
      { kind: 'unallocated', jobRef: null, gpuModel: 'L40S', units: 840, cost: null },
    ]);
  });

  it('splits a credit (negative cost) the same way', () => {
    const rows = splitNodeHour(
      d('-3'),
      3 * 28,
      [{ jobRef: 1, gpuModel: null, units: 28, idleUnits: 0 }],
      null,
    );
    expect(rows.map((r) => r.cost)).toEqual([d('-1'), d('-2')]);
  });
});

describe('prorateToHours', () => {
  it('spreads a daily charge over 24 hours exactly', () => {
    const pieces = prorateToHours(d('1'), 0, 24 * H);
    expect(pieces).toHaveLength(24);
    expect(pieces.reduce((s, p) => s + p.cost, 0n)).toBe(d('1'));
    expect(pieces[0]?.cost).toBe(d('1') / 24n);
  });

  it('pro-rates a charge that starts and ends mid-hour by overlap', () => {
    const pieces = prorateToHours(d('0.9'), 0.5 * H, 2 * H);
    expect(pieces).toEqual([
      { hourMs: 0, cost: d('0.3') },
      { hourMs: H, cost: d('0.6') },
    ]);
  });

  it('puts a zero-length charge in its start hour', () => {
    expect(prorateToHours(d('5'), 3.5 * H, 3.5 * H)).toEqual([{ hourMs: 3 * H, cost: d('5') }]);
  });
});

describe('invariant over random node-hours', () => {
  it('the lines always add up exactly to the node cost, and never charge more units than capacity', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 2000; n++) {
      const gpus = 1 + Math.floor(rand() * 8);
      const present = 1 + Math.floor(rand() * 60);
      const cost = BigInt(Math.floor(rand() * 1e12)) * (rand() < 0.05 ? -1n : 1n);
      const usage = Array.from({ length: Math.floor(rand() * 10) }, (_, j) => {
        const units =
          Math.floor(rand() * present) * migUnitsPerMinute(rand() < 0.3 ? '1g.10gb' : null, 'H100');
        return {
          jobRef: rand() < 0.2 ? null : j,
          gpuModel: 'H100',
          units,
          idleUnits: Math.floor(units * rand()),
        };
      });
      const rows = splitNodeHour(cost, gpus * present * UNITS_PER_GPU_MINUTE, usage, 'H100');
      expect(rows.reduce((s, r) => s + (r.cost ?? 0n), 0n)).toBe(cost);
      for (const r of rows) expect(r.units).toBeGreaterThanOrEqual(0);
    }
  });
});
