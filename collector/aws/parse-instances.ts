import type { Instance, Reservation } from '@aws-sdk/client-ec2';
import type { CloudInstanceRecord, InstanceMarket } from './types.js';

/** A Kubernetes or Slurm node: its name, and for Kubernetes its `spec.providerID` when known. */
export type NodeRef = string | { name: string; providerId?: string | undefined };

const MARKETS: Record<string, InstanceMarket> = {
  spot: 'spot',
  scheduled: 'scheduled',
  'capacity-block': 'capacity-block',
};

/** `InstanceLifecycle` absent means on-demand (reserved and savings-plan coverage shows only in the bill). */
export function toMarket(lifecycle: string | undefined): InstanceMarket {
  return (lifecycle && MARKETS[lifecycle]) || 'on-demand';
}

/** DescribeInstances reservations → inventory records, node not yet matched. */
export function parseInstances(region: string, reservations: readonly Reservation[]): CloudInstanceRecord[] {
  const out: CloudInstanceRecord[] = [];
  for (const reservation of reservations) {
    for (const instance of reservation.Instances ?? []) {
      if (!instance.InstanceId || !instance.InstanceType) continue;
      out.push(toRecord(region, instance));
    }
  }
  return out;
}

function toRecord(region: string, i: Instance): CloudInstanceRecord {
  const tags: Record<string, string> = {};
  for (const tag of i.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
  return {
    instanceId: i.InstanceId ?? '',
    instanceType: i.InstanceType ?? '',
    region,
    availabilityZone: i.Placement?.AvailabilityZone ?? null,
    privateDnsName: i.PrivateDnsName || null,
    node: null,
    market: toMarket(i.InstanceLifecycle),
    state: i.State?.Name ?? 'unknown',
    launchedAt: i.LaunchTime ?? null,
    tags,
  };
}

/**
 * Sets each instance's node. A node matches by providerID (`aws:///<az>/<instance-id>`, the id is what counts),
 * else by name: the full private DNS name (`ip-10-0-1-2.ec2.internal`), its first label (`ip-10-0-1-2`), or the
 * instance id (resource-name hostnames). Private IPs are reused, so when several instances claim one node the
 * running one (then the latest launched) wins and the others get no node.
 */
export function matchInstancesToNodes(
  instances: readonly CloudInstanceRecord[],
  nodes: readonly NodeRef[],
): CloudInstanceRecord[] {
  const byProviderId = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const ref of nodes) {
    const node = typeof ref === 'string' ? { name: ref } : ref;
    const id = node.providerId?.match(/^aws:\/\/\/[^/]*\/(i-[0-9a-z]+)$/)?.[1];
    if (id) byProviderId.set(id, node.name);
    byName.set(node.name, node.name);
    byName.set(node.name.split('.')[0] ?? node.name, node.name);
  }
  const claims = new Map<string, CloudInstanceRecord>();
  for (const instance of instances) {
    const node = byProviderId.get(instance.instanceId) ?? findByName(byName, instance);
    if (!node) continue;
    const held = claims.get(node);
    if (!held || ranksAbove(instance, held)) claims.set(node, instance);
  }
  const nodeOf = new Map([...claims].map(([node, instance]) => [instance.instanceId, node]));
  return instances.map((i) => ({ ...i, node: nodeOf.get(i.instanceId) ?? null }));
}

function findByName(byName: Map<string, string>, i: CloudInstanceRecord): string | undefined {
  const dns = i.privateDnsName;
  return (
    (dns ? (byName.get(dns) ?? byName.get(dns.split('.')[0] ?? dns)) : undefined) ?? byName.get(i.instanceId)
  );
}

function ranksAbove(a: CloudInstanceRecord, b: CloudInstanceRecord): boolean {
  const aRunning = a.state === 'running';
  if (aRunning !== (b.state === 'running')) return aRunning;
  return (a.launchedAt?.getTime() ?? 0) > (b.launchedAt?.getTime() ?? 0);
}
