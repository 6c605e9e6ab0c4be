import type { FabricIssue } from './types.js';

/** `nvidia-smi topo -m`: device names (GPU0…, NIC0…) and the relation printed between each pair. */
export interface TopoMatrix {
  devices: string[];
  /** row device → column device → relation as printed (`X`, `PIX`, `PXB`, `PHB`, `NODE`, `SYS`, `NV12`…). */
  relations: Map<string, Map<string, string>>;
  /** `NIC0` → `mlx5_0` from the NIC Legend; older drivers print HCA names as column names directly. */
  nicNames: Map<string, string>;
}

export interface HcaAffinity {
  hca: string;
  /** GPU indices at the closest PCIe distance to the HCA. */
  gpus: number[];
  /** That distance (`PIX` closest … `SYS` farthest), or `config` when configuration said so. */
  relation: string;
}

/** PCIe distances from closest to farthest; NVLink relations are GPU–GPU only. */
const PCIE_RANK: Readonly<Record<string, number>> = { PIX: 0, PXB: 1, PHB: 2, NODE: 3, SYS: 4 };
// biome-ignore lint/suspicious/noControlCharactersInRegex: nvidia-smi underlines the header with ANSI escapes
const ANSI = /\u001b\[[0-9;]*m/g;
const TRAILING_COLUMN = /Affinity|NUMA ID/;

/** Parses the matrix and NIC legend of `nvidia-smi topo -m`; null with an issue when there is no matrix. */
export function parseNvidiaSmiTopo(
  text: string,
  source: string,
): { matrix: TopoMatrix | null; issues: FabricIssue[] } {
  const lines = text.replace(ANSI, '').split('\n');
  const headerIndex = lines.findIndex((line) => /^\s*GPU0\b/.test(line) && TRAILING_COLUMN.test(line));
  if (headerIndex < 0)
    return { matrix: null, issues: [{ source, reason: 'no topo -m matrix header (GPU0 … CPU Affinity)' }] };
  const header = cells(lines[headerIndex] ?? '');
  const end = header.findIndex((cell) => TRAILING_COLUMN.test(cell));
  const devices = header.slice(0, end < 0 ? header.length : end);
  const known = new Set(devices);
  const relations = new Map<string, Map<string, string>>();
  const issues: FabricIssue[] = [];
  const nicNames = new Map<string, string>();
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const legend = /^\s*(NIC\d+):\s*(\S+)\s*$/.exec(line);
    if (legend?.[1] !== undefined && legend[2] !== undefined) nicNames.set(legend[1], legend[2]);
    const row = cells(line);
    const label = row[0];
    if (label === undefined || !known.has(label) || row.length < devices.length + 1) {
      if (label !== undefined && known.has(label))
        issues.push({
          source,
          line: i + 1,
          reason: `row ${label} has ${row.length - 1} of ${devices.length} cells`,
        });
      continue;
    }
    relations.set(label, new Map(devices.map((device, j) => [device, row[j + 1] ?? ''])));
  }
  return { matrix: { devices, relations, nicNames }, issues };
}

/** Cells split on tabs (the command's output) or runs of spaces (pasted copies); `X` cells keep no padding. */
function cells(line: string): string[] {
  return line
    .trim()
    .split(/\t| {2,}/)
    .map((cell) => cell.trim())
    .filter((cell, i, all) => cell !== '' || (i > 0 && i < all.length - 1));
}

/**
 * For each HCA, the GPUs at the closest PCIe distance (PIX before PXB before PHB, NODE, SYS).
 * Configuration (`collectors.infiniband.gpuAffinity[node]`) replaces what the matrix says per HCA.
 */
export function computeHcaGpuAffinity(
  matrix: TopoMatrix | null,
  configured: Readonly<Record<string, readonly number[]>> = {},
): HcaAffinity[] {
  const out = new Map<string, HcaAffinity>();
  const gpus = (matrix?.devices ?? []).filter((d) => /^GPU\d+$/.test(d));
  for (const column of (matrix?.devices ?? []).filter((d) => !/^GPU\d+$/.test(d))) {
    const hca = matrix?.nicNames.get(column) ?? column;
    let best = Number.POSITIVE_INFINITY;
    let closest: number[] = [];
    for (const gpu of gpus) {
      const rank = PCIE_RANK[matrix?.relations.get(gpu)?.get(column) ?? ''];
      if (rank === undefined || rank > best) continue;
      if (rank < best) closest = [];
      best = rank;
      closest.push(Number(gpu.slice(3)));
    }
    const relation = Object.keys(PCIE_RANK).find((k) => PCIE_RANK[k] === best);
    if (relation !== undefined) out.set(hca, { hca, gpus: closest, relation });
  }
  for (const [hca, indices] of Object.entries(configured))
    out.set(hca, { hca, gpus: [...indices], relation: 'config' });
  return [...out.values()].sort((a, b) => a.hca.localeCompare(b.hca));
}
