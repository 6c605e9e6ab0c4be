import { type SQL, sql } from 'drizzle-orm';
import { chunks } from '../core/chunks.js';
import { type Db, queryRows } from '../core/db.js';
import type { LinkRollup } from './fabric/types.js';
import { upsertNodes } from './queries.js';

export interface LinkSummaryRow {
  id: number;
  node: string;
  cluster: string;
  link_type: 'infiniband' | 'nvlink';
  device: string;
  port: number;
  rate_bits_per_second: number | null;
  state: string | null;
  phys_state: string | null;
  gpu_indices: number[];
  last_seen_at: Date;
  minutes: number;
  tx_bytes_per_second_mean: number | null;
  rx_bytes_per_second_mean: number | null;
  tx_bytes_per_second_max: number | null;
  rx_bytes_per_second_max: number | null;
  utilization_max: number | null;
  xmit_wait_per_second_mean: number | null;
  errors_total: number | null;
  error_deltas: Record<string, number> | null;
  state_changes: number | null;
  link_downed: number | null;
  flapping_minutes: number | null;
  suspect_minutes: number | null;
  counter_issue_minutes: number | null;
}

export interface LinkFilter {
  from: Date;
  to: Date;
  node?: string | undefined;
  linkType?: 'infiniband' | 'nvlink' | undefined;
  /** Only links of these nodes, and for IB only HCAs serving one of `gpuIndices` (when given). */
  nodes?: string[] | undefined;
  gpuIndices?: number[] | undefined;
  limit: number;
}

/** Links with their minute rollups summarised over [from, to): means, maxima, summed errors per counter. */
export async function listLinkSummaries(db: Db, filter: LinkFilter): Promise<LinkSummaryRow[]> {
  const conditions: SQL[] = [sql`true`];
  if (filter.node !== undefined) conditions.push(sql`n.name = ${filter.node}`);
  if (filter.linkType !== undefined) conditions.push(sql`l.link_type = ${filter.linkType}`);
  if (filter.nodes !== undefined) conditions.push(sql`n.name = any(${sql.param(filter.nodes)}::text[])`);
  if (filter.gpuIndices !== undefined && filter.gpuIndices.length > 0) {
    conditions.push(
      sql`(cardinality(l.gpu_indices) = 0 or l.gpu_indices && ${sql.param(filter.gpuIndices)}::int4[])`,
    );
  }
  return queryRows<LinkSummaryRow>(
    db,
    sql`select l.id, n.name as node, n.cluster, l.link_type, l.device, l.port, l.rate_bits_per_second, l.state,
        l.phys_state, l.gpu_indices, l.last_seen_at, coalesce(s.minutes, 0) as minutes,
        s.tx_mean as tx_bytes_per_second_mean, s.rx_mean as rx_bytes_per_second_mean,
        s.tx_max as tx_bytes_per_second_max, s.rx_max as rx_bytes_per_second_max, s.utilization_max,
        s.xmit_wait as xmit_wait_per_second_mean, s.errors_total, s.error_deltas, s.state_changes,
        s.link_downed, s.flapping_minutes, s.suspect_minutes, s.counter_issue_minutes
      from links l join nodes n on n.id = l.node_id
      left join lateral (
        select count(*)::int as minutes,
          sum(r.tx_bytes_per_second_mean * r.sample_count) / nullif(sum(r.sample_count) filter (where r.tx_bytes_per_second_mean is not null), 0) as tx_mean,
          sum(r.rx_bytes_per_second_mean * r.sample_count) / nullif(sum(r.sample_count) filter (where r.rx_bytes_per_second_mean is not null), 0) as rx_mean,
          max(r.tx_bytes_per_second_max) as tx_max, max(r.rx_bytes_per_second_max) as rx_max,
          max(r.utilization_max) as utilization_max, avg(r.xmit_wait_per_second) as xmit_wait,
          sum(r.errors_total) as errors_total, sum(r.state_changes)::int as state_changes,
          sum(r.link_downed)::int as link_downed, count(*) filter (where r.flapping)::int as flapping_minutes,
          (select jsonb_object_agg(k, total) from (
              select e.key as k, sum(e.value::float8) as total
              from link_rollups r2, jsonb_each_text(r2.error_deltas) e
              where r2.link_id = l.id and r2.bucket >= ${filter.from} and r2.bucket < ${filter.to}
              group by e.key) per_counter) as error_deltas,
          count(*) filter (where r.suspect_samples > 0)::int as suspect_minutes,
          count(*) filter (where r.counter_issues > 0)::int as counter_issue_minutes
        from link_rollups r
        where r.link_id = l.id and r.bucket >= ${filter.from} and r.bucket < ${filter.to}
      ) s on true
      where ${sql.join(conditions, sql` and `)}
      order by n.name, l.link_type, l.device, l.port
      limit ${filter.limit}`,
  );
}

/** What the store keeps about a link besides its minutes: speed, state, and the GPUs it serves. */
export interface LinkIdentity {
  rateBitsPerSecond: number | null;
  state: string | null;
  physState: string | null;
  gpuIndices: number[];
}

/** One link's minute, ready to store; identity fields travel with it so the writer can create the link. */
export type LinkRollupWrite = Omit<LinkRollup, 'version'> & LinkIdentity;

const linkKey = (nodeId: number, r: Pick<LinkRollupWrite, 'linkType' | 'device' | 'port'>) =>
  `${nodeId}/${r.linkType}/${r.device}/${r.port}`;

/**
 * Upserts links and their minute rollups in one transaction, one array per column. As with GPU rollups a
 * stored minute is replaced only by one that saw at least as many samples, so replays never double-count.
 */
export async function writeLinkRollups(db: Db, cluster: string, rows: readonly LinkRollupWrite[], now: Date) {
  if (rows.length === 0) return 0;
  await db.transaction(async (tx) => {
    const txDb = tx as unknown as Db;
    const nodeIds = await upsertNodes(txDb, cluster, [...new Set(rows.map((r) => r.node))], now);
    const latest = new Map<string, LinkRollupWrite & { nodeId: number }>();
    for (const r of rows) {
      const nodeId = nodeIds.get(r.node)!;
      const key = linkKey(nodeId, r);
      const prev = latest.get(key);
      if (!prev || r.bucketStartMs >= prev.bucketStartMs) latest.set(key, { ...r, nodeId });
    }
    const linkIds = await upsertLinks(txDb, [...latest.values()], now);
    for (const part of chunks(rows, 5000)) {
      const col = <T>(type: string, pick: (r: LinkRollupWrite) => T) =>
        sql`${sql.param(part.map(pick))}::${sql.raw(type)}`;
      await txDb.execute(sql`insert into link_rollups as lr (link_id, bucket, sample_count, tx_bytes_per_second_mean,
          tx_bytes_per_second_max, rx_bytes_per_second_mean, rx_bytes_per_second_max, utilization_max,
          xmit_wait_per_second, error_deltas, errors_total, link_downed, state_changes, flapping, counter_issues,
          suspect_samples)
        select link_id, bucket, sample_count, tx_mean, tx_max, rx_mean, rx_max, utilization_max, xmit_wait,
          error_deltas::jsonb, errors_total, link_downed, state_changes, flapping, counter_issues, suspect_samples
        from unnest(${sql.join(
          [
            col('int4[]', (r) => linkIds.get(linkKey(nodeIds.get(r.node)!, r))!),
            col('timestamptz[]', (r) => new Date(r.bucketStartMs).toISOString()),
            col('int4[]', (r) => r.sampleCount),
            col('float8[]', (r) => r.txBytesPerSecondMean),
            col('float8[]', (r) => r.txBytesPerSecondMax),
            col('float8[]', (r) => r.rxBytesPerSecondMean),
            col('float8[]', (r) => r.rxBytesPerSecondMax),
            col('float8[]', (r) => r.utilizationMaxRatio),
            col('float8[]', (r) => r.xmitWaitTicksPerSecondMean),
            col('text[]', (r) => JSON.stringify(r.errorDeltas)),
            col('float8[]', (r) => r.errorTotal),
            col('int4[]', (r) => r.linkDownedTotal),
            col('int4[]', (r) => r.stateChanges),
            col('bool[]', (r) => r.flapping),
            col('int4[]', (r) => r.counterIssues),
            col('int4[]', (r) => r.suspectSamples),
          ],
          sql`, `,
        )}) as t(link_id, bucket, sample_count, tx_mean, tx_max, rx_mean, rx_max, utilization_max, xmit_wait,
          error_deltas, errors_total, link_downed, state_changes, flapping, counter_issues, suspect_samples)
        on conflict (link_id, bucket) do update set sample_count = excluded.sample_count,
          tx_bytes_per_second_mean = excluded.tx_bytes_per_second_mean,
          tx_bytes_per_second_max = excluded.tx_bytes_per_second_max,
          rx_bytes_per_second_mean = excluded.rx_bytes_per_second_mean,
          rx_bytes_per_second_max = excluded.rx_bytes_per_second_max, utilization_max = excluded.utilization_max,
          xmit_wait_per_second = excluded.xmit_wait_per_second, error_deltas = excluded.error_deltas,
          errors_total = excluded.errors_total, link_downed = excluded.link_downed,
          state_changes = excluded.state_changes, flapping = excluded.flapping,
          counter_issues = excluded.counter_issues, suspect_samples = excluded.suspect_samples
        where excluded.sample_count >= lr.sample_count`);
    }
  });
  return rows.length;
}

async function upsertLinks(
  db: Db,
  items: (LinkRollupWrite & { nodeId: number })[],
  seenAt: Date,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const part of chunks(items, 5000)) {
    const col = <T>(type: string, pick: (r: (typeof items)[number]) => T) =>
      sql`${sql.param(part.map(pick))}::${sql.raw(type)}`;
    const rows = await queryRows<{
      id: number;
      node_id: number;
      link_type: string;
      device: string;
      port: number;
    }>(
      db,
      sql`insert into links as l (node_id, link_type, device, port, rate_bits_per_second, state, phys_state,
          gpu_indices, first_seen_at, last_seen_at)
        select node_id, link_type, device, port, rate, state, phys_state,
          array(select jsonb_array_elements_text(gpu_indices::jsonb)::int4), ${seenAt}, ${seenAt}
        from unnest(${sql.join(
          [
            col('int4[]', (r) => r.nodeId),
            col('text[]', (r) => r.linkType),
            col('text[]', (r) => r.device),
            col('int4[]', (r) => r.port),
            col('float8[]', (r) => r.rateBitsPerSecond),
            col('text[]', (r) => r.state),
            col('text[]', (r) => r.physState),
            col('text[]', (r) => JSON.stringify(r.gpuIndices)),
          ],
          sql`, `,
        )}) as t(node_id, link_type, device, port, rate, state, phys_state, gpu_indices)
        on conflict (node_id, link_type, device, port) do update set
          rate_bits_per_second = coalesce(excluded.rate_bits_per_second, l.rate_bits_per_second),
          state = coalesce(excluded.state, l.state), phys_state = coalesce(excluded.phys_state, l.phys_state),
          gpu_indices = excluded.gpu_indices, last_seen_at = greatest(l.last_seen_at, excluded.last_seen_at)
        returning id, node_id, link_type, device, port`,
    );
    for (const row of rows) ids.set(`${row.node_id}/${row.link_type}/${row.device}/${row.port}`, row.id);
  }
  return ids;
}
