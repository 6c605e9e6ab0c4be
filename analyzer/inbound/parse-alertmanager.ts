import { z } from 'zod';
import { err, ok, type Result } from '../../core/result.js';

/**
 * Alertmanager's webhook body (notify/webhook/webhook.go `Message`: template.Data plus version, groupKey and
 * truncatedAlerts). Payloads from before per-alert status, fingerprint and generatorURL existed still parse: the
 * alert takes the group's status and a fingerprint computed from its labels.
 */
const Labels = z.record(z.string(), z.string());
const Status = z.enum(['firing', 'resolved']);

const AlertmanagerAlert = z.object({
  status: Status.optional(),
  labels: Labels,
  annotations: Labels.default({}),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }).optional(),
  generatorURL: z.string().optional(),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{1,16}$/, 'expected up to 16 hex digits')
    .optional(),
});

export const AlertmanagerMessage = z.object({
  version: z.string().min(1),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: Status,
  receiver: z.string(),
  groupLabels: Labels.default({}),
  commonLabels: Labels.default({}),
  commonAnnotations: Labels.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(AlertmanagerAlert).max(10_000),
});
export type AlertmanagerMessage = z.infer<typeof AlertmanagerMessage>;

export interface ReceivedAlert {
  groupKey: string;
  fingerprint: string;
  fingerprintSource: 'alertmanager' | 'computed';
  status: 'firing' | 'resolved';
  startsAt: Date;
  /** Null for Go's zero time, which Alertmanager sends for an alert with no end yet. */
  endsAt: Date | null;
  alertname: string | null;
  receiver: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorUrl: string | null;
}

export interface ParsedNotification {
  version: string;
  truncatedAlerts: number;
  alerts: ReceivedAlert[];
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
/** prometheus/common's SeparatorByte: cannot occur in UTF-8, so `a=bc` and `ab=c` hash apart. */
const SEPARATOR = 0xff;

/** FNV-1a, 64 bits, over bytes. */
export function hashFnv1a64(bytes: Uint8Array, seed: bigint = FNV_OFFSET): bigint {
  let h = seed;
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK_64;
  return h;
}

/**
 * The label-set fingerprint Alertmanager itself sends (prometheus/common model `labelSetToFingerprint`: FNV-1a 64
 * over name, 0xff, value, 0xff for names in byte order, printed as 16 hex digits), so an alert keeps its identity
 * when the sender upgrades from a payload without fingerprints to one with them.
 */
export function computeLabelFingerprint(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels)
    .map((n) => Buffer.from(n, 'utf8'))
    .sort(Buffer.compare);
  let h = FNV_OFFSET;
  for (const name of names) {
    const value = Buffer.from(labels[name.toString('utf8')] ?? '', 'utf8');
    h = hashFnv1a64(name, h);
    h = hashFnv1a64(Uint8Array.of(SEPARATOR), h);
    h = hashFnv1a64(value, h);
    h = hashFnv1a64(Uint8Array.of(SEPARATOR), h);
  }
  return h.toString(16).padStart(16, '0');
}

function parseEndsAt(text: string | undefined): Date | null {
  if (text === undefined) return null;
  const d = new Date(text);
  return d.getUTCFullYear() <= 1 ? null : d;
}

export type ValidationIssue = { path: readonly PropertyKey[]; message: string };

/** An Alertmanager webhook body, or the zod issues that name each bad field. */
export function parseAlertmanagerMessage(body: unknown): Result<ParsedNotification, ValidationIssue[]> {
  const parsed = AlertmanagerMessage.safeParse(body);
  if (!parsed.success) return err(parsed.error.issues);
  const m = parsed.data;
  const alerts = m.alerts.map((a): ReceivedAlert => {
    const fingerprint = a.fingerprint?.padStart(16, '0');
    return {
      groupKey: m.groupKey,
      fingerprint: fingerprint ?? computeLabelFingerprint(a.labels),
      fingerprintSource: fingerprint ? 'alertmanager' : 'computed',
      status: a.status ?? m.status,
      startsAt: new Date(a.startsAt),
      endsAt: parseEndsAt(a.endsAt),
      alertname: a.labels['alertname'] ?? null,
      receiver: m.receiver,
      labels: a.labels,
      annotations: a.annotations,
      generatorUrl: a.generatorURL || null,
    };
  });
  return ok({ version: m.version, truncatedAlerts: m.truncatedAlerts ?? 0, alerts });
}

/** Label names that may name the node an alert is about, most specific first (DCGM exporter uses `Hostname`). */
const NODE_LABELS = ['node', 'Hostname', 'instance'] as const;

/** Candidate node names for an alert: the label values, and `instance` without its `:port`. */
export function listNodeCandidates(labels: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const name of NODE_LABELS) {
    const value = labels[name];
    if (!value) continue;
    out.push(value);
    const host = /^(\[[^\]]+\]|[^:]+):\d+$/.exec(value)?.[1];
    if (host) out.push(host);
  }
  return [...new Set(out)];
}
