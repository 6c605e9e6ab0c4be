import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock.js';
import { Config } from '../../../core/config.js';
import { createSilentLogger } from '../../../core/log.js';
import { createRegistry } from '../../../core/telemetry.js';
import { createAwsActionClients, resolveAwsActionClientOptions } from './aws-action-clients.js';
import { createAwsActionMetrics, noopAwsActionMetrics } from './aws-action-metrics.js';
import { createAwsActionExecutors, resolveSpotMigrationSettings } from './create-aws-action-executors.js';
import { createFakeNodeOperations } from './fake-node-operations.js';

describe('resolveSpotMigrationSettings', () => {
  it('uses the defaults when awsActions is absent', () => {
    expect(resolveSpotMigrationSettings(undefined)).toEqual({
      onDemandFallback: false,
      nodeReadyTimeoutSeconds: 600,
      drainTimeoutSeconds: 900,
    });
  });

  it('reads awsActions from the config file and rejects an unknown key', () => {
    const config = Config.parse({
      awsActions: { onDemandFallback: true, spotInstanceTypes: ['g6.12xlarge'] },
    });
    expect(resolveSpotMigrationSettings(config.awsActions)).toMatchObject({ onDemandFallback: true });
    expect(config.awsActions?.spotInstanceTypes).toEqual(['g6.12xlarge']);
    expect(() => Config.parse({ awsActions: { onDemandFallbak: true } })).toThrow(/onDemandFallbak/);
  });
});

describe('createAwsActionExecutors', () => {
  it('covers scale_asg, terminate_instance and migrate_to_spot, one executor each', async () => {
    const clients = createAwsActionClients({ region: 'eu-west-1', maxAttempts: 4 });
    expect(await clients.ec2.config.region()).toBe('eu-west-1');
    expect(await clients.autoScaling.config.maxAttempts()).toBe(4);
    const executors = createAwsActionExecutors({
      clients,
      clock: systemClock,
      nodes: createFakeNodeOperations(),
      log: createSilentLogger(),
      metrics: noopAwsActionMetrics,
      settings: resolveSpotMigrationSettings(undefined),
    });
    expect(executors.flatMap((e) => e.kinds)).toEqual(['scale_asg', 'terminate_instance', 'migrate_to_spot']);
  });
});

describe('createAwsActionMetrics', () => {
  it('counts API errors by operation and class', async () => {
    const registry = createRegistry({ defaultMetrics: false });
    createAwsActionMetrics(registry).recordApiError('CreateFleet', 'capacity');
    expect(await registry.getSingleMetricAsString('gpuscope_aws_action_api_errors_total')).toContain(
      'gpuscope_aws_action_api_errors_total{operation="CreateFleet",class="capacity"} 1',
    );
  });
});

describe('resolveAwsActionClientOptions', () => {
  it('takes awsActions.region, else the first collector region, else none', () => {
    const collectors = { aws: { regions: ['us-east-2', 'eu-west-1'] } };
    expect(
      resolveAwsActionClientOptions(Config.parse({ collectors, awsActions: { region: 'us-west-2' } })),
    ).toEqual({
      region: 'us-west-2',
      maxAttempts: 8,
    });
    expect(resolveAwsActionClientOptions(Config.parse({ collectors }))?.region).toBe('us-east-2');
    expect(resolveAwsActionClientOptions(Config.parse({}))).toBeUndefined();
  });
});
