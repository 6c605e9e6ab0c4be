import { and, eq, inArray, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../../core/db.js';
import { parseDecimal } from '../../core/decimal.js';
import {
  type FindingEvidence,
  type FindingSeverity,
  findings,
  type RecommendationAction,
  recommendations,
  type SubjectType,
} from './schema.js';

/** One thing a detector saw in one run. */
export interface Detection {
  kind: string;
  subject: { type: SubjectType; id: string };
  severity: FindingSeverity;
  title: string;
  evidence: FindingEvidence;
  /** Exact decimal strings. */
  impactCostUsd?: string | null | undefined;
  impactMonthlyUsd?: string | null | undefined;
  recommendation?: string | undefined;
  recommend?:
    | {
        action: RecommendationAction;
        expectedMonthlySavingsUsd: string | null;
        risk: 'low' | 'medium' | 'high';
        details: Record<string, unknown>;
        /** How long the recommendation holds without being seen again. */
        ttlHours: number;
      }
    | undefined;
}

export interface ApplyResult {
  opened: number;
  updated: number;
  unchanged: number;
  reopened: number;
  resolved: number;
  recommendationsExpired: number;
}

export function findingFingerprint(cluster: string, d: Pick<Detection, 'kind' | 'subject'>): string {
  return [cluster, d.kind, d.subject.type, d.subject.id].join('|');
}

/**
 * Applies one analyzer run (as of `at`) to the stored findings, in one transaction. `kinds` are the kinds the run
 * evaluated: an open finding of those kinds that the run did not see again is resolved; other kinds are left
 * alone (their detector did not run). Re-sightings update rather than duplicate; a change of severity, evidence
 * or impact bumps the version and marks it `updated`.
 */
export async function applyDetections(
  db: Db,
  run: { cluster: string; at: Date; kinds: readonly string[]; detections: readonly Detection[] },
): Promise<ApplyResult> {
  const result: ApplyResult = {
    opened: 0,
    updated: 0,
    unchanged: 0,
    reopened: 0,
    resolved: 0,
    recommendationsExpired: 0,
  };
  const { cluster, at } = run;
  await db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    const seen = new Set<string>();
    for (const d of run.detections) {
      const fingerprint = findingFingerprint(cluster, d);
      if (seen.has(fingerprint)) continue;
      seen.add(fingerprint);
      const [existing] = await t.select().from(findings).where(eq(findings.fingerprint, fingerprint));
      const fields = {
        severity: d.severity,
        title: d.title,
        evidence: d.evidence,
        impactCostUsd: d.impactCostUsd ?? null,
        impactMonthlyUsd: d.impactMonthlyUsd ?? null,
        recommendation: d.recommendation ?? null,
        lastSeenAt: at,
      };
      let id: number;
      if (!existing) {
        const [row] = await t
          .insert(findings)
          .values({
            cluster,
            kind: d.kind,
            subjectType: d.subject.type,
            subjectId: d.subject.id,
            fingerprint,
            status: 'open',
            firstSeenAt: at,
            ...fields,
          })
          .returning({ id: findings.id });
        id = row?.id ?? 0;
        result.opened++;
      } else if (existing.status === 'resolved') {
        await t
          .update(findings)
          .set({
            ...fields,
            status: 'open',
            firstSeenAt: at,
            resolvedAt: null,
            version: existing.version + 1,
          })
          .where(eq(findings.id, existing.id));
        id = existing.id;
        result.reopened++;
      } else {
        const changed =
          existing.severity !== d.severity ||
          !sameMoney(existing.impactCostUsd, fields.impactCostUsd) ||
          JSON.stringify(existing.evidence.values) !== JSON.stringify(d.evidence.values);
        await t
          .update(findings)
          .set(changed ? { ...fields, status: 'updated', version: existing.version + 1 } : { lastSeenAt: at })
          .where(eq(findings.id, existing.id));
        id = existing.id;
        if (changed) result.updated++;
        else result.unchanged++;
      }
      if (d.recommend) await upsertRecommendation(t, id, cluster, d, at);
    }

    if (run.kinds.length > 0) {
      const stale = await t
        .select({ id: findings.id, fingerprint: findings.fingerprint })
        .from(findings)
        .where(
          and(
            eq(findings.cluster, cluster),
            inArray(findings.kind, [...run.kinds]),
            ne(findings.status, 'resolved'),
          ),
        );
      const gone = stale.filter((f) => !seen.has(f.fingerprint)).map((f) => f.id);
      if (gone.length > 0) {
        await t
          .update(findings)
          .set({ status: 'resolved', resolvedAt: at, version: sql`${findings.version} + 1` })
          .where(inArray(findings.id, gone));
        await t
          .update(recommendations)
          .set({ status: 'resolved', updatedAt: at, version: sql`${recommendations.version} + 1` })
          .where(and(inArray(recommendations.findingId, gone), eq(recommendations.status, 'open')));
        result.resolved = gone.length;
      }
    }
    const expired = await t
      .update(recommendations)
      .set({ status: 'expired', updatedAt: at, version: sql`${recommendations.version} + 1` })
      .where(
        and(
          eq(recommendations.cluster, cluster),
          eq(recommendations.status, 'open'),
          lt(recommendations.expiresAt, at),
        ),
      )
      .returning({ id: recommendations.id });
    result.recommendationsExpired = expired.length;
  });
  return result;
}

async function upsertRecommendation(db: Db, findingId: number, cluster: string, d: Detection, at: Date) {
  const r = d.recommend;
  if (!r) return;
  const expiresAt = new Date(at.getTime() + r.ttlHours * 3_600_000);
  const [existing] = await db
    .select()
    .from(recommendations)
    .where(and(eq(recommendations.findingId, findingId), eq(recommendations.action, r.action)));
  if (!existing) {
    await db.insert(recommendations).values({
      findingId,
      cluster,
      action: r.action,
      subjectType: d.subject.type,
      subjectId: d.subject.id,
      expectedMonthlySavingsUsd: r.expectedMonthlySavingsUsd,
      risk: r.risk,
      status: 'open',
      details: r.details,
      createdAt: at,
      updatedAt: at,
      expiresAt,
    });
    return;
  }
  const changed =
    existing.status !== 'open' ||
    existing.risk !== r.risk ||
    !sameMoney(existing.expectedMonthlySavingsUsd, r.expectedMonthlySavingsUsd) ||
    JSON.stringify(existing.details) !== JSON.stringify(r.details);
  await db
    .update(recommendations)
    .set(
      changed
        ? {
            status: 'open',
            risk: r.risk,
            expectedMonthlySavingsUsd: r.expectedMonthlySavingsUsd,
            details: r.details,
            updatedAt: at,
            expiresAt,
            version: existing.version + 1,
          }
        : { expiresAt },
    )
    .where(eq(recommendations.id, existing.id));
}

/** Stored numerics come back with 10 places; compare values, not text. */
function sameMoney(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return parseDecimal(a) === parseDecimal(b);
}
