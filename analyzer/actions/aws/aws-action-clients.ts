import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { Config } from '../../../core/config.js';

/** The two SDK clients the AWS executors send commands through; tests pass clients wrapped by aws-sdk-client-mock. */
export interface AwsActionClients {
  ec2: EC2Client;
  autoScaling: AutoScalingClient;
}

/**
 * Real clients for one region with the SDK's adaptive retry mode, so throttling is retried with client-side rate
 * limiting before an executor ever sees it. Credentials come from the SDK's default chain and are never logged.
 */
export function createAwsActionClients(options: { region: string; maxAttempts: number }): AwsActionClients {
  const common = { region: options.region, retryMode: 'adaptive', maxAttempts: options.maxAttempts } as const;
  return { ec2: new EC2Client(common), autoScaling: new AutoScalingClient(common) };
}

/**
 * Client options from config: `awsActions.region`, else the first collector region; `undefined` when neither names
 * a region (AWS actions cannot run).
 */
export function resolveAwsActionClientOptions(
  config: Pick<Config, 'awsActions' | 'collectors'>,
): { region: string; maxAttempts: number } | undefined {
  const region = config.awsActions?.region ?? config.collectors.aws?.regions[0];
  if (!region) return undefined;
  return { region, maxAttempts: config.awsActions?.maxAttempts ?? config.collectors.aws?.maxAttempts ?? 8 };
}
