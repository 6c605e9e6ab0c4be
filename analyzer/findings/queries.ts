import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../../core/db.js';
import { findings, recommendations } from './schema.js';

export interface FindingFilter {
  kind?: string | undefined;
  status?: string | undefined;
  severity?: string | undefined;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  limit: number;
}

export async function listFindings(db: Db, f: FindingFilter) {
  const where: SQL[] = [];
  if (f.kind) where.push(eq(findings.kind, f.kind));
  if (f.status) where.push(eq(findings.status, f.status as 'open'));
  if (f.severity) where.push(eq(findings.severity, f.severity as 'info'));
  if (f.subjectType) where.push(eq(findings.subjectType, f.subjectType as 'gpu'));
  if (f.subjectId) where.push(eq(findings.subjectId, f.subjectId));
  const rows = await db
    .select()
    .from(findings)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(findings.lastSeenAt), findings.id)
    .limit(f.limit);
  return rows.map((r) => ({
    id: r.id,
    cluster: r.cluster,
    kind: r.kind,
    subject: { type: r.subjectType, id: r.subjectId },
    status: r.status,
    severity: r.severity,
    title: r.title,
    firstSeenAt: r.firstSeenAt.toISOString(),
    lastSeenAt: r.lastSeenAt.toISOString(),
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
    evidence: r.evidence,
    impact: { costUsd: r.impactCostUsd, monthlyUsd: r.impactMonthlyUsd },
    recommendation: r.recommendation,
    version: r.version,
  }));
}

export async function listRecommendations(
  db: Db,
  f: { status?: string | undefined; action?: string | undefined; limit: number },
) {
  const where: SQL[] = [];
  if (f.status) where.push(eq(recommendations.status, f.status as 'open'));
  if (f.action) where.push(eq(recommendations.action, f.action as 'release_gpu'));
  const rows = await db
    .select()
    .from(recommendations)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(recommendations.updatedAt), recommendations.id)
    .limit(f.limit);
  return rows.map((r) => ({
    id: r.id,
    findingId: r.findingId,
    cluster: r.cluster,
    action: r.action,
    subject: { type: r.subjectType, id: r.subjectId },
    expectedMonthlySavingsUsd: r.expectedMonthlySavingsUsd,
    risk: r.risk,
    status: r.status,
    details: r.details,
    version: r.version,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
  }));
}
