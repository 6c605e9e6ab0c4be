import { describe, expect, it } from 'vitest';
import { readAwsFixtureText } from '../../test/fixtures/aws/load.js';
import { parseSpotAdvisor } from './parse-spot-advisor.js';

const feed = readAwsFixtureText('aws-spot-advisor-data_gpu-excerpt.json');

describe('parseSpotAdvisor', () => {
  it('maps each GPU type to its interruption bucket and savings in us-east-1', () => {
    const parsed = parseSpotAdvisor(feed, 'us-east-1');
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value.advice.get('p4de.24xlarge')).toEqual({
      instanceType: 'p4de.24xlarge',
      interruptionLabel: '<5%',
      interruptionMaxPercent: 5,
      savingsPercent: 65,
    });
    expect(parsed.value.advice.get('g6.24xlarge')).toMatchObject({
      interruptionLabel: '>20%',
      savingsPercent: 56,
    });
    expect(parsed.value.issues).toEqual([]);
  });

  describe('errors', () => {
    it('refuses a region the feed does not cover and text that is not JSON', () => {
      expect(parseSpotAdvisor(feed, 'ap-south-1')).toMatchObject({ ok: false });
      expect(parseSpotAdvisor('<html>', 'us-east-1')).toEqual({
        ok: false,
        error: 'spot advisor data is not valid JSON',
      });
    });

    it('reports an entry whose range index is unknown', () => {
      const doc = JSON.parse(feed);
      doc.spot_advisor['us-east-1'].Linux['p5.48xlarge'] = { s: 10, r: 9 };
      const parsed = parseSpotAdvisor(JSON.stringify(doc), 'us-east-1');
      expect(parsed.ok && parsed.value.issues).toEqual([
        'us-east-1 p5.48xlarge: unknown interruption range 9',
      ]);
    });
  });
});
