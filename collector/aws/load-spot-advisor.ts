import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/config.js';
import { parseSpotAdvisor } from './parse-spot-advisor.js';

/** Interruption bucket of an instance type in a region: `<5%` … `>20%`, with its upper bound in percent. */
export type SpotInterruptionLookup = (
  region: string,
  instanceType: string,
) => { label: string; maxPercent: number } | undefined;

/**
 * The Spot Instance Advisor feed (`spot-advisor-data.json`, downloaded by the operator: nothing here reaches out
 * for it) read once for the given regions, as the lookup right-sizing rates spot risk with. A region the feed
 * lacks is an error naming the file, not a silent "unknown".
 */
export function loadSpotAdvisorFile(path: string, regions: readonly string[]): SpotInterruptionLookup {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`collectors.aws.spotAdvisorFile: cannot read ${path}: ${(error as Error).message}`);
  }
  const byRegion = new Map<string, Map<string, { label: string; maxPercent: number }>>();
  for (const region of regions) {
    const parsed = parseSpotAdvisor(text, region);
    if (!parsed.ok) throw new ConfigError(`collectors.aws.spotAdvisorFile ${path}: ${parsed.error}`);
    byRegion.set(
      region,
      new Map(
        [...parsed.value.advice.values()].map((a) => [
          a.instanceType,
          { label: a.interruptionLabel, maxPercent: a.interruptionMaxPercent },
        ]),
      ),
    );
  }
  return (region, instanceType) => byRegion.get(region)?.get(instanceType);
}
