import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDeviceId, parsePodResources } from './parse-pod-resources.js';

const fixture = JSON.parse(
  readFileSync(
    new URL(
      '../../test/fixtures/kubernetes/dcgm-exporter_h100-mig_kubelet-podresources.json',
      import.meta.url,
    ),
    'utf8',
  ),
);

describe('parsePodResources', () => {
  it('maps the ollama pod in the real dcgm-exporter sample to its GPU and MIG device ids', () => {
    const { devices, issues } = parsePodResources(fixture);
    expect(issues).toEqual([]);
    expect(devices).toEqual([
      {
        namespace: 'testing',
        pod: 'ollama-76f687f4cd-xcvvp',
        container: 'ollama',
        resourceName: 'nvidia.com/gpu',
        deviceId: 'GPU-be839661-c0f5-7452-284b-b875666df60c',
        gpuUuid: 'GPU-be839661-c0f5-7452-284b-b875666df60c',
        mig: false,
      },
      {
        namespace: 'testing',
        pod: 'ollama-76f687f4cd-xcvvp',
        container: 'ollama',
        resourceName: 'nvidia.com/gpu',
        deviceId: 'MIG-GPU-be839661-c0f5-7452-284b-b875666df60c',
        gpuUuid: 'GPU-be839661-c0f5-7452-284b-b875666df60c',
        mig: true,
      },
    ]);
  });

  it('accepts the camelCase gRPC JSON field names', () => {
    const { devices } = parsePodResources({
      podResources: [
        {
          name: 'p',
          namespace: 'ns',
          containers: [
            { name: 'c', devices: [{ resourceName: 'nvidia.com/mig-1g.10gb', deviceIds: ['MIG-4c1b'] }] },
          ],
        },
      ],
    });
    expect(devices).toEqual([
      {
        namespace: 'ns',
        pod: 'p',
        container: 'c',
        resourceName: 'nvidia.com/mig-1g.10gb',
        deviceId: 'MIG-4c1b',
        gpuUuid: null,
        mig: true,
      },
    ]);
  });

  it('reports an entry without a namespace and keeps the others', () => {
    const { devices, issues } = parsePodResources({
      pod_resources: [
        { name: 'orphan', containers: [] },
        {
          name: 'p',
          namespace: 'ns',
          containers: [{ name: 'c', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: ['GPU-1'] }] }],
        },
      ],
    });
    expect(devices.map((d) => d.deviceId)).toEqual(['GPU-1']);
    expect(issues).toMatchObject([{ field: 'pod_resources[0]', message: 'entry without name/namespace' }]);
  });

  it('reports a document without pod_resources instead of throwing', () => {
    expect(parsePodResources('not json').issues).toMatchObject([
      { field: 'pod_resources', message: 'not a list' },
    ]);
  });
});

describe('parseDeviceId', () => {
  it('takes the parent GPU UUID out of an old-style MIG device id with instance numbers', () => {
    expect(parseDeviceId('MIG-GPU-be839661-c0f5-7452-284b-b875666df60c/7/0')).toEqual({
      gpuUuid: 'GPU-be839661-c0f5-7452-284b-b875666df60c',
      mig: true,
    });
  });
});
