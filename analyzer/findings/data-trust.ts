import { type AnalyzerConfig, Config } from '../../core/config.js';

/**
 * When a GPU's readings cannot be trusted (`analyzer.dataQuality`): the data-quality detector reports it, and the
 * idle judge and right-sizing give no verdict on it. One definition, so they never disagree.
 */
export type TrustThresholds = Pick<
  AnalyzerConfig['dataQuality'],
  'minSamples' | 'frozenMinutes' | 'grZeroGpuUtil'
>;

export const DEFAULT_TRUST: TrustThresholds = Config.parse({}).analyzer.dataQuality;

export interface TrustReadings {
  minutes: number;
  powerMeanWatts: number | null;
  /** Minutes with an energy-counter increase computed, and the joules they add up to. */
  energyMinutes: number;
  energyJoules: number | null;
  /** Distinct (activity, power) readings over the window. */
  distinctReadings: number;
}

/**
 * A stuck exporter repeats its last values. Where the energy counter is read, it tells: a GPU drawing power whose
 * counter did not move is frozen (`stalled`). Without it, one distinct (activity, power) reading for
 * `frozenMinutes` is (`repeated`); a shorter identical run is left alone, since a truly idle GPU read in whole
 * watts (nvidia-smi dmon) repeats (0 %, 69 W) for minutes.
 */
export function frozenSeries(w: TrustReadings, t: TrustThresholds): 'stalled' | 'repeated' | undefined {
  if (w.powerMeanWatts === null || w.powerMeanWatts <= 0) return undefined;
  if (w.energyMinutes >= t.minSamples) return (w.energyJoules ?? 0) === 0 ? 'stalled' : undefined;
  return w.distinctReadings <= 1 && w.minutes >= t.frozenMinutes ? 'repeated' : undefined;
}

/** GR_ENGINE_ACTIVE at 0 while GPU_UTIL reads busy: a known DCGM profiling fault, not an idle GPU. */
export function isGrEngineFault(grMax: number | null, gpuUtil: number | null, t: TrustThresholds): boolean {
  return grMax === 0 && (gpuUtil ?? 0) >= t.grZeroGpuUtil;
}
