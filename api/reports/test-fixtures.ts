import { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { CostGroup, CostReport, DailyCost } from '../../analyzer/cost/report-types.js';
import { UNALLOCATED_KEY } from '../../analyzer/cost/report-types.js';
import { createManualClock } from '../../core/clock.js';
import type { Db } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import type { AppEnv } from '../context.js';
import { errorResponse } from '../errors.js';
import { createReportRoutes, type LoadCostReport } from '../routes/reports.js';

/** Hand-built cost reports for the HTML report's tests. Amounts are integer cents, turned into strings once. */

export function centsToUsd(cents: number): string {
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export interface TeamSpec {
  key: string;
  costCents: number;
  idleCents: number;
  gpuHours: number;
  idleGpuHours: number;
  priceSources?: string[];
}

export const injectedTeam =
  '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true">';

export const defaultTeams: TeamSpec[] = [
  { key: 'research', costCents: 1_234_567, idleCents: 98_765, gpuHours: 4321.5, idleGpuHours: 345.2 },
  { key: 'serving', costCents: 876_543, idleCents: 12_345, gpuHours: 3010.25, idleGpuHours: 42.4 },
  { key: 'platform', costCents: 234_500, idleCents: 45_600, gpuHours: 810, idleGpuHours: 157.5 },
  { key: 'data-eng', costCents: 120_001, idleCents: 0, gpuHours: 402.75, idleGpuHours: 0 },
  { key: 'vision', costCents: 55_555, idleCents: 7_777, gpuHours: 190.1, idleGpuHours: 26.6 },
  { key: 'speech', costCents: 40_404, idleCents: 3_003, gpuHours: 139.9, idleGpuHours: 10.4 },
  {
    key: UNALLOCATED_KEY,
    costCents: 33_333,
    idleCents: 0,
    gpuHours: 0,
    idleGpuHours: 0,
    priceSources: ['billing_actual'],
  },
  { key: injectedTeam, costCents: 1_000, idleCents: 10, gpuHours: 3.5, idleGpuHours: 0.1 },
];

function spread(totalCents: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.floor((totalCents * w) / sum));
  const rest = totalCents - parts.reduce((a, b) => a + b, 0);
  parts[parts.length - 1] = (parts[parts.length - 1] ?? 0) + rest;
  return parts;
}

function buildDaily(from: Date, days: number, total: number, idle: number, unallocated: number): DailyCost[] {
  if (days === 0) return [];
  const weights = Array.from({ length: days }, (_, i) => 80 + ((i * 37) % 41));
  const [totals, idles, unallocs] = [
    spread(total, weights),
    spread(idle, weights),
    spread(unallocated, weights),
  ];
  return weights.map((_, i) => ({
    day: new Date(from.getTime() + i * 86_400_000).toISOString().slice(0, 10),
    totalCostUsd: centsToUsd(totals[i] ?? 0),
    idleCostUsd: centsToUsd(idles[i] ?? 0),
    unallocatedCostUsd: centsToUsd(unallocs[i] ?? 0),
  }));
}

export interface ReportOptions {
  from?: Date;
  days?: number;
  teams?: TeamSpec[];
  unallocatedCents?: number;
}

/** A by-team report whose lines add up: sum(costs) + idle + unallocated = total, and the days sum to it too. */
export function buildTeamReport(options: ReportOptions = {}): CostReport {
  const from = options.from ?? new Date('2026-10-01T00:00:00Z');
  const days = options.days ?? 30;
  const teams = options.teams ?? defaultTeams;
  const unallocated = options.unallocatedCents ?? 456_789;
  const allocated = teams.reduce((a, t) => a + t.costCents, 0);
  const idle = teams.reduce((a, t) => a + t.idleCents, 0);
  const total = allocated + idle + unallocated;
  const estimated = Math.floor((total * 3) / 10);
  const groups: CostGroup[] = [...teams]
    .sort((a, b) => b.costCents + b.idleCents - (a.costCents + a.idleCents))
    .map((t) => ({
      key: t.key,
      costUsd: centsToUsd(t.costCents),
      idleCostUsd: centsToUsd(t.idleCents),
      sharedCostUsd: '0.00',
      totalCostUsd: centsToUsd(t.costCents + t.idleCents),
      gpuHours: t.gpuHours,
      idleGpuHours: t.idleGpuHours,
      priceSources: t.priceSources ?? ['billing_actual', 'on_demand'],
    }));
  const unallocatedGroup = teams.find((t) => t.key === UNALLOCATED_KEY)?.costCents ?? 0;
  const owned = total - unallocated - unallocatedGroup;
  return {
    from: from.toISOString(),
    to: new Date(from.getTime() + days * 86_400_000).toISOString(),
    groupBy: 'team',
    currency: 'USD',
    sharePolicy: 'none',
    groups,
    allocatedCostUsd: centsToUsd(allocated),
    idleCostUsd: centsToUsd(idle),
    unallocatedCostUsd: centsToUsd(unallocated),
    sharedCostUsd: '0.00',
    totalCostUsd: centsToUsd(total),
    billedCostUsd: centsToUsd(total - estimated),
    estimatedCostUsd: centsToUsd(estimated),
    reconciliation: {
      nodeHours: 720,
      estimatedUsd: '8000.00',
      billedUsd: '7876.55',
      adjustmentUsd: '-123.45',
    },
    tagCoverage: { ownedCostUsd: centsToUsd(owned), ratio: total === 0 ? 0 : owned / total },
    gpuHours: teams.reduce((a, t) => a + t.gpuHours, 0) + 1500,
    idleGpuHours: teams.reduce((a, t) => a + t.idleGpuHours, 0),
    unallocatedGpuHours: 1500,
    daily: buildDaily(from, days, total, idle, unallocated),
    stalePriceNodeHours: 3,
    unpriced: [{ node: 'gpu-node-0042', gpuModel: 'NVIDIA L40S', gpuHours: 12.5 }],
    priceSources: [
      { tier: 'billing_actual', costUsd: centsToUsd(total - estimated) },
      { tier: 'on_demand', costUsd: centsToUsd(estimated) },
    ],
  };
}

const users = ['ada', 'grace', 'linus', 'barbara', 'ken'];
const teamNames = ['research', 'serving', 'platform', 'vision', 'speech'];

/** The same window by job: `jobs` groups, largest first, labelled with name, user, team and GPU model. */
export function buildJobReport(options: ReportOptions & { jobs?: number } = {}): CostReport {
  const team = buildTeamReport(options);
  const jobs = options.jobs ?? 14;
  const groups: CostGroup[] = Array.from({ length: jobs }, (_, i) => {
    const cents = (jobs - i) * 45_678 + 99;
    return {
      key: String(910_000 + i),
      costUsd: centsToUsd(cents),
      idleCostUsd: '0.00',
      sharedCostUsd: '0.00',
      totalCostUsd: centsToUsd(cents),
      gpuHours: (jobs - i) * 16,
      idleGpuHours: 0,
      priceSources: ['on_demand'],
      jobName: `train-llm-${i}`,
      user: users[i % users.length],
      team: teamNames[i % teamNames.length],
      gpuModel: i % 3 === 0 ? 'NVIDIA H100 80GB HBM3' : 'NVIDIA A100-SXM4-80GB',
    };
  });
  return { ...team, groupBy: 'job', groups };
}

/**
 * The report routes mounted the way api/app.ts mounts sub-apps (request ids, secure headers, one error shape),
 * without auth: the tests exercise the page, not the roles.
 */
export function createReportTestApp(loadCostReport: LoadCostReport, nowMs: number) {
  const log = createSilentLogger();
  const deps = {
    // the report route never touches the database
    db: {} as Db,
    clock: createManualClock(nowMs),
    registry: createRegistry({ defaultMetrics: false }),
    log,
    tracer: getTracer(),
    tokens: [],
    isReady: async () => ({ ready: true }),
    loadCostReport,
  };
  const app = new OpenAPIHono<AppEnv>();
  app.use(requestId());
  app.use(secureHeaders());
  app.onError((error, c) => errorResponse(c, error, log));
  app.route('/reports', createReportRoutes(deps));
  return app;
}
