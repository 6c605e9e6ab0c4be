import {
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import type { OwnerRef } from './types.js';

const tz = { withTimezone: true, mode: 'date' } as const;

/** One Slurm job or one Kubernetes workload, as the scheduler last described it. */
export const jobs = pgTable(
  'jobs',
  {
    id: serial().primaryKey(),
    cluster: text().notNull(),
    source: text().$type<'slurm' | 'kubernetes'>().notNull(),
    jobId: text().notNull(),
    name: text().notNull(),
    user: text(),
    account: text(),
    namespace: text(),
    partition: text(),
    team: text(),
    project: text(),
    state: text().notNull(),
    rawState: text().notNull(),
    submittedAt: timestamp(tz),
    startedAt: timestamp(tz),
    endedAt: timestamp(tz),
    gpusRequested: integer(),
    gpusAllocated: integer().notNull(),
    gpuType: text(),
    nodes: text().array().notNull(),
    /** Kubernetes `namespace/pod` names; serves attribution by exporter pod labels. */
    pods: text().array().notNull(),
    owners: jsonb().$type<OwnerRef[]>().notNull(),
    labels: jsonb().$type<Record<string, string>>().notNull(),
    schedulerGpuUtilizationPercent: doublePrecision(),
    schedulerGpuMemoryBytes: doublePrecision(),
    updatedAt: timestamp(tz).notNull().defaultNow(),
  },
  (t) => [
    unique('jobs_cluster_source_job_id_key').on(t.cluster, t.source, t.jobId),
    // serves GET /api/v1/jobs?from&to (jobs overlapping a window)
    index('jobs_started_at_idx').on(t.startedAt),
    index('jobs_pods_idx').using('gin', t.pods),
  ],
);

/** The GPUs a job held: node and index (Slurm IDX, device plugin) or UUID, replaced whenever the job is. */
export const jobGpus = pgTable(
  'job_gpus',
  {
    jobRef: integer()
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    node: text().notNull(),
    gpuIndex: integer(),
    gpuUuid: text(),
    migProfile: text(),
  },
  (t) => [
    index('job_gpus_job_ref_idx').on(t.jobRef),
    // serves scheduler attribution: which job held GPU <index> of <node>
    index('job_gpus_node_index_idx').on(t.node, t.gpuIndex),
  ],
);
