import { z } from '@hono/zod-openapi';
import { ACTION_KINDS, ACTION_STATES } from '../../analyzer/actions/types.js';

const money = z.string().nullable().openapi({ description: 'Exact decimal dollars' });
const time = z.string().nullable();

export const ActionListQuery = z.object({
  state: z.enum(ACTION_STATES).optional(),
  kind: z.enum(ACTION_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const ActionIdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' }, example: 12 }),
});

export const ActionDecisionBody = z
  .object({ note: z.string().max(500).optional().openapi({ description: 'Why; kept in the audit' }) })
  .strict();

export const Action = z
  .object({
    id: z.number().int(),
    cluster: z.string(),
    kind: z.enum(ACTION_KINDS),
    reason: z.string(),
    state: z.enum(ACTION_STATES),
    version: z.number().int().openapi({ description: '+1 on every state change; the webhook event version' }),
    request: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'ActionRequest: kind, target, reason' }),
    scope: z.record(z.string(), z.unknown()),
    targetKey: z.string(),
    blastRadius: z.object({ nodes: z.number().int(), gpus: z.number().int() }),
    recommendation: z.object({ id: z.number().int().nullable(), version: z.number().int().nullable() }),
    idempotencyKey: z.string(),
    checkpoint: z.record(z.string(), z.unknown()),
    attempts: z.number().int(),
    nextAttemptAt: time,
    blockedReason: z.string().nullable().openapi({ description: 'Why it waits, or why it ended badly' }),
    lastError: z
      .object({ message: z.string(), retryable: z.boolean(), code: z.string().optional() })
      .nullable(),
    approvedBy: z.string().nullable(),
    lease: z.object({ owner: z.string().nullable(), expiresAt: time }),
    expiresAt: time,
    createdAt: z.string(),
    updatedAt: z.string(),
    executedAt: time,
    finishedAt: time,
    realizedSavings: z.object({
      usd: money,
      beforeUsd: money,
      afterUsd: money,
      beforeFrom: time,
      afterTo: time,
    }),
  })
  .openapi('Action');

export const ActionList = z.object({ data: z.array(Action) });

export const ActionAuditEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  event: z.string(),
  fromState: z.string().nullable(),
  toState: z.string().nullable(),
  actor: z.string(),
  ok: z.boolean().nullable(),
  detail: z.record(z.string(), z.unknown()),
});

export const ActionDetail = z.object({ data: Action, audit: z.array(ActionAuditEntry) });
export const ActionResponse = z.object({ data: Action });

export const PauseStateBody = z.object({
  paused: z.boolean(),
  changedBy: z.string().nullable(),
  changedAt: time,
  note: z.string().nullable(),
});

export const ActionPolicyQuery = z.object({
  nodePool: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  partition: z.string().min(1).optional(),
});

export const ActionPolicyBody = z.object({
  paused: PauseStateBody,
  defaultMode: z.string(),
  policies: z.array(z.record(z.string(), z.unknown())),
  effective: z
    .record(z.string(), z.unknown())
    .openapi({ description: 'The policy that applies to the scope asked' }),
});
