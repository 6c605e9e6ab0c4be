import type { Random } from './hash.js';

/**
 * A sinusoid `level + swing * sin(omega * s + phase)`. Power is built only from waves so that the
 * energy counter can be their exact integral, keeping `TOTAL_ENERGY_CONSUMPTION` consistent with
 * `POWER_USAGE` at any two times without replaying history.
 */
export interface Wave {
  level: number;
  swing: number;
  omegaRadPerSecond: number;
  phaseRad: number;
}

export const flatWave: Wave = { level: 0, swing: 0, omegaRadPerSecond: 1, phaseRad: 0 };

export function evaluateWave(wave: Wave, seconds: number): number {
  if (wave.swing === 0) return wave.level;
  return wave.level + wave.swing * Math.sin(wave.omegaRadPerSecond * seconds + wave.phaseRad);
}

/** The exact integral of the wave from `fromSeconds` to `toSeconds`. */
export function integrateWave(wave: Wave, fromSeconds: number, toSeconds: number): number {
  const steady = wave.level * (toSeconds - fromSeconds);
  if (wave.swing === 0) return steady;
  const { omegaRadPerSecond: omega, phaseRad: phase } = wave;
  const cosFrom = Math.cos(omega * fromSeconds + phase);
  const cosTo = Math.cos(omega * toSeconds + phase);
  return steady + (wave.swing / omega) * (cosFrom - cosTo);
}

export function createWave(
  random: Random,
  level: number,
  swing: number,
  periodSeconds: readonly [number, number],
): Wave {
  const period = random.between(periodSeconds[0], periodSeconds[1]);
  return {
    level,
    swing,
    omegaRadPerSecond: (2 * Math.PI) / period,
    phaseRad: random.between(0, 2 * Math.PI),
  };
}
