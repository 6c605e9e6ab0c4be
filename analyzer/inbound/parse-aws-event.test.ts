import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpotEvent } from './parse-aws-event.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/inbound');
const readFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(fixtures, name), 'utf8'));

describe('parseSpotEvent', () => {
  it('reads the EventBridge spot interruption warning, with the action two minutes after the warning', () => {
    const result = parseSpotEvent(readFixture('eventbridge-spot-interruption-warning.json'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      id: '1e5527d7-bb36-4607-3370-4164db56a40e',
      kind: 'interruption',
      region: 'us-east-1',
      account: '123456789012',
      instanceId: 'i-0b662ef9931388ba0',
      instanceAction: 'terminate',
    });
    expect(result.value.eventTime.toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(result.value.actionTime?.toISOString()).toBe('1970-01-01T00:02:00.000Z');
  });

  it('reads the rebalance recommendation, which has no action or action time', () => {
    const result = parseSpotEvent(readFixture('eventbridge-rebalance-recommendation.json'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      kind: 'rebalance',
      instanceId: 'i-0b662ef9931388ba0',
      instanceAction: null,
      actionTime: null,
    });
  });

  describe('errors', () => {
    it('names detail-type for an EC2 event it does not handle', () => {
      const body = { ...readFixture('eventbridge-rebalance-recommendation.json') };
      body['detail-type'] = 'EC2 Instance State-change Notification';
      const result = parseSpotEvent(body);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error[0]?.path).toEqual(['detail-type']);
    });

    it('names detail.instance-id when it is not an instance id', () => {
      const body = readFixture('eventbridge-spot-interruption-warning.json');
      body['detail'] = { 'instance-id': 'web-1', 'instance-action': 'terminate' };
      const result = parseSpotEvent(body);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error[0]?.path).toEqual(['detail', 'instance-id']);
    });

    it('refuses an event from another source', () => {
      const body = { ...readFixture('eventbridge-spot-interruption-warning.json'), source: 'custom.forged' };
      const result = parseSpotEvent(body);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error[0]?.path).toEqual(['source']);
    });

    it('names a missing id', () => {
      const { id: _id, ...body } = readFixture('eventbridge-spot-interruption-warning.json');
      const result = parseSpotEvent(body);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error[0]?.path).toEqual(['id']);
    });
  });
});
