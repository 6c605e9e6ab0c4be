import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import { windowRows } from './build-cost-report.js';

/**
 * Daily spend of the given teams or projects over [from, to): what their jobs used and held idle, and the
 * billing lines their tags own (exact decimals). Unallocated capacity is nobody's and is not counted.
 */
export async function loadDailySpend(
  db: Db,
  cluster: string,
  q: { scope: 'team' | 'project'; values: string[]; from: Date; to: Date },
): Promise<{ day: string; key: string; costUsd: string }[]> {
  if (q.values.length === 0) return [];
  const column = q.scope === 'team' ? sql`team` : sql`project`;
  return queryRows<{ day: string; key: string; costUsd: string }>(
    db,
    sql`select to_char(date_trunc('day', t, 'UTC') at time zone 'UTC', 'YYYY-MM-DD') as day, key,
        sum(cost)::text as "costUsd"
      from (${windowRows({ cluster, from: q.from, to: q.to }, sql`kind, ${column} as key, cost`)}) w
      where kind <> 'unallocated' and cost is not null and key = any(${sql.param(q.values)}::text[])
      group by 1, 2 order by 1, 2`,
  );
}
