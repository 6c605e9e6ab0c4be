/**
 * The cost report every surface shares (JSON API, CSV, CLI, HTML). Money is a decimal string in whole cents,
 * rounded so that the lines add up to the totals to the cent: sum(groups.costUsd) + idleCostUsd +
 * unallocatedCostUsd = totalCostUsd, always.
 */
export const COST_GROUP_BYS = ['team', 'project', 'user', 'job', 'namespace', 'node', 'gpuModel'] as const;
export type CostGroupBy = (typeof COST_GROUP_BYS)[number];
export type SharePolicy = 'none' | 'weighted' | 'even';

/** The key of spend nobody owns (no job, no owner tag). */
export const UNALLOCATED_KEY = 'Unallocated';

export interface CostGroup {
  key: string;
  /** Cost of GPU-minutes the group's jobs used, plus billing lines its tags own. */
  costUsd: string;
  /** The group's allocated-but-idle cost. Shown for the group, counted once in the report's idleCostUsd. */
  idleCostUsd: string;
  /** Idle and unallocated cost the share policy spread onto the group ("0.00" with policy none). */
  sharedCostUsd: string;
  /** costUsd + idleCostUsd + sharedCostUsd: what the group is answerable for. */
  totalCostUsd: string;
  gpuHours: number;
  idleGpuHours: number;
  /** Price tiers behind the group's cost, most first (billing_actual, on_demand, spot, price_book, tags…). */
  priceSources: string[];
  /** For groupBy=job: the job's name, user and team, to label it. */
  jobName?: string | undefined;
  user?: string | undefined;
  team?: string | undefined;
  gpuModel?: string | undefined;
}

export interface DailyCost {
  /** YYYY-MM-DD (UTC). */
  day: string;
  totalCostUsd: string;
  idleCostUsd: string;
  unallocatedCostUsd: string;
}

export interface CostReport {
  from: string;
  to: string;
  groupBy: CostGroupBy;
  currency: string;
  sharePolicy: SharePolicy;
  /** Sorted by totalCostUsd, largest first; with a limit, the rest folded into a last `__rest__` group. */
  groups: CostGroup[];
  /** How many groups the `__rest__` group holds, when a limit folded some. */
  groupsOmitted?: number | undefined;
  /** sum(groups.costUsd). */
  allocatedCostUsd: string;
  idleCostUsd: string;
  unallocatedCostUsd: string;
  /** Part of idle + unallocated the share policy moved into groups' sharedCostUsd. */
  sharedCostUsd: string;
  totalCostUsd: string;
  /** From imported bills vs from prices × telemetry (not yet billed). */
  billedCostUsd: string;
  estimatedCostUsd: string;
  /** Billed node-hours: what the estimate had said, what the bill says, and the difference. */
  reconciliation: { nodeHours: number; estimatedUsd: string; billedUsd: string; adjustmentUsd: string };
  /** Share of spend with an owner (a job, or an owner tag). */
  tagCoverage: { ownedCostUsd: string; ratio: number };
  gpuHours: number;
  idleGpuHours: number;
  unallocatedGpuHours: number;
  daily: DailyCost[];
  /** With step=hour: the same per UTC hour (`day` holds the hour's ISO start). */
  hourly?: DailyCost[] | undefined;
  /** Node-hours priced from a stored price its source has not confirmed lately (API down or throttled). */
  stalePriceNodeHours: number;
  /** GPU-hours with no price anywhere: not in any total, and never charged $0. */
  unpriced: { node: string; gpuModel: string | null; gpuHours: number }[];
  priceSources: { tier: string; costUsd: string }[];
}
