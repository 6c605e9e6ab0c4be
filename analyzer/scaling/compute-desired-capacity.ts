/** What a pool's GPUs did over the capacity window (see loadPoolUsage). */
export interface PoolUsage {
  pool: string;
  gpusPerNode: number;
  /** Nodes that reported GPUs in the window; 0 for a pool known from history but scaled to zero. */
  nodes: number;
  currentGpus: number;
  /** GPUs allocated to a job, or active, at any minute of the window (unknown activity counts as busy). */
  busyGpus: number;
}

export interface PendingDemand {
  /** The GPU type the jobs asked for (Slurm gres type, Kubernetes GPU product), null when they named none. */
  gpuType: string | null;
  gpus: number;
}

export interface PoolScaling {
  pool: string;
  gpusPerNode: number;
  nodes: number;
  desiredGpus: number;
  currentGpus: number;
  busyGpus: number;
  pendingGpus: number;
  idleGpus: number;
  headroomGpus: number;
  asOf: string;
}

/**
 * Whether demand for a GPU type may run on a pool: the same rule as the pool-capacity detector
 * (analyzer/findings/detect-pool-capacity.ts), a type contained in the pool's model name, or any pool for none.
 */
export function isDemandForPool(pool: string, gpuType: string | null): boolean {
  const type = gpuType?.toLowerCase();
  return !type || pool.toLowerCase().includes(type);
}

/**
 * Desired GPUs per pool = busy + pending demand + the headroom nodes' GPUs the capacity detector keeps: current
 * capacity above that is what its scale-down would remove, demand above the idle GPUs what its scale-up would add.
 * Demand naming no GPU type counts for every pool, as in the detector, so one such job can raise several pools.
 */
export function computePoolScaling(
  usage: readonly PoolUsage[],
  pending: readonly PendingDemand[],
  headroomNodes: number,
  asOf: Date,
): PoolScaling[] {
  return usage
    .map((u) => {
      const pendingGpus = pending
        .filter((d) => isDemandForPool(u.pool, d.gpuType))
        .reduce((sum, d) => sum + d.gpus, 0);
      const headroomGpus = headroomNodes * u.gpusPerNode;
      return {
        pool: u.pool,
        gpusPerNode: u.gpusPerNode,
        nodes: u.nodes,
        desiredGpus: u.busyGpus + pendingGpus + headroomGpus,
        currentGpus: u.currentGpus,
        busyGpus: u.busyGpus,
        pendingGpus,
        idleGpus: Math.max(0, u.currentGpus - u.busyGpus),
        headroomGpus,
        asOf: asOf.toISOString(),
      };
    })
    .sort((a, b) => a.pool.localeCompare(b.pool));
}
