import {
  type _InstanceType,
  type EC2Client,
  type InstanceTypeInfo,
  paginateDescribeInstanceTypes,
} from '@aws-sdk/client-ec2';
import { parseInstanceTypes } from './parse-instance-types.js';
import type { InstanceTypeFacts } from './types.js';

/**
 * DescribeInstanceTypes for the given types, or for every type when none is given (the caller keeps those with
 * GPUs). API errors throw; asked-for types EC2 does not know come back as issues.
 */
export async function fetchInstanceTypes(
  ec2: EC2Client,
  instanceTypes: readonly string[],
): Promise<{ facts: InstanceTypeFacts[]; issues: string[] }> {
  const infos: InstanceTypeInfo[] = [];
  const input =
    instanceTypes.length > 0 ? { InstanceTypes: [...instanceTypes] as _InstanceType[] } : { MaxResults: 100 };
  for await (const page of paginateDescribeInstanceTypes({ client: ec2 }, input)) {
    infos.push(...(page.InstanceTypes ?? []));
  }
  const parsed = parseInstanceTypes(infos);
  const known = new Set(parsed.facts.map((f) => f.name));
  for (const name of instanceTypes) {
    if (!known.has(name)) parsed.issues.push(`${name}: unknown to DescribeInstanceTypes`);
  }
  return parsed;
}
