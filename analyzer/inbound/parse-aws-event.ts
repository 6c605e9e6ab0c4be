import { z } from 'zod';
import { err, ok, type Result } from '../../core/result.js';
import type { ValidationIssue } from './parse-alertmanager.js';

/** The EventBridge envelope (version 0) as a rule target or API destination receives it. */
const EventBridgeEvent = z.object({
  version: z.string(),
  id: z.string().min(1).max(200),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  region: z.string().min(1),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
});

const InstanceId = z.string().regex(/^i-[0-9a-f]{8,17}$/, 'expected an EC2 instance id (i-…)');

const InterruptionDetail = z.object({
  'instance-id': InstanceId,
  'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
});
const RebalanceDetail = z.object({ 'instance-id': InstanceId });

const DETAIL_TYPES = {
  'EC2 Spot Instance Interruption Warning': 'interruption',
  'EC2 Instance Rebalance Recommendation': 'rebalance',
} as const;

/** AWS gives the two-minute notice at the interruption warning; the instance is acted on after it. */
const INTERRUPTION_NOTICE_MS = 120_000;

export interface SpotEvent {
  id: string;
  source: string;
  detailType: string;
  kind: 'interruption' | 'rebalance';
  account: string;
  region: string;
  instanceId: string;
  instanceAction: string | null;
  eventTime: Date;
  /** When EC2 acts on an interrupted instance: the warning's time plus the two-minute notice. */
  actionTime: Date | null;
  detail: Record<string, unknown>;
}

/**
 * An EC2 spot interruption warning or rebalance recommendation from EventBridge; any other source or detail-type
 * is an error naming the field, since a rule sending more than these is misconfigured.
 */
export function parseSpotEvent(body: unknown): Result<SpotEvent, ValidationIssue[]> {
  const envelope = EventBridgeEvent.safeParse(body);
  if (!envelope.success) return err(envelope.error.issues);
  const e = envelope.data;
  if (e.source !== 'aws.ec2') {
    return err([{ path: ['source'], message: `expected aws.ec2, got ${JSON.stringify(e.source)}` }]);
  }
  const detailType = e['detail-type'];
  const kind = DETAIL_TYPES[detailType as keyof typeof DETAIL_TYPES];
  if (kind === undefined) {
    return err([
      {
        path: ['detail-type'],
        message: `expected one of ${Object.keys(DETAIL_TYPES).join(', ')}; got ${JSON.stringify(detailType)}`,
      },
    ]);
  }
  const detail = (kind === 'interruption' ? InterruptionDetail : RebalanceDetail).safeParse(e.detail);
  if (!detail.success) {
    return err(detail.error.issues.map((i) => ({ ...i, path: ['detail', ...i.path] })));
  }
  const eventTime = new Date(e.time);
  const action = (detail.data as { 'instance-action'?: string })['instance-action'] ?? null;
  return ok({
    id: e.id,
    source: e.source,
    detailType,
    kind,
    account: e.account,
    region: e.region,
    instanceId: detail.data['instance-id'],
    instanceAction: action,
    eventTime,
    actionTime: kind === 'interruption' ? new Date(eventTime.getTime() + INTERRUPTION_NOTICE_MS) : null,
    detail: e.detail,
  });
}
