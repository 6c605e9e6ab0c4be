import { z } from '@hono/zod-openapi';
import { COST_GROUP_BYS } from '../../analyzer/cost/report-types.js';

const isoInstant = z.iso.datetime({ offset: true });
const money = z
  .string()
  .regex(/^-?\d+\.\d{2}$/)
  .openapi({ description: 'Whole cents, e.g. "1234.56"' });

export const CostsQuery = z.object({
  from: isoInstant.optional().openapi({ description: 'ISO 8601; default to - 30 days' }),
  to: isoInstant.optional().openapi({ description: 'ISO 8601; default the start of the current UTC hour' }),
  groupBy: z.enum(COST_GROUP_BYS).default('team'),
  format: z.enum(['json', 'csv']).default('json'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .openapi({ description: 'Keep the largest N groups; the rest are summed into one `__rest__` group' }),
  step: z
    .enum(['day', 'hour'])
    .default('day')
    .openapi({ description: '`hour` adds an hourly series (windows up to 31 days)' }),
  sharePolicy: z.enum(['none', 'weighted', 'even']).optional().openapi({
    description: 'How unallocated capacity reaches groups; default from config (costs.sharePolicy)',
  }),
});

export const CostGroupSchema = z
  .object({
    key: z.string(),
    costUsd: money,
    idleCostUsd: money,
    sharedCostUsd: money,
    totalCostUsd: money,
    gpuHours: z.number(),
    idleGpuHours: z.number(),
    priceSources: z.array(z.string()),
    jobName: z.string().optional(),
    user: z.string().optional(),
    team: z.string().optional(),
    gpuModel: z.string().optional(),
  })
  .openapi('CostGroup');

export const CostReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(COST_GROUP_BYS),
    currency: z.string(),
    sharePolicy: z.enum(['none', 'weighted', 'even']),
    groups: z.array(CostGroupSchema),
    groupsOmitted: z.number().int().optional(),
    allocatedCostUsd: money,
    idleCostUsd: money,
    unallocatedCostUsd: money,
    sharedCostUsd: money,
    totalCostUsd: money.openapi({
      description: 'sum(groups.costUsd) + idleCostUsd + unallocatedCostUsd, to the cent',
    }),
    billedCostUsd: money,
    estimatedCostUsd: money,
    reconciliation: z.object({
      nodeHours: z.number().int(),
      estimatedUsd: money,
      billedUsd: money,
      adjustmentUsd: money,
    }),
    tagCoverage: z.object({ ownedCostUsd: money, ratio: z.number() }),
    gpuHours: z.number(),
    idleGpuHours: z.number(),
    unallocatedGpuHours: z.number(),
    daily: z.array(
      z.object({ day: z.string(), totalCostUsd: money, idleCostUsd: money, unallocatedCostUsd: money }),
    ),
    hourly: z
      .array(
        z.object({ day: z.string(), totalCostUsd: money, idleCostUsd: money, unallocatedCostUsd: money }),
      )
      .optional(),
    stalePriceNodeHours: z.number().int(),
    unpriced: z.array(z.object({ node: z.string(), gpuModel: z.string().nullable(), gpuHours: z.number() })),
    priceSources: z.array(z.object({ tier: z.string(), costUsd: money })),
  })
  .openapi('CostReport');

export const AllocationQuery = z.object({
  window: z.string().min(1).openapi({
    description: 'OpenCost window: 7d, 24h, today, yesterday, week, month, lastweek, lastmonth, or start,end',
  }),
  aggregate: z.string().default('namespace').openapi({
    description: 'namespace, node, controller|job, team|label:team, project|label:project, user, gpuModel',
  }),
});

export const AllocationResponse = z
  .object({
    code: z.literal(200),
    status: z.literal('success'),
    data: z.array(z.record(z.string(), z.record(z.string(), z.unknown()))),
  })
  .openapi('OpenCostAllocationResponse');
