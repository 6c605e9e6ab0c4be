import { z } from '@hono/zod-openapi';

const subjectType = z.enum(['gpu', 'job', 'node', 'link', 'pool', 'team', 'project']);
const money = z.string().nullable().openapi({ description: 'Exact decimal dollars' });

export const FindingListQuery = z.object({
  kind: z.string().min(1).optional().openapi({ description: 'e.g. idle_gpu_allocated' }),
  status: z.enum(['open', 'updated', 'resolved']).optional(),
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  subject: z
    .string()
    .regex(/^(gpu|job|node|link|pool|team)(:.+)?$/)
    .optional()
    .openapi({ description: '`type` or `type:id`, e.g. `gpu:GPU-3f…`' }),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

export const Finding = z
  .object({
    id: z.number().int(),
    cluster: z.string(),
    kind: z.string(),
    subject: z.object({ type: subjectType, id: z.string() }),
    status: z.enum(['open', 'updated', 'resolved']),
    severity: z.enum(['info', 'warning', 'critical']),
    title: z.string(),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    resolvedAt: z.string().nullable(),
    evidence: z.object({
      metric: z.string(),
      window: z.object({ from: z.string(), to: z.string() }),
      values: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
      threshold: z.record(z.string(), z.union([z.number(), z.string()])),
      method: z.string().optional(),
      samples: z.number().optional(),
    }),
    impact: z.object({ costUsd: money, monthlyUsd: money }),
    recommendation: z.string().nullable(),
    version: z.number().int(),
  })
  .openapi('Finding');

export const FindingList = z.object({ data: z.array(Finding) }).openapi('FindingList');

export const RecommendationListQuery = z.object({
  status: z.enum(['open', 'resolved', 'expired']).optional(),
  action: z
    .enum(['release_gpu', 'reclaim_gpu', 'right_size', 'move_to_spot', 'scale_down', 'scale_up'])
    .optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

export const Recommendation = z
  .object({
    id: z.number().int(),
    findingId: z.number().int(),
    cluster: z.string(),
    action: z.string(),
    subject: z.object({ type: subjectType, id: z.string() }),
    expectedMonthlySavingsUsd: money,
    risk: z.enum(['low', 'medium', 'high']),
    status: z.enum(['open', 'resolved', 'expired']),
    details: z.record(z.string(), z.unknown()),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    expiresAt: z.string(),
  })
  .openapi('Recommendation');

export const RecommendationList = z.object({ data: z.array(Recommendation) }).openapi('RecommendationList');
