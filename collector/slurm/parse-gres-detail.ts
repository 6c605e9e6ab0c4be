import type { GpuAllocation } from '../jobs/types.js';
import { expandHostlist } from './hostlist.js';

export interface GresIndices {
  type: string | null;
  count: number;
  /** GPU indices on the node; empty when Slurm gave none (`IDX:N/A`, or no `File=` in gres.conf). */
  indices: number[];
}

/**
 * `gpu:h100:2(IDX:0-1)` or `gpu:2(IDX:0,2),gpu:a100:1(IDX:3)` (scontrol's per-node GRES, squeue's gres_detail) →
 * the GPU entries; other GRES (e.g. `shard`) are ignored. Null when the text is not GRES detail at all.
 */
export function parseGresDetail(text: string): GresIndices[] | null {
  const out: GresIndices[] = [];
  for (const item of splitOutsideParens(text)) {
    const m = /^gpu(?::([^:(]+))?(?::(\d+))(?:\(IDX:([^)]*)\))?$/.exec(item.trim());
    if (m === null) {
      if (/^\w+(?::[^:(]+)?:\d+/.test(item.trim())) continue;
      return null;
    }
    const indices = parseIndexList(m[3] ?? '');
    if (indices === null) return null;
    out.push({ type: m[1] ?? null, count: Number(m[2]), indices });
  }
  return out;
}

function splitOutsideParens(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  items.push(text.slice(start));
  return items.filter((s) => s.trim() !== '');
}

function parseIndexList(text: string): number[] | null {
  if (text === '' || text === 'N/A') return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) return null;
    const to = Number(m[2] ?? m[1]);
    for (let n = Number(m[1]); n <= to && out.length < 4096; n++) out.push(n);
  }
  return out;
}

/** One allocation per GPU index per node of `nodes` (a hostlist); nothing when Slurm gave no indices. */
export function gresAllocations(nodes: string, gres: readonly GresIndices[]): GpuAllocation[] {
  const hosts = expandHostlist(nodes);
  if (!hosts.ok) return [];
  const allocations: GpuAllocation[] = [];
  for (const node of hosts.value) {
    for (const entry of gres) {
      for (const gpuIndex of entry.indices)
        allocations.push({ node, gpuIndex, gpuUuid: null, migProfile: null });
    }
  }
  return allocations;
}
