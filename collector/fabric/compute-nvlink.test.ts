import { describe, expect, it } from 'vitest';
import { parseExposition } from '../dcgm/parse.js';
import { LinkRollupAccumulator } from './accumulate-link-rollups.js';
import { computeNvlink } from './compute-nvlink.js';
import { lookupNvlinkSpec } from './nvlink-speeds.js';
import { readFixture } from './testing/fixtures.js';

// UUID and model of GPU 0 of the real 8x H100 node in dcgm-exporter's test data (SOURCES.md)
const H100 = 'GPU-be839661-c0f5-7452-284b-b875666df60c';
const labels = `gpu="0",UUID="${H100}",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="hgx-1"`;
const t0 = 1_700_000_040_000;

function scrape(lines: string[]) {
  return parseExposition(`${lines.join('\n')}\n`).samples;
}

function gpuLines(tx: number, rx: number, activity: number, extra: string[] = []): string[] {
  return [
    `DCGM_FI_PROF_NVLINK_TX_BYTES{${labels}} ${tx}`,
    `DCGM_FI_PROF_NVLINK_RX_BYTES{${labels}} ${rx}`,
    `DCGM_FI_PROF_GR_ENGINE_ACTIVE{${labels}} ${activity}`,
    ...extra,
  ];
}

const base = { node: 'hgx-1', timestampMs: t0, multiGpuJob: new Map([[H100, true]]) };

describe('computeNvlink', () => {
  it('reports per-GPU tx and rx and utilization against 18 NVLink4 links of 25 GB/s', () => {
    const { readings } = computeNvlink({ ...base, samples: scrape(gpuLines(90e9, 45e9, 0.9)) });
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({
      linkType: 'nvlink',
      device: H100,
      port: -1,
      status: 'ok',
      txBytesPerSecond: 90e9,
      rxBytesPerSecond: 45e9,
      utilizationRatio: 0.2,
    });
  });

  it('marks zero traffic on a busy GPU of a multi-GPU job as suspect and leaves the rates null', () => {
    const { readings } = computeNvlink({ ...base, samples: scrape(gpuLines(0, 0, 0.85)) });
    expect(readings[0]).toMatchObject({
      status: 'suspect',
      suspect: true,
      txBytesPerSecond: null,
      rxBytesPerSecond: null,
      utilizationRatio: null,
      readTxBytesPerSecond: 0,
      readRxBytesPerSecond: 0,
    });
  });

  it('believes zero traffic on an idle GPU', () => {
    const { readings } = computeNvlink({ ...base, samples: scrape(gpuLines(0, 0, 0.05)) });
    expect(readings[0]).toMatchObject({ status: 'ok', txBytesPerSecond: 0, utilizationRatio: 0 });
  });

  it('believes zero traffic on a busy GPU whose job uses only that GPU', () => {
    const { readings } = computeNvlink({
      ...base,
      multiGpuJob: new Map([[H100, false]]),
      samples: scrape(gpuLines(0, 0, 0.9)),
    });
    expect(readings[0]?.status).toBe('ok');
  });

  it('reports an H100 without NVLink fields as unknown rather than idle', () => {
    const samples = scrape([`DCGM_FI_PROF_GR_ENGINE_ACTIVE{${labels}} 0.9`]);
    const { readings } = computeNvlink({ ...base, samples });
    expect(readings[0]).toMatchObject({ status: 'unknown', txBytesPerSecond: null, utilizationRatio: null });
  });

  it('turns error counters into deltas against the previous scrape and survives a counter reset', () => {
    const errors = (flit: number, replay: number) => [
      `DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL{${labels}} ${flit}`,
      `DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL{${labels}} ${replay}`,
    ];
    const first = computeNvlink({ ...base, samples: scrape(gpuLines(1e9, 1e9, 0.5, errors(100, 7))) });
    expect(first.readings[0]?.errorDeltas).toEqual({});
    const second = computeNvlink({
      ...base,
      timestampMs: t0 + 15_000,
      previous: first.state,
      samples: scrape(gpuLines(1e9, 1e9, 0.5, errors(104, 2))),
    });
    expect(second.readings[0]?.errorDeltas).toEqual({ nvlink_crc_flit_errors: 4, nvlink_replay_errors: 2 });
    expect(second.readings[0]?.counterIssues).toBe(1);
  });

  it('reads per-link bandwidth counters and link-entity series with gpu_uuid and nvlink labels', () => {
    const link = (i: number, v: number) => `DCGM_FI_DEV_NVLINK_BANDWIDTH_L${i}{${labels}} ${v}`;
    const entity = (v: number) =>
      `DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL{gpu_uuid="${H100}",nvlink="3"} ${v}`;
    const first = computeNvlink({
      ...base,
      samples: scrape(gpuLines(1e9, 1e9, 0.5, [link(0, 0), entity(1)])),
    });
    const second = computeNvlink({
      ...base,
      timestampMs: t0 + 10_000,
      previous: first.state,
      samples: scrape(gpuLines(1e9, 1e9, 0.5, [link(0, 250e9), entity(3)])),
    });
    expect(second.readings.map((r) => r.port)).toEqual([-1, 0, 3]);
    // 250 GB in 10 s both ways together = 25 GB/s against 2 × 25 GB/s
    expect(second.readings[1]?.utilizationRatio).toBe(0.5);
    expect(second.readings[2]?.errorDeltas).toEqual({ nvlink_crc_data_errors: 2 });
  });

  it('measures utilization against link speeds from nvidia-smi when given', () => {
    const speeds = new Map([[H100, [26.562e9, 26.562e9, null]]]);
    const { readings } = computeNvlink({
      ...base,
      linkSpeedsByGpu: speeds,
      samples: scrape(gpuLines(26.562e9, 0, 0.5)),
    });
    expect(readings[0]?.utilizationRatio).toBe(0.5);
  });

  it('reads the real Tesla T4 scrape, whose NVLink counter reads 0 on a GPU without NVLink, without a throughput', () => {
    const { samples } = parseExposition(readFixture('dcgm-exporter_tesla-t4_datadog-serve.prom'));
    const { readings } = computeNvlink({ ...base, multiGpuJob: new Map(), samples });
    expect(readings.length).toBeGreaterThan(0);
    expect(readings.every((r) => r.status === 'unknown' && r.utilizationRatio === null)).toBe(true);
  });
});

describe('lookupNvlinkSpec', () => {
  it('knows H100 as 18 links and A100 as 12 links of 25 GB/s each way, and L40S as none', () => {
    expect(lookupNvlinkSpec('NVIDIA H100 80GB HBM3')).toMatchObject({
      links: 18,
      bytesPerSecondPerLinkEachWay: 25e9,
    });
    expect(lookupNvlinkSpec('NVIDIA A100-SXM4-40GB')).toMatchObject({
      links: 12,
      bytesPerSecondPerLinkEachWay: 25e9,
    });
    expect(lookupNvlinkSpec('NVIDIA L40S')).toBeUndefined();
  });
});

describe('computeNvlink with LinkRollupAccumulator', () => {
  it('rolls suspect NVLink readings into the same LinkRollup row without counting them as zero traffic', () => {
    const acc = new LinkRollupAccumulator();
    const busyZero = computeNvlink({ ...base, samples: scrape(gpuLines(0, 0, 0.9)) });
    const busyReal = computeNvlink({
      ...base,
      timestampMs: t0 + 15_000,
      samples: scrape(gpuLines(50e9, 40e9, 0.9)),
    });
    for (const r of [...busyZero.readings, ...busyReal.readings]) acc.observe(r);
    const [row] = acc.takeDirty(t0, { includeOpen: true });
    expect(row).toMatchObject({
      linkType: 'nvlink',
      device: H100,
      port: -1,
      sampleCount: 2,
      suspectSamples: 1,
      txBytesPerSecondMean: 50e9,
    });
  });
});
