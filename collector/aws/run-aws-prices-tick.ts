import type { Clock } from '../../core/clock.js';
import type { AwsSourceConfig, PriceBookConfig } from '../../core/config.js';
import type { Db } from '../../core/db.js';
import type { Logger } from '../../core/log.js';
import type { AwsClients } from './clients.js';
import { fetchInstanceTypes } from './fetch-instance-types.js';
import { fetchInstances } from './fetch-instances.js';
import { fetchOnDemandPrices } from './fetch-on-demand-prices.js';
import { fetchSpotPrices } from './fetch-spot-prices.js';
import { matchInstancesToNodes, type NodeRef } from './parse-instances.js';
import { buildPriceBookRows } from './price-book.js';
import { listPriceCoverage } from './price-queries.js';
import {
  listGpuInstanceTypeNames,
  upsertCloudInstances,
  upsertInstanceTypes,
  upsertPrices,
} from './queries.js';
import type { CloudInstanceRecord, PriceRow } from './types.js';

export interface AwsPricesTickDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  clients: AwsClients;
  config: AwsSourceConfig;
  priceBook: PriceBookConfig;
  /** Nodes to match instances to (Kubernetes nodes with providerID, Slurm node names). */
  listNodes?: (() => Promise<NodeRef[]>) | undefined;
}

/** When each part last succeeded; a failed part runs again on the next tick. */
export class AwsPricesState {
  lastPricesAtMs: number | null = null;
  lastInventoryAtMs: number | null = null;
}

export interface AwsPricesTickSummary {
  refreshedPrices: boolean;
  refreshedInventory: boolean;
  pricesWritten: number;
  pricesUnchanged: number;
  instanceTypes: number;
  instances: number;
  /** `<region> <type>` with no on-demand price stored: reported, never charged $0. */
  unpriced: string[];
  /** `<region> <type>` whose stored price is kept but not confirmed for refreshHours × 2. */
  stale: string[];
  /** Skipped items (Capacity Block, $0.00, malformed) and unknown types. */
  issues: string[];
  /** Failed API calls (throttling included); stored prices stay as they were. */
  errors: string[];
}

/**
 * On-demand prices and instance types every `refreshHours`; spot prices and inventory every
 * `inventoryIntervalSeconds`; the price book every tick (a no-op unless config changed). A failing or throttling
 * API leaves stored prices in place, flagged stale once old, and its error in the summary; nothing writes zero.
 */
export async function runAwsPricesTick(
  deps: AwsPricesTickDeps,
  state: AwsPricesState,
): Promise<AwsPricesTickSummary> {
  const now = new Date(deps.clock.now());
  const summary: AwsPricesTickSummary = {
    refreshedPrices: false,
    refreshedInventory: false,
    pricesWritten: 0,
    pricesUnchanged: 0,
    instanceTypes: 0,
    instances: 0,
    unpriced: [],
    stale: [],
    issues: [],
    errors: [],
  };
  await writePrices(deps, summary, buildPriceBookRows(deps.priceBook, now), now);
  const { config } = deps;
  if (isDue(state.lastPricesAtMs, config.refreshHours * 3_600_000, now)) {
    const errorsBefore = summary.errors.length;
    await refreshListPrices(deps, summary, now);
    summary.refreshedPrices = summary.errors.length === errorsBefore;
    if (summary.refreshedPrices) state.lastPricesAtMs = now.getTime();
  }
  const types = await listPricedTypes(deps);
  if (isDue(state.lastInventoryAtMs, config.inventoryIntervalSeconds * 1000, now)) {
    const errorsBefore = summary.errors.length;
    await refreshSpotAndInventory(deps, summary, types, now);
    summary.refreshedInventory = summary.errors.length === errorsBefore;
    if (summary.refreshedInventory) state.lastInventoryAtMs = now.getTime();
  }
  const coverage = await listPriceCoverage(deps.db, config.regions, types, now, config.refreshHours);
  summary.unpriced = coverage.missing;
  summary.stale = coverage.stale;
  for (const error of summary.errors)
    deps.log.warn({ source: 'aws', err: error }, 'AWS price or inventory read failed');
  if (summary.stale.length > 0) deps.log.warn({ stale: summary.stale }, 'using stale AWS prices');
  return summary;
}

const isDue = (lastMs: number | null, everyMs: number, now: Date) =>
  lastMs === null || now.getTime() - lastMs >= everyMs;

/** Configured types, else every GPU type DescribeInstanceTypes reported. */
async function listPricedTypes(deps: AwsPricesTickDeps): Promise<string[]> {
  return deps.config.instanceTypes.length > 0 ? deps.config.instanceTypes : listGpuInstanceTypeNames(deps.db);
}

async function writePrices(
  deps: AwsPricesTickDeps,
  summary: AwsPricesTickSummary,
  rows: PriceRow[],
  now: Date,
) {
  const result = await upsertPrices(deps.db, rows, now);
  summary.pricesWritten += result.written;
  summary.pricesUnchanged += result.unchanged;
}

const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

async function refreshListPrices(deps: AwsPricesTickDeps, summary: AwsPricesTickSummary, now: Date) {
  const { config, clients } = deps;
  const firstRegion = config.regions[0] ?? config.pricingRegion;
  try {
    const read = await fetchInstanceTypes(clients.ec2(firstRegion), config.instanceTypes);
    const facts = config.instanceTypes.length > 0 ? read.facts : read.facts.filter((f) => f.gpuCount > 0);
    await upsertInstanceTypes(deps.db, facts, now);
    summary.instanceTypes = facts.length;
    summary.issues.push(...read.issues);
  } catch (error) {
    summary.errors.push(`DescribeInstanceTypes ${firstRegion}: ${describe(error)}`);
  }
  const types = await listPricedTypes(deps);
  for (const region of config.regions) {
    for (const type of types) {
      try {
        const read = await fetchOnDemandPrices(clients.pricing, region, type);
        await writePrices(deps, summary, read.rows, now);
        summary.issues.push(...read.issues.filter((i) => !i.includes('no on-demand price')));
      } catch (error) {
        summary.errors.push(`GetProducts ${region} ${type}: ${describe(error)}`);
        // the SDK's adaptive retries already backed off: more calls now would only be throttled too
        if (error instanceof Error && error.name === 'ThrottlingException') return;
      }
    }
  }
}

async function refreshSpotAndInventory(
  deps: AwsPricesTickDeps,
  summary: AwsPricesTickSummary,
  types: readonly string[],
  now: Date,
) {
  const instances: CloudInstanceRecord[] = [];
  for (const region of deps.config.regions) {
    const ec2 = deps.clients.ec2(region);
    try {
      const spot = await fetchSpotPrices(ec2, region, types, now);
      await writePrices(deps, summary, spot.rows, now);
      summary.issues.push(...spot.issues);
    } catch (error) {
      summary.errors.push(`DescribeSpotPriceHistory ${region}: ${describe(error)}`);
    }
    try {
      instances.push(...(await fetchInstances(ec2, region)));
    } catch (error) {
      summary.errors.push(`DescribeInstances ${region}: ${describe(error)}`);
    }
  }
  let nodes: NodeRef[] = [];
  try {
    nodes = deps.listNodes ? await deps.listNodes() : [];
  } catch (error) {
    // unmatched instances keep the nodes they had, so a failed node list loses nothing
    summary.errors.push(`listNodes: ${describe(error)}`);
  }
  await upsertCloudInstances(deps.db, matchInstancesToNodes(instances, nodes), now);
  summary.instances = instances.length;
}
