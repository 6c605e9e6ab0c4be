import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './collector/schema.ts',
    './collector/jobs/schema.ts',
    './collector/billing/schema.ts',
    './collector/aws/schema.ts',
    './analyzer/cost/schema.ts',
    './analyzer/findings/schema.ts',
    './analyzer/webhooks/schema.ts',
    './analyzer/actions/schema.ts',
    './analyzer/inbound/schema.ts',
    './api/schema.ts',
  ].filter((p) => p),
  out: './migrations',
  casing: 'snake_case',
});
