import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../core/db.js';
import { parseDecimal } from '../../core/decimal.js';
import { enqueueRecommendationEvents } from '../webhooks/enqueue-recommendation-events.js';
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

/** Rows per multi-row insert: 15 columns each stays far under PostgreSQL's 65,535 bind parameters. */
const INSERT_CHUNK = 1000;

type FindingRow = typeof findings.$inferSelect;
type RecommendationRow = typeof recommendations.$inferSelect;

/**
 * Applies one analyzer run (as of `at`) to the stored findings, in one transaction. `kinds` are the kinds the run
 * evaluated: an open finding of those kinds that the run did not see again is resolved; other kinds are left
 * alone (their detector did not run). Re-sightings update rather than duplicate; a change of severity, evidence
 * or impact bumps the version and marks it `updated`. Set-based: a handful of statements whatever the number of
 * findings (thousands on a 10,000-GPU fleet), not a few per finding.
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
  const byFingerprint = new Map<string, Detection>();
  for (const d of run.detections) {
    const fingerprint = findingFingerprint(cluster, d);
    if (!byFingerprint.has(fingerprint)) byFingerprint.set(fingerprint, d);
  }
  await db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    const fingerprints = [...byFingerprint.keys()];
    const existing: FindingRow[] = await t
      .select()
      .from(findings)
      .where(
        sql`${findings.fingerprint} = any(${sql.param(fingerprints)}::text[]) or (${findings.cluster} = ${cluster}
          and ${findings.kind} = any(${sql.param([...run.kinds])}::text[]) and ${findings.status} <> 'resolved')`,
      );
    const stored = new Map(existing.map((f) => [f.fingerprint, f]));

    const inserts: (typeof findings.$inferInsert)[] = [];
    const changes: Record<string, unknown>[] = [];
    const touched: number[] = [];
    const ids = new Map<string, number>();
    for (const [fingerprint, d] of byFingerprint) {
      const fields = {
        severity: d.severity,
        title: d.title,
        evidence: d.evidence,
        impactCostUsd: d.impactCostUsd ?? null,
        impactMonthlyUsd: d.impactMonthlyUsd ?? null,
        recommendation: d.recommendation ?? null,
      };
      const f = stored.get(fingerprint);
      if (!f) {
        inserts.push({
          cluster,
          kind: d.kind,
          subjectType: d.subject.type,
          subjectId: d.subject.id,
          fingerprint,
          status: 'open',
          firstSeenAt: at,
          lastSeenAt: at,
          ...fields,
        });
        result.opened++;
        continue;
      }
      ids.set(fingerprint, f.id);
      if (f.status === 'resolved') {
        changes.push({
          id: f.id,
          ...fields,
          status: 'open',
          firstSeenAt: at,
          resolvedAt: null,
          version: f.version + 1,
        });
        result.reopened++;
      } else if (
        f.severity !== d.severity ||
        !sameMoney(f.impactCostUsd, fields.impactCostUsd) ||
        stableJson(f.evidence.values) !== stableJson(d.evidence.values)
      ) {
        changes.push({
          id: f.id,
          ...fields,
          status: 'updated',
          firstSeenAt: f.firstSeenAt,
          resolvedAt: f.resolvedAt,
          version: f.version + 1,
        });
        result.updated++;
      } else {
        touched.push(f.id);
        result.unchanged++;
      }
    }
    for (let k = 0; k < inserts.length; k += INSERT_CHUNK) {
      const made = await t
        .insert(findings)
        .values(inserts.slice(k, k + INSERT_CHUNK))
        .returning({ id: findings.id, fingerprint: findings.fingerprint });
      for (const m of made) ids.set(m.fingerprint, m.id);
    }
    if (changes.length > 0) {
      await t.execute(sql`update findings f set severity = v.severity, title = v.title, evidence = v.evidence,
          impact_cost_usd = v."impactCostUsd", impact_monthly_usd = v."impactMonthlyUsd",
          recommendation = v.recommendation, status = v.status, first_seen_at = v."firstSeenAt",
          resolved_at = v."resolvedAt", version = v.version, last_seen_at = ${at}
        from jsonb_to_recordset(${JSON.stringify(changes)}::jsonb) as v(id int, severity text, title text,
          evidence jsonb, "impactCostUsd" numeric, "impactMonthlyUsd" numeric, recommendation text, status text,
          "firstSeenAt" timestamptz, "resolvedAt" timestamptz, version int)
        where f.id = v.id`);
    }
    if (touched.length > 0) {
      await t.execute(
        sql`update findings set last_seen_at = ${at} where id = any(${sql.param(touched)}::int[])`,
      );
    }

    const gone = existing
      .filter(
        (f) => f.status !== 'resolved' && run.kinds.includes(f.kind) && !byFingerprint.has(f.fingerprint),
      )
      .map((f) => f.id);
    let resolvedRecommendations: number[] = [];
    if (gone.length > 0) {
      await t
        .update(findings)
        .set({ status: 'resolved', resolvedAt: at, version: sql`${findings.version} + 1` })
        .where(inArray(findings.id, gone));
      const closed = await t
        .update(recommendations)
        .set({ status: 'resolved', updatedAt: at, version: sql`${recommendations.version} + 1` })
        .where(and(inArray(recommendations.findingId, gone), eq(recommendations.status, 'open')))
        .returning({ id: recommendations.id });
      resolvedRecommendations = closed.map((r) => r.id);
      result.resolved = gone.length;
    }

    const changed = await applyRecommendations(t, cluster, at, byFingerprint, ids);
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
    // the outbox rows commit or roll back with the changes they report; an expiry needs no event (every event
    // already carries expiresAt, and one sent after it would be dropped undelivered)
    await enqueueRecommendationEvents(t, at, { ...changed, resolved: resolvedRecommendations });
  });
  return result;
}

/**
 * The recommendations of the findings seen in this run: new ones inserted, changed ones (or ones no longer open)
 * reopened with version + 1, unchanged ones only given a later expiry.
 */
async function applyRecommendations(
  db: Db,
  cluster: string,
  at: Date,
  detections: ReadonlyMap<string, Detection>,
  findingIds: ReadonlyMap<string, number>,
): Promise<{ created: number[]; updated: number[] }> {
  const made = { created: [] as number[], updated: [] as number[] };
  const wanted: { findingId: number; d: Detection; r: NonNullable<Detection['recommend']> }[] = [];
  for (const [fingerprint, d] of detections) {
    const findingId = findingIds.get(fingerprint);
    if (d.recommend && findingId !== undefined) wanted.push({ findingId, d, r: d.recommend });
  }
  if (wanted.length === 0) return made;
  const existing: RecommendationRow[] = await db
    .select()
    .from(recommendations)
    .where(sql`${recommendations.findingId} = any(${sql.param(wanted.map((w) => w.findingId))}::int[])`);
  const stored = new Map(existing.map((r) => [`${r.findingId}|${r.action}`, r]));
  const inserts: (typeof recommendations.$inferInsert)[] = [];
  const changes: Record<string, unknown>[] = [];
  for (const { findingId, d, r } of wanted) {
    const expiresAt = new Date(at.getTime() + r.ttlHours * 3_600_000);
    const e = stored.get(`${findingId}|${r.action}`);
    if (!e) {
      inserts.push({
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
      continue;
    }
    const changed =
      e.status !== 'open' ||
      e.risk !== r.risk ||
      !sameMoney(e.expectedMonthlySavingsUsd, r.expectedMonthlySavingsUsd) ||
      stableJson(e.details) !== stableJson(r.details);
    if (changed) made.updated.push(e.id);
    changes.push(
      changed
        ? {
            id: e.id,
            status: 'open',
            risk: r.risk,
            savings: r.expectedMonthlySavingsUsd,
            details: r.details,
            updatedAt: at,
            expiresAt,
            version: e.version + 1,
          }
        : {
            id: e.id,
            status: e.status,
            risk: e.risk,
            savings: e.expectedMonthlySavingsUsd,
            details: e.details,
            updatedAt: e.updatedAt,
            expiresAt,
            version: e.version,
          },
    );
  }
  for (let k = 0; k < inserts.length; k += INSERT_CHUNK) {
    const rows = await db
      .insert(recommendations)
      .values(inserts.slice(k, k + INSERT_CHUNK))
      .returning({ id: recommendations.id });
    for (const row of rows) made.created.push(row.id);
  }
  if (changes.length > 0) {
    await db.execute(sql`update recommendations r set status = v.status, risk = v.risk,
        expected_monthly_savings_usd = v.savings, details = v.details, updated_at = v."updatedAt",
        expires_at = v."expiresAt", version = v.version
      from jsonb_to_recordset(${JSON.stringify(changes)}::jsonb) as v(id int, status text, risk text, savings numeric,
        details jsonb, "updatedAt" timestamptz, "expiresAt" timestamptz, version int)
      where r.id = v.id`);
  }
  return made;
}

/** JSON with object keys sorted: jsonb hands objects back in its own key order, so plain JSON text would differ. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Stored numerics come back with 10 places; compare values, not text. */
function sameMoney(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return parseDecimal(a) === parseDecimal(b);
}
