import { z } from '@hono/zod-openapi';

export const Target = z
  .object({
    kind: z.string(),
    url: z.string(),
    node: z.string().nullable(),
    up: z.boolean(),
    lastAttemptAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    lastError: z.string().nullable(),
    lastDurationSeconds: z.number().nullable(),
    lastSampleCount: z.number().int().nullable(),
    lastIssueCount: z.number().int().nullable(),
    consecutiveFailures: z.number().int(),
  })
  .openapi('Target');

export const TargetList = z.object({ data: z.array(Target) });
