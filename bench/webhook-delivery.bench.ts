// Webhook deliveries per second through the outbox (events and deliveries in PostgreSQL, leased SKIP LOCKED
// claims, signed POSTs, outcomes and the attempt log written back) to a local receiver that verifies every
// signature and de-duplicates by webhook-id, against the baseline in the same run: plain POSTs of the same signed
// bodies over the same HTTP client and concurrency, with no database at all. The receiver runs in its own thread.
// Run: npx tsx bench/webhook-delivery.bench.ts [deliveries] [runs] [dry]   (about a minute)

import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { buildWebhookBody, buildWebhookHeaders } from '../analyzer/webhooks/build-webhook-message.js';
import { createAddressPolicy } from '../analyzer/webhooks/check-webhook-url.js';
import { countDeliveryStates } from '../analyzer/webhooks/delivery-queries.js';
import { enqueueWebhookEventsFrom } from '../analyzer/webhooks/enqueue-webhook-event.js';
import { createSubscription } from '../analyzer/webhooks/queries.js';
import { createWebhookSecret } from '../analyzer/webhooks/sign-webhook.js';
import { createWebhookHttpClient } from '../api/webhooks/send-webhook-request.js';
import { startWebhookDeliveryWorker } from '../api/webhooks/start-webhook-delivery-worker.js';
import { createWebhookMetrics } from '../api/webhooks/webhook-metrics.js';
import { systemClock } from '../core/clock.js';
import { mapWithConcurrency } from '../core/concurrency.js';
import { Config } from '../core/config.js';
import { type DbHandle, openDb, queryRows } from '../core/db.js';
import { createSilentLogger } from '../core/log.js';
import { startTestPostgres } from '../test/integration/helpers/postgres.js';
import { writeResultsSection } from './results-file.js';

const DELIVERIES = Number(process.argv[2] ?? 20_000);
const RUNS = Number(process.argv[3] ?? 3);
const loadAtStart = loadavg()[0] ?? 0;
// the shipped defaults: what `serve` runs
const settings = (() => {
  const { enabled: _e, previousSecretHours: _p, ...delivery } = Config.parse({}).webhooks.delivery;
  return delivery;
})();

/** A receiver as a subscriber writes one: verify the signature, process each webhook-id once, answer 204. */
const RECEIVER_SOURCE = `
const { createServer } = require('node:http');
const { createHmac, timingSafeEqual } = require('node:crypto');
const { parentPort, workerData } = require('node:worker_threads');
const key = Buffer.from(workerData.secret.slice(6), 'base64');
let seen = new Set(), requests = 0, bad = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    requests++;
    const id = req.headers['webhook-id'], ts = req.headers['webhook-timestamp'];
    const body = Buffer.concat(chunks).toString('utf8');
    const expected = createHmac('sha256', key).update(id + '.' + ts + '.' + body).digest();
    const ok = String(req.headers['webhook-signature'] || '').split(' ').some((s) => {
      if (!s.startsWith('v1,')) return false;
      const got = Buffer.from(s.slice(3), 'base64');
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
    if (!ok || Math.abs(Date.now() / 1000 - Number(ts)) > 300) { bad++; res.writeHead(401).end(); return; }
    seen.add(id);
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'reset') { seen = new Set(); requests = 0; bad = 0; parentPort.postMessage({ reset: true }); }
  if (m === 'stats') parentPort.postMessage({ unique: seen.size, requests, bad });
});
`;

interface ReceiverStats {
  unique: number;
  requests: number;
  bad: number;
}

function startReceiver(secret: string) {
  const worker = new Worker(RECEIVER_SOURCE, { eval: true, workerData: { secret } });
  const next = <T>() => new Promise<T>((resolve) => worker.once('message', resolve));
  return {
    port: next<{ port: number }>().then((m) => m.port),
    reset: async () => {
      const done = next();
      worker.postMessage('reset');
      await done;
    },
    stats: async () => {
      const done = next<ReceiverStats>();
      worker.postMessage('stats');
      return done;
    },
    stop: () => worker.terminate(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function undelivered(db: DbHandle) {
  const rows = await queryRows<{ n: number }>(
    db.db,
    sql`select count(*)::int as n from webhook_deliveries where status <> 'delivered'`,
  );
  return Number(rows[0]?.n);
}

async function main() {
  const pgServer = await startTestPostgres();
  const handle = await openDb({
    url: await pgServer.createDatabase('webhook_bench'),
    log: createSilentLogger(),
  });
  await handle.migrate();
  const secret = createWebhookSecret();
  const receiver = startReceiver(secret);
  const port = await receiver.port;
  const url = `http://127.0.0.1:${port}/hooks/bench`;
  await createSubscription(handle.db, { url, eventTypes: ['recommendation.created'], secret }, new Date());
  const allowed = createAddressPolicy(['127.0.0.0/8']);
  const log = createSilentLogger();

  const outbox: { enqueueMs: number; deliverMs: number; stats: ReceiverStats }[] = [];
  const baseline: { ms: number; stats: ReceiverStats }[] = [];
  // run 0 warms up (JIT, PostgreSQL's caches, the sockets) and is not counted
  for (let run = 0; run <= RUNS; run++) {
    await handle.db.execute(sql`truncate webhook_events cascade`);
    await handle.db.execute(sql`vacuum analyze webhook_deliveries`);
    await receiver.reset();
    let t = performance.now();
    await enqueueWebhookEventsFrom(
      handle.db,
      sql`select 'recommendation.created' as type, 'recommendation:' || g as subject, 1 as version, now() as occurred_at,
        now() + interval '1 hour' as expires_at,
        jsonb_build_object('id', g, 'action', 'release_gpu', 'cluster', 'bench', 'expectedMonthlySavingsUsd',
          '2152.8000000000', 'risk', 'low', 'status', 'open', 'subject', jsonb_build_object('type', 'gpu', 'id',
          'GPU-' || md5(g::text)), 'details', jsonb_build_object('node', 'node-' || (g % 1250))) as data
        from generate_series(1, ${DELIVERIES}::int) g`,
    );
    const enqueueMs = performance.now() - t;

    const http = createWebhookHttpClient({ maxSockets: settings.concurrency });
    const metrics = createWebhookMetrics(new Registry(), () => countDeliveryStates(handle.db));
    t = performance.now();
    const worker = startWebhookDeliveryWorker(
      { db: handle.db, clock: systemClock, log, metrics, send: http.send, allowed },
      settings,
    );
    while ((await undelivered(handle)) > 0) await new Promise((r) => setTimeout(r, 100));
    const deliverMs = performance.now() - t;
    await worker.stop();
    http.close();
    const outboxRun = { enqueueMs, deliverMs, stats: await receiver.stats() };

    // baseline: the same signed bodies, POSTed straight from memory
    const events = await queryRows<{
      id: string;
      type: string;
      subject: string;
      version: number;
      occurred_at: Date;
      expires_at: Date;
      data: Record<string, unknown>;
    }>(handle.db, sql`select id, type, subject, version, occurred_at, expires_at, data from webhook_events`);
    const target = { url: new URL(url), address: '127.0.0.1', family: 4 as const };
    await receiver.reset();
    const plain = createWebhookHttpClient({ maxSockets: settings.concurrency });
    t = performance.now();
    await mapWithConcurrency(events, settings.concurrency, async (e) => {
      const body = buildWebhookBody({
        type: e.type,
        subject: e.subject,
        version: e.version,
        occurredAt: new Date(e.occurred_at),
        expiresAt: new Date(e.expires_at),
        data: e.data,
      });
      const headers = buildWebhookHeaders(e.id, [secret], Math.floor(Date.now() / 1000), body);
      const sent = await plain.send({ target, headers, body, timeoutMs: settings.timeoutSeconds * 1000 });
      if (!sent.ok || sent.value.statusCode !== 204)
        throw new Error(`baseline POST failed: ${JSON.stringify(sent)}`);
    });
    const b = { ms: performance.now() - t, stats: await receiver.stats() };
    plain.close();
    const o = outboxRun;
    if (run > 0) {
      outbox.push(o);
      baseline.push(b);
    }
    console.log(
      `run ${run}${run === 0 ? ' (warm-up)' : ''}: outbox ${(DELIVERIES / ((o?.deliverMs ?? 1) / 1000)).toFixed(0)}/s, baseline ${(DELIVERIES / ((b?.ms ?? 1) / 1000)).toFixed(0)}/s`,
    );
  }
  await receiver.stop();
  await handle.close();
  pgServer.destroy();

  const outboxRate = DELIVERIES / (median(outbox.map((o) => o.deliverMs)) / 1000);
  const baselineRate = DELIVERIES / (median(baseline.map((b) => b.ms)) / 1000);
  const rows = outbox.map((o, i) => {
    const b = baseline[i];
    const rate = (ms: number) => Math.round(DELIVERIES / (ms / 1000)).toLocaleString('en-US');
    return `| ${i + 1} | ${Math.round(o.enqueueMs)} | ${rate(o.deliverMs)} | ${o.stats.unique.toLocaleString('en-US')} / ${o.stats.requests.toLocaleString('en-US')} / ${o.stats.bad} | ${b ? rate(b.ms) : '–'} | ${b ? `${b.stats.unique.toLocaleString('en-US')} / ${b.stats.requests.toLocaleString('en-US')}` : '–'} |`;
  });
  const body = `## Webhook delivery (outbox → local receiver)

\`npx tsx bench/webhook-delivery.bench.ts ${DELIVERIES} ${RUNS}\` on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version},
${new Date().toISOString().slice(0, 10)}, load average at start ${loadAtStart.toFixed(2)}. A private PostgreSQL (test helper settings);
${DELIVERIES.toLocaleString('en-US')} events, one subscription, written in one INSERT … SELECT, then delivered by one worker
with the shipped defaults (concurrency ${settings.concurrency}, claims of up to ${settings.batchSize}) to a receiver in its own
thread that verifies every signature and counts each webhook-id once. Baseline: the same signed bodies POSTed from
memory over the same HTTP client at the same concurrency, no database.

| run | enqueue (ms) | outbox deliveries/s | receiver unique / requests / bad signatures | baseline POSTs/s | baseline unique / requests |
| ---: | ---: | ---: | --- | ---: | --- |
${rows.join('\n')}

**Median: ${Math.round(outboxRate).toLocaleString('en-US')} deliveries/s through the outbox, ${Math.round(baselineRate).toLocaleString('en-US')}/s plain; outbox / baseline ${(outboxRate / baselineRate).toFixed(2)}.**
Target "≥ 1,000 webhook deliveries/s to a local receiver": ${outboxRate >= 1000 ? 'met' : 'NOT met'}. Delivered = every
delivery row marked delivered in PostgreSQL (outcomes and the attempt log written), not just answered.`;
  console.log(body);
  // `dry` as a fourth argument: a trial run that leaves bench/RESULTS.md alone
  if (process.argv[4] !== 'dry') writeResultsSection('webhook-delivery', body);
}

await main();
