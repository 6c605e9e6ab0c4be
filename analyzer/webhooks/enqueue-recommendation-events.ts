import { sql } from 'drizzle-orm';
import type { Db } from '../../core/db.js';
import { enqueueWebhookEventsFrom, hasWebhookSubscribers } from './enqueue-webhook-event.js';
import type { WebhookEventType } from './types.js';

export interface RecommendationChanges {
  created: readonly number[];
  updated: readonly number[];
  resolved: readonly number[];
}

const iso = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * The `recommendation.*` events of one analyzer pass, written with the pass's transaction in one INSERT … SELECT
 * whatever the number of recommendations. Each carries the recommendation as the API lists it, its version and
 * its expiry. Nothing is written while no active subscription wants recommendation events: the outbox would only
 * grow.
 */
export async function enqueueRecommendationEvents(
  tx: Db,
  at: Date,
  changes: RecommendationChanges,
): Promise<{ events: number; deliveries: number }> {
  const ids: number[] = [];
  const types: WebhookEventType[] = [];
  const add = (list: readonly number[], type: WebhookEventType) => {
    for (const id of list) {
      ids.push(id);
      types.push(type);
    }
  };
  add(changes.created, 'recommendation.created');
  add(changes.updated, 'recommendation.updated');
  add(changes.resolved, 'recommendation.resolved');
  if (ids.length === 0) return { events: 0, deliveries: 0 };
  const wanted = await hasWebhookSubscribers(tx, [
    'recommendation.created',
    'recommendation.updated',
    'recommendation.resolved',
  ]);
  if (!wanted) return { events: 0, deliveries: 0 };
  return enqueueWebhookEventsFrom(
    tx,
    sql`select v.type, 'recommendation:' || r.id as subject, r.version, ${at}::timestamptz as occurred_at,
        r.expires_at, jsonb_build_object('id', r.id, 'findingId', r.finding_id, 'cluster', r.cluster,
          'action', r.action, 'subject', jsonb_build_object('type', r.subject_type, 'id', r.subject_id),
          'expectedMonthlySavingsUsd', r.expected_monthly_savings_usd::text, 'risk', r.risk, 'status', r.status,
          'details', r.details, 'version', r.version, 'createdAt', ${iso('r.created_at')},
          'updatedAt', ${iso('r.updated_at')}, 'expiresAt', ${iso('r.expires_at')}) as data
      from unnest(${sql.param(ids)}::int[], ${sql.param(types)}::text[]) as v(id, type)
      join recommendations r on r.id = v.id`,
  );
}
