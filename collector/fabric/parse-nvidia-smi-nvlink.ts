import type { FabricIssue } from './types.js';

/** One GPU of `nvidia-smi nvlink -s`. */
export interface NvlinkStatusGpu {
  index: number;
  name: string;
  uuid: string | null;
  /** Link index → bytes/s each way; null for `<inactive>`. Empty when the GPU has no NVLink or is in MIG mode. */
  linkBytesPerSecond: (number | null)[];
  /** What nvidia-smi said instead of links (`Nvlink queries are not supported for Devices in MIG mode`). */
  note: string | null;
}

const GPU_LINE = /^GPU (\d+): (.+?)(?: \(UUID: (\S+)\))?\s*$/;
const LINK_LINE = /^\s*Link (\d+): (?:([\d.]+) GB\/s|<inactive>)\s*$/;

/** Parses the output of `nvidia-smi nvlink -s` (just that command's text). */
export function parseNvidiaSmiNvlinkStatus(
  text: string,
  source: string,
): { gpus: NvlinkStatusGpu[]; issues: FabricIssue[] } {
  const gpus: NvlinkStatusGpu[] = [];
  const issues: FabricIssue[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const gpu = GPU_LINE.exec(line);
    if (gpu?.[1] !== undefined && gpu[2] !== undefined) {
      gpus.push({
        index: Number(gpu[1]),
        name: gpu[2],
        uuid: gpu[3] ?? null,
        linkBytesPerSecond: [],
        note: null,
      });
      continue;
    }
    const current = gpus[gpus.length - 1];
    const link = LINK_LINE.exec(line);
    if (link?.[1] !== undefined && current) {
      // nvidia-smi's GB is 10^9 bytes
      current.linkBytesPerSecond[Number(link[1])] = link[2] === undefined ? null : Number(link[2]) * 1e9;
    } else if (
      line.trim() !== '' &&
      current &&
      current.note === null &&
      current.linkBytesPerSecond.length === 0
    ) {
      current.note = line.trim();
    } else if (line.trim() !== '') {
      issues.push({
        source,
        line: i + 1,
        reason: `unrecognised line ${JSON.stringify(line.trim().slice(0, 60))}`,
      });
    }
  }
  return { gpus, issues };
}

/** UUID → per-link speeds, the form `computeNvlink` takes; GPUs without a UUID or links are left out. */
export function linkSpeedsByUuid(gpus: readonly NvlinkStatusGpu[]): Map<string, (number | null)[]> {
  const out = new Map<string, (number | null)[]>();
  for (const gpu of gpus) {
    if (gpu.uuid !== null && gpu.linkBytesPerSecond.length > 0)
      out.set(
        gpu.uuid,
        Array.from(gpu.linkBytesPerSecond, (s) => s ?? null),
      );
  }
  return out;
}
