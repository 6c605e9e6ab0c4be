import type { Db } from '../../core/db.js';
import type { GpuLabels } from '../dcgm/normalize.js';
import { upsertGpus, upsertNodes, upsertRollups } from '../queries.js';
import type { RollupAccumulator, RollupRow } from './accumulate.js';

interface KnownGpu {
  id: number;
  labels: GpuLabels;
  refreshedAtMs: number;
}

/** Database ids of nodes and GPUs already stored, so steady-state flushes write rollups only. */
export class EntityIdCache {
  readonly nodes = new Map<string, number>();
  readonly gpus = new Map<string, KnownGpu>();
  clear(): void {
    this.nodes.clear();
    this.gpus.clear();
  }
}

export interface FlushResult {
  rollupRows: number;
  newGpus: number;
}

/** How often a known GPU's last_seen_at is refreshed even when nothing about it changed. */
const REFRESH_MS = 60_000;

/**
 * Writes the accumulator's dirty buckets: nodes and GPUs first (new, changed, or due a last-seen
 * refresh), then the rollups, all in one transaction. On failure nothing is confirmed, so the same
 * buckets are written again next time and the upsert keeps that from counting anything twice.
 */
export async function flushRollups(
  db: Db,
  cluster: string,
  accumulator: RollupAccumulator,
  cache: EntityIdCache,
  nowMs: number,
  options: { includeOpen: boolean },
): Promise<FlushResult> {
  const rows = accumulator.takeDirty(nowMs, options);
  if (rows.length === 0) return { rollupRows: 0, newGpus: 0 };
  const latest = latestRowPerGpu(rows);
  // Ids learnt inside the transaction are kept only once it commits: a rolled-back insert has no row.
  const nodeIds = new Map(cache.nodes);
  const gpuIds = new Map<string, number>();
  const due = [...latest.values()].filter((r) => {
    const known = cache.gpus.get(r.key);
    return !known || known.labels !== r.gpu || nowMs - known.refreshedAtMs >= REFRESH_MS;
  });
  await db.transaction(async (tx) => {
    const txDb = tx as unknown as Db;
    const missingNodes = [...new Set(rows.map((r) => r.node))].filter((n) => !nodeIds.has(n));
    if (missingNodes.length > 0) {
      for (const [name, id] of await upsertNodes(txDb, cluster, missingNodes, new Date(nowMs)))
        nodeIds.set(name, id);
    }
    if (due.length > 0) {
      const items = due.map((r) => ({
        key: r.key,
        nodeId: nodeIds.get(r.node)!,
        gpu: r.gpu,
        seenAt: new Date(r.lastSeenMs),
      }));
      for (const [key, id] of await upsertGpus(txDb, items)) gpuIds.set(key, id);
    }
    const idOf = (key: string) => gpuIds.get(key) ?? cache.gpus.get(key)!.id;
    await upsertRollups(
      txDb,
      rows.map((r) => ({ ...r, gpuId: idOf(r.key) })),
    );
  });
  for (const [name, id] of nodeIds) cache.nodes.set(name, id);
  let newGpus = 0;
  for (const r of due) {
    const id = gpuIds.get(r.key);
    if (id === undefined) continue;
    if (!cache.gpus.has(r.key)) newGpus++;
    cache.gpus.set(r.key, { id, labels: r.gpu, refreshedAtMs: nowMs });
  }
  accumulator.confirmWritten(rows, nowMs);
  return { rollupRows: rows.length, newGpus };
}

function latestRowPerGpu(rows: RollupRow[]): Map<string, RollupRow> {
  const out = new Map<string, RollupRow>();
  for (const row of rows) {
    const prev = out.get(row.key);
    if (!prev || row.bucketMs > prev.bucketMs) out.set(row.key, row);
  }
  return out;
}
