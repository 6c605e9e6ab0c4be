import { type EC2Client, paginateDescribeInstances, type Reservation } from '@aws-sdk/client-ec2';
import { parseInstances } from './parse-instances.js';
import type { CloudInstanceRecord } from './types.js';

/** Every instance of one region (terminated ones too while EC2 still lists them). API errors throw. */
export async function fetchInstances(ec2: EC2Client, region: string): Promise<CloudInstanceRecord[]> {
  const reservations: Reservation[] = [];
  for await (const page of paginateDescribeInstances({ client: ec2 }, { MaxResults: 1000 })) {
    reservations.push(...(page.Reservations ?? []));
  }
  return parseInstances(region, reservations);
}
