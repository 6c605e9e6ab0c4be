// Fabric rollups for 1,250 nodes × 8 HCA ports per 15-second cycle: port snapshots → rates → minute
// rollups, 24 measured cycles (6 minutes of data, minute flushes included) after 4 warm-up cycles.
// Baseline in the same run: a naive version that JSON-clones its state every cycle and recomputes
// every minute aggregate from the raw observations kept in a Map of objects. Also: parsing 1,250
// node_exporter IB payloads with parseExposition against parse-prometheus-text-format.
// Run: npx tsx bench/fabric-rollup.bench.ts [cycles]
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { parseExposition } from '../collector/dcgm/parse.js';
import { LinkRollupAccumulator } from '../collector/fabric/accumulate-link-rollups.js';
import { parseNodeExporterIb } from '../collector/fabric/parse-node-exporter-ib.js';
import { IbPortRateTracker } from '../collector/fabric/track-port-rates.js';
import type { IbPortSnapshot } from '../collector/fabric/types.js';
import { writeResultsSection } from './results-file.js';

const NODES = 1250;
const PORTS_PER_NODE = 8;
const CYCLE_MS = 15_000;
const WARMUP = 4;
const cycles = Number(process.argv[2] ?? 24);
const T0 = 1_700_000_040_000;

const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => { name: string; metrics: { labels?: Record<string, string>; value: string }[] }[];

/** One cycle of snapshots: every port moves a different amount; one port per 100 nodes resets or downs. */
function buildSnapshots(cycle: number): IbPortSnapshot[] {
  const out: IbPortSnapshot[] = [];
  for (let n = 0; n < NODES; n++) {
    for (let p = 0; p < PORTS_PER_NODE; p++) {
      const load = ((n * 7 + p * 13) % 100) / 100;
      const reset = n % 100 === 0 && p === 0 && cycle === 10;
      const bytes = reset ? 1e9 : cycle * CYCLE_MS * 50e9 * 0.125 * load;
      out.push({
        node: `node-${n}`,
        device: `mlx5_${p}`,
        port: 1,
        timestampMs: T0 + cycle * CYCLE_MS,
        source: 'sysfs',
        rateBitsPerSecond: 400e9,
        state: { id: n % 100 === 1 && cycle % 3 === 0 ? 1 : 4, name: 'ACTIVE' },
        physState: { id: 5, name: 'LinkUp' },
        linkLayer: 'InfiniBand',
        counters: {
          port_xmit_data: bytes,
          port_rcv_data: bytes * 0.9,
          port_xmit_wait: cycle * 1000 * load,
          symbol_error: cycle % 5,
          link_downed: n % 100 === 1 ? cycle : 0,
          port_rcv_errors: 0,
          port_xmit_discards: 0,
          link_error_recovery: 0,
        },
        hwCounters: { out_of_sequence: cycle, np_cnp_sent: cycle * 2, rp_cnp_handled: cycle },
      });
    }
  }
  return out;
}

/** The measured path: rates against the previous snapshot (IbPortRateTracker), observe, flush closed minutes. */
function createFastPipeline() {
  const tracker = new IbPortRateTracker();
  const acc = new LinkRollupAccumulator();
  let rows = 0;
  return {
    cycle(snapshots: IbPortSnapshot[], nowMs: number) {
      for (const rates of tracker.update(snapshots)) acc.observe(rates);
      const dirty = acc.takeDirty(nowMs, { includeOpen: false });
      rows += dirty.length;
      acc.confirmWritten(dirty, nowMs);
    },
    rows: () => rows,
  };
}

interface NaiveState {
  previous: Record<string, IbPortSnapshot>;
  observations: Record<string, { ts: number; tx: number; rx: number; wait: number; errors: number }[]>;
}

/** Baseline: what a first version might do — clone state each cycle, recompute all minutes each cycle. */
function createNaivePipeline() {
  let state: NaiveState = { previous: {}, observations: {} };
  let rows = 0;
  return {
    cycle(snapshots: IbPortSnapshot[], nowMs: number) {
      state = JSON.parse(JSON.stringify(state)) as NaiveState;
      for (const s of snapshots) {
        const key = `${s.node}|${s.device}|${s.port}`;
        const before = state.previous[key];
        state.previous[key] = s;
        if (!before) continue;
        const dt = (s.timestampMs - before.timestampMs) / 1000;
        const d = (name: string) => Math.max(0, (s.counters[name] ?? 0) - (before.counters[name] ?? 0));
        let errors = 0;
        for (const name of Object.keys(s.counters)) if (!name.startsWith('port_')) errors += d(name);
        const list = state.observations[key] ?? [];
        list.push({
          ts: s.timestampMs,
          tx: d('port_xmit_data') / dt,
          rx: d('port_rcv_data') / dt,
          wait: d('port_xmit_wait') / dt,
          errors,
        });
        state.observations[key] = list.filter((o) => o.ts > nowMs - 2 * 60_000);
      }
      const minutes = new Map<string, { tx: number[]; errors: number }>();
      for (const [key, list] of Object.entries(state.observations)) {
        for (const o of list) {
          const id = `${key}@${o.ts - (o.ts % 60_000)}`;
          const m = minutes.get(id) ?? { tx: [], errors: 0 };
          m.tx.push(o.tx);
          m.errors += o.errors;
          minutes.set(id, m);
        }
      }
      rows += minutes.size;
    },
    rows: () => rows,
  };
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;
const ms = (x: number) => x.toFixed(1);

function measure(
  run: (snapshots: IbPortSnapshot[], nowMs: number) => void,
  inputs: IbPortSnapshot[][],
): number[] {
  const times: number[] = [];
  inputs.forEach((snapshots, i) => {
    const start = performance.now();
    run(snapshots, T0 + i * CYCLE_MS);
    if (i >= WARMUP) times.push(performance.now() - start);
  });
  return times;
}

function nodeExporterPayload(n: number): string {
  const lines: string[] = [];
  const family = (name: string, help: string, type: string, value: (p: number) => number) => {
    lines.push(`# HELP node_infiniband_${name} ${help}`, `# TYPE node_infiniband_${name} ${type}`);
    for (let p = 0; p < PORTS_PER_NODE; p++)
      lines.push(`node_infiniband_${name}{device="mlx5_${p}",port="1"} ${value(p)}`);
  };
  family(
    'port_data_transmitted_bytes_total',
    'Number of data octets transmitted on all links',
    'counter',
    (p) => 1e12 + n * 1e6 + p,
  );
  family(
    'port_data_received_bytes_total',
    'Number of data octets received on all links',
    'counter',
    (p) => 9e11 + n * 1e6 + p,
  );
  family(
    'port_transmit_wait_total',
    'Number of ticks during which the port had data to transmit',
    'counter',
    (p) => 1e6 + p,
  );
  family(
    'symbol_error_total',
    'Number of minor link errors detected on one or more physical lanes',
    'counter',
    () => 0,
  );
  family('link_downed_total', 'Number of times the link failed to recover', 'counter', () => 0);
  family('port_errors_received_total', 'Number of packets containing an error', 'counter', () => 0);
  family('port_discards_transmitted_total', 'Number of outbound packets discarded', 'counter', () => 0);
  family('rate_bytes_per_second', 'Maximum signal transfer rate', 'gauge', () => 5e10);
  family('state_id', 'State of the InfiniBand port', 'gauge', () => 4);
  family('physical_state_id', 'Physical state of the InfiniBand port', 'gauge', () => 5);
  return `${lines.join('\n')}\n`;
}

function measureParsing(): { ours: number[]; baseline: number[]; bytes: number; ports: number } {
  const payloads = Array.from({ length: NODES }, (_, n) => nodeExporterPayload(n));
  const ours: number[] = [];
  const baseline: number[] = [];
  let ports = 0;
  for (let round = 0; round < 8; round++) {
    let start = performance.now();
    ports = 0;
    payloads.forEach((text, n) => {
      const { samples } = parseExposition(text);
      ports += parseNodeExporterIb(samples, { node: `node-${n}`, timestampMs: T0, source: 'bench' }).snapshots
        .length;
    });
    if (round >= 2) ours.push(performance.now() - start);
    start = performance.now();
    let values = 0;
    for (const text of payloads) for (const f of parsePrometheusTextFormat(text)) values += f.metrics.length;
    if (round >= 2 && values > 0) baseline.push(performance.now() - start);
  }
  return { ours, baseline, bytes: payloads.reduce((sum, p) => sum + p.length, 0), ports };
}

function main(): void {
  const inputs = Array.from({ length: WARMUP + cycles }, (_, i) => buildSnapshots(i));
  const fast = createFastPipeline();
  const naive = createNaivePipeline();
  const fastTimes = measure(fast.cycle, inputs);
  const naiveTimes = measure(naive.cycle, inputs);
  const parsing = measureParsing();
  const ratio = pct(naiveTimes, 0.5) / pct(fastTimes, 0.5);
  const load = loadavg()[0] ?? 0;
  const markdown = [
    `### Fabric rollups (${NODES.toLocaleString('en')} nodes × ${PORTS_PER_NODE} HCA ports = ${(NODES * PORTS_PER_NODE).toLocaleString('en')} ports per 15-s cycle)`,
    '',
    `${cycles} measured cycles after ${WARMUP} warm-up; Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${load.toFixed(2)} at start. Target: < 500 ms per cycle.`,
    '',
    '| path | median ms/cycle | p95 ms/cycle | rows written |',
    '| --- | ---: | ---: | ---: |',
    `| snapshots → IbPortRateTracker (computePortRates) → LinkRollupAccumulator (+ minute flush) | ${ms(pct(fastTimes, 0.5))} | ${ms(pct(fastTimes, 0.95))} | ${fast.rows()} |`,
    `| baseline: JSON clone of state + Map-of-objects recomputation | ${ms(pct(naiveTimes, 0.5))} | ${ms(pct(naiveTimes, 0.95))} | (${naive.rows()} minute aggregates recomputed) |`,
    '',
    `Baseline / ours (median): ${ratio.toFixed(1)}×.`,
    '',
    `Parsing ${NODES.toLocaleString('en')} node_exporter IB payloads (${(parsing.bytes / 1e6).toFixed(1)} MB, ${parsing.ports.toLocaleString('en')} ports), 6 rounds:`,
    '',
    '| parser | median ms | p95 ms |',
    '| --- | ---: | ---: |',
    `| parseExposition + parseNodeExporterIb | ${ms(pct(parsing.ours, 0.5))} | ${ms(pct(parsing.ours, 0.95))} |`,
    `| parse-prometheus-text-format 1.1.1 (parse only) | ${ms(pct(parsing.baseline, 0.5))} | ${ms(pct(parsing.baseline, 0.95))} |`,
  ].join('\n');
  console.log(markdown);
  writeResultsSection('fabric', markdown);
}

main();
