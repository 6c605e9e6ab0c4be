import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { describeInstancesOutput } from '../../test/fixtures/aws/load.js';
import { fetchInstances } from './fetch-instances.js';
import { matchInstancesToNodes, parseInstances, toMarket } from './parse-instances.js';

const instances = () => parseInstances('us-east-1', describeInstancesOutput().Reservations as never);

describe('parseInstances', () => {
  it('reads id, type, zone, DNS name, market, state, launch time and tags', () => {
    const [p4d, spot, block, old] = instances();
    expect(p4d).toEqual({
      instanceId: 'i-0p4d000000000000a',
      instanceType: 'p4d.24xlarge',
      region: 'us-east-1',
      availabilityZone: 'us-east-1a',
      privateDnsName: 'ip-10-0-1-2.ec2.internal',
      node: null,
      market: 'on-demand',
      state: 'running',
      launchedAt: new Date('2026-11-30T08:00:00.000Z'),
      tags: { team: 'research', Name: 'gpu-a' },
    });
    expect([spot?.market, block?.market, old?.state]).toEqual(['spot', 'capacity-block', 'terminated']);
  });

  it('takes the market from InstanceLifecycle, on-demand when absent or unknown', () => {
    expect(['spot', 'scheduled', 'capacity-block', undefined, 'x'].map(toMarket)).toEqual([
      'spot',
      'scheduled',
      'capacity-block',
      'on-demand',
      'on-demand',
    ]);
  });
});

describe('matchInstancesToNodes', () => {
  it('matches by providerID, by full private DNS name and by its first label', () => {
    const matched = matchInstancesToNodes(instances(), [
      { name: 'gpu-spot-1', providerId: 'aws:///us-east-1b/i-0p4de00000000000b' },
      'ip-10-0-1-2.ec2.internal',
      'ip-10-0-3-9',
      'cpu-node-7',
    ]);
    expect(matched.map((i) => [i.instanceId, i.node])).toEqual([
      ['i-0p4d000000000000a', 'ip-10-0-1-2.ec2.internal'],
      ['i-0p4de00000000000b', 'gpu-spot-1'],
      ['i-0cb0000000000000c', 'ip-10-0-3-9'],
      // the terminated instance had the same private IP: the running one keeps the node
      ['i-0old000000000000d', null],
    ]);
  });

  it('leaves every node empty when no node is known', () => {
    expect(matchInstancesToNodes(instances(), []).every((i) => i.node === null)).toBe(true);
  });
});

describe('fetchInstances', () => {
  it('pages through DescribeInstances and parses every reservation', async () => {
    const ec2Mock = mockClient(EC2Client);
    const output = describeInstancesOutput();
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: output.Reservations.slice(0, 1) as never, NextToken: 't2' })
      .resolvesOnce({ Reservations: output.Reservations.slice(1) as never });
    const read = await fetchInstances(new EC2Client({ region: 'us-east-1' }), 'us-east-1');
    expect(read.map((i) => i.instanceId)).toHaveLength(4);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)[1]?.args[0].input.NextToken).toBe('t2');
    ec2Mock.restore();
  });
});
