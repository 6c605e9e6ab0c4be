import { EC2Client } from '@aws-sdk/client-ec2';
import { PricingClient } from '@aws-sdk/client-pricing';
import type { AwsSourceConfig } from '../../core/config.js';

/** The AWS SDK clients the AWS collector uses; tests pass clients wrapped by aws-sdk-client-mock. */
export interface AwsClients {
  pricing: PricingClient;
  /** EC2 is regional: one client per region read. */
  ec2(region: string): EC2Client;
}

/**
 * Real clients with the SDK's adaptive retry mode (client-side rate limiting on throttling) and the configured
 * attempts. Credentials come from the SDK's default chain; nothing here reads or logs them.
 */
export function createAwsClients(config: AwsSourceConfig): AwsClients {
  const retry = { retryMode: 'adaptive', maxAttempts: config.maxAttempts } as const;
  const pricing = new PricingClient({ region: config.pricingRegion, ...retry });
  const ec2ByRegion = new Map<string, EC2Client>();
  return {
    pricing,
    ec2(region) {
      let client = ec2ByRegion.get(region);
      if (!client) {
        client = new EC2Client({ region, ...retry });
        ec2ByRegion.set(region, client);
      }
      return client;
    },
  };
}
