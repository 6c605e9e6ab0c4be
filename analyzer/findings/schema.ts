import {
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  serial,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';

const tz = { withTimezone: true, mode: 'date' } as const;
const money = () => numeric({ precision: 24, scale: 10 });

export type FindingStatus = 'open' | 'updated' | 'resolved';
export type FindingSeverity = 'info' | 'warning' | 'critical';
export type SubjectType = 'gpu' | 'job' | 'node' | 'link' | 'pool' | 'team' | 'project';

/** What a detector saw: the metric, the window, the values and the threshold it compared them with. */
export interface FindingEvidence {
  metric: string;
  window: { from: string; to: string };
  values: Record<string, number | string | null>;
  threshold: Record<string, number | string>;
  /** For drift: the test used and its strength. */
  method?: string | undefined;
  samples?: number | undefined;
}

/**
 * One finding per (cluster, kind, subject), de-duplicated across runs by its fingerprint: a run that sees it again
 * updates it (status `updated`, version + 1), a run of the same detector that no longer sees it resolves it, and a
 * later sighting reopens it.
 */
export const findings = pgTable(
  'findings',
  {
    id: serial().primaryKey(),
    cluster: text().notNull(),
    kind: text().notNull(),
    subjectType: text().$type<SubjectType>().notNull(),
    subjectId: text().notNull(),
    fingerprint: text().notNull(),
    status: text().$type<FindingStatus>().notNull(),
    severity: text().$type<FindingSeverity>().notNull(),
    title: text().notNull(),
    evidence: jsonb().$type<FindingEvidence>().notNull(),
    /** Dollars the finding cost over its evidence window, and per 30-day month at that rate. */
    impactCostUsd: money(),
    impactMonthlyUsd: money(),
    recommendation: text(),
    firstSeenAt: timestamp(tz).notNull(),
    lastSeenAt: timestamp(tz).notNull(),
    resolvedAt: timestamp(tz),
    version: integer().notNull().default(1),
  },
  (t) => [
    unique('findings_fingerprint_key').on(t.fingerprint),
    index('findings_status_kind_idx').on(t.status, t.kind),
  ],
);

export type RecommendationAction =
  | 'release_gpu'
  | 'reclaim_gpu'
  | 'right_size'
  | 'move_to_spot'
  | 'scale_down'
  | 'scale_up';
export type RecommendationStatus = 'open' | 'resolved' | 'expired';

/** What to do about an actionable finding; the webhooks and the action engine consume these. */
export const recommendations = pgTable(
  'recommendations',
  {
    id: serial().primaryKey(),
    findingId: integer()
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
    cluster: text().notNull(),
    action: text().$type<RecommendationAction>().notNull(),
    subjectType: text().$type<SubjectType>().notNull(),
    subjectId: text().notNull(),
    expectedMonthlySavingsUsd: money(),
    risk: text().$type<'low' | 'medium' | 'high'>().notNull(),
    status: text().$type<RecommendationStatus>().notNull(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** Per subject, +1 on every change: receivers keep the newest. */
    version: integer().notNull().default(1),
    createdAt: timestamp(tz).notNull(),
    updatedAt: timestamp(tz).notNull(),
    expiresAt: timestamp(tz).notNull(),
  },
  (t) => [
    unique('recommendations_finding_action_key').on(t.findingId, t.action),
    index('recommendations_status_idx').on(t.status),
  ],
);
