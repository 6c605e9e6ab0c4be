import { z } from '@hono/zod-openapi';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum([
        'NOT_FOUND',
        'CONFLICT',
        'VALIDATION',
        'UNAUTHORIZED',
        'FORBIDDEN',
        'UNAVAILABLE',
        'INTERNAL',
      ]),
      message: z.string(),
      requestId: z.string(),
    }),
  })
  .openapi('Error');

export const errorResponses = {
  400: { description: 'Bad parameters', content: { 'application/json': { schema: ErrorBody } } },
  401: { description: 'Missing or invalid token', content: { 'application/json': { schema: ErrorBody } } },
  403: { description: 'Role too low', content: { 'application/json': { schema: ErrorBody } } },
} as const;

export const Page = z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int() });
