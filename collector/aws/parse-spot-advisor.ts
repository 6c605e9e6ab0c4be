import { err, ok, type Result } from '../../core/result.js';

/** Spot interruption frequency of one instance type in one region, from the Spot Instance Advisor feed. */
export interface SpotAdvice {
  instanceType: string;
  /** e.g. `<5%`, `>20%`. */
  interruptionLabel: string;
  /** Upper bound of the bucket in percent (5, 11, 16, 22, 100), for risk scores. */
  interruptionMaxPercent: number;
  /** Savings over on-demand, percent. */
  savingsPercent: number;
}

interface AdvisorFeed {
  ranges?: { index: number; label: string; max: number }[];
  spot_advisor?: Record<string, Record<string, Record<string, { s?: number; r?: number }>>>;
}

/**
 * Parses `spot-advisor-data.json` for one region and OS (`Linux` | `Windows`). `r` is an index into `ranges`;
 * an entry whose index has no range is reported, not guessed.
 */
export function parseSpotAdvisor(
  text: string,
  region: string,
  os = 'Linux',
): Result<{ advice: Map<string, SpotAdvice>; issues: string[] }, string> {
  let feed: AdvisorFeed;
  try {
    feed = JSON.parse(text) as AdvisorFeed;
  } catch {
    return err('spot advisor data is not valid JSON');
  }
  if (!Array.isArray(feed.ranges) || typeof feed.spot_advisor !== 'object') {
    return err('spot advisor data has no ranges or spot_advisor');
  }
  const ranges = new Map(feed.ranges.map((r) => [r.index, r]));
  const entries = feed.spot_advisor?.[region]?.[os];
  if (!entries) return err(`spot advisor data has nothing for ${region} ${os}`);
  const advice = new Map<string, SpotAdvice>();
  const issues: string[] = [];
  for (const [instanceType, entry] of Object.entries(entries)) {
    const range = entry.r === undefined ? undefined : ranges.get(entry.r);
    if (!range || typeof entry.s !== 'number') {
      issues.push(`${region} ${instanceType}: unknown interruption range ${entry.r ?? '(none)'}`);
      continue;
    }
    advice.set(instanceType, {
      instanceType,
      interruptionLabel: range.label,
      interruptionMaxPercent: range.max,
      savingsPercent: entry.s,
    });
  }
  return ok({ advice, issues });
}
