import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpotAdvisorFile } from './load-spot-advisor.js';

const FEED = join(
  import.meta.dirname,
  '..',
  '..',
  'test',
  'fixtures',
  'aws',
  'aws-spot-advisor-data_gpu-excerpt.json',
);

describe('loadSpotAdvisorFile', () => {
  it('reads the real advisor feed for the configured regions into an instance-type lookup', () => {
    const lookup = loadSpotAdvisorFile(FEED, ['us-east-1', 'us-west-2']);
    expect(lookup('us-east-1', 'p4de.24xlarge')).toEqual({ label: '<5%', maxPercent: 5 });
    expect(lookup('us-east-1', 'g6.24xlarge')).toEqual({ label: '>20%', maxPercent: 100 });
    expect(lookup('us-east-1', 'no.such')).toBeUndefined();
    expect(lookup('ap-south-1', 'p4de.24xlarge')).toBeUndefined();
  });

  it('names the file and the region it lacks, or the file it cannot read', () => {
    expect(() => loadSpotAdvisorFile(FEED, ['ap-south-1'])).toThrow(
      /spotAdvisorFile .*nothing for ap-south-1/,
    );
    expect(() => loadSpotAdvisorFile('/nonexistent/advisor.json', ['us-east-1'])).toThrow(/cannot read/);
    const bad = join(mkdtempSync(join(tmpdir(), 'advisor-')), 'bad.json');
    writeFileSync(bad, '{"ranges": ');
    expect(() => loadSpotAdvisorFile(bad, ['us-east-1'])).toThrow(/not valid JSON/);
  });
});
