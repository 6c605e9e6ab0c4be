import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures');

/** The capture files; three already sit in fabric/ for the topo and NVLink tests, the H200 one in telemetry/. */
export const CAPTURES = {
  h100: 'fabric/nvidia-smi-capture_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt',
  h100Mig: 'fabric/nvidia-smi-capture_linux-x86_64__nvidia-h100-mig__590.48.01.txt',
  h200: 'telemetry/nvidia-smi-capture_linux-x86_64__nvidia-h200__590.48.01.txt',
  l40s: 'fabric/nvidia-smi-capture_linux-x86_64__nvidia-l40s__595.80.txt',
} as const;

export const EXPORTER_SCRAPES = {
  h100Idle: 'telemetry/nvidia_gpu_exporter_h100-80gb-hbm3__idle.prom',
  h100Load: 'telemetry/nvidia_gpu_exporter_h100-80gb-hbm3__load.prom',
  h100MigLoad: 'telemetry/nvidia_gpu_exporter_h100-mig__load.prom',
} as const;

/** `path` under test/fixtures/. */
export function readFixture(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8');
}
