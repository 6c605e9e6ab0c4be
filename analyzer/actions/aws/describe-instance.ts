import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';

/** Tag that exempts an instance from every disruptive action. */
export const doNotDisruptTag = 'gpuscope.io/do-not-disrupt';

export interface InstanceFacts {
  instanceId: string;
  /** `pending | running | shutting-down | terminated | stopping | stopped`. */
  state: string;
  /** `on-demand` when EC2 sets no InstanceLifecycle, else its value (`spot`, `capacity-block`, …). */
  lifecycle: string;
  instanceType: string | undefined;
  availabilityZone: string | undefined;
  subnetId: string | undefined;
  tags: Record<string, string>;
}

export function parseInstanceFacts(instance: Instance): InstanceFacts {
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
  return {
    instanceId: instance.InstanceId ?? '',
    state: instance.State?.Name ?? 'unknown',
    lifecycle: instance.InstanceLifecycle ?? 'on-demand',
    instanceType: instance.InstanceType,
    availabilityZone: instance.Placement?.AvailabilityZone,
    subnetId: instance.SubnetId,
    tags,
  };
}

/** One instance by id; `undefined` when EC2 returns no such instance. API errors throw. */
export async function describeInstance(
  ec2: EC2Client,
  instanceId: string,
): Promise<InstanceFacts | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  for (const reservation of out.Reservations ?? []) {
    for (const instance of reservation.Instances ?? []) {
      if (instance.InstanceId === instanceId) return parseInstanceFacts(instance);
    }
  }
  return undefined;
}

/** Live instances carrying `key=value` (pending or running), e.g. replacements an earlier attempt launched. */
export async function listInstancesByTag(
  ec2: EC2Client,
  key: string,
  value: string,
): Promise<InstanceFacts[]> {
  const out = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${key}`, Values: [value] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  // Checked again here: this list feeds terminations, and a filter the API ignored must not widen it.
  return (out.Reservations ?? [])
    .flatMap((r) => (r.Instances ?? []).map(parseInstanceFacts))
    .filter((i) => i.tags[key] === value && (i.state === 'pending' || i.state === 'running'));
}

/** Whether termination protection (`disableApiTermination`) is on. */
export async function readTerminationProtection(ec2: EC2Client, instanceId: string): Promise<boolean> {
  const out = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' }),
  );
  return out.DisableApiTermination?.Value === true;
}

export function isOptedOut(facts: InstanceFacts): boolean {
  return facts.tags[doNotDisruptTag] === 'true';
}
