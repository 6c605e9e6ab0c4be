import { Config } from '../../core/config.js';

export const DRIFT_KINDS = ['drift_config', 'drift_job_efficiency', 'drift_spend', 'drift_health'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface DriftThresholds {
  /** Significance for every drift test (one-sided). */
  pValue: number;
  /** Config: only GPUs seen this recently count. */
  configSeenHours: number;
  /** Config: a pool needs this many nodes before a majority means anything. */
  configMinPoolNodes: number;
  /** Config: a node mixing MIG and whole GPUs is drift when this share of its pool shares one layout. */
  migLayoutShare: number;
  /** Jobs: the newest run of a series must have ended (or be running) within this many days. */
  jobLookbackDays: number;
  /** Jobs: how far back earlier runs are read (bounded by minute-rollup retention anyway). */
  jobHistoryDays: number;
  /** Jobs: earlier runs needed for a baseline, and the most used. */
  jobBaselineRuns: number;
  jobMaxBaselineRuns: number;
  /** Jobs: a run with fewer GPU-minutes of activity readings is not judged or used. */
  jobMinMinutes: number;
  /** Jobs: relative drop of efficiency against the baseline mean (0.2 = 20 %). */
  jobDropShare: number;
  /** Jobs: the baseline sd is held at this (activity ratio) or above. */
  jobSdFloor: number;
  /** Spend: complete days the trend is fitted over, and the fewest with data. */
  spendTrendDays: number;
  spendMinDays: number;
  spendZ: number;
  spendMinUsd: number;
  /** Spend: the residual sd is held at max(this, spendSdFloorShare × baseline mean) or above. */
  spendSdFloorUsd: number;
  spendSdFloorShare: number;
  healthRecentHours: number;
  /** Baseline window, ending where the recent window starts. */
  healthBaselineHours: number;
  healthMinEvents: number;
  healthRateRatio: number;
}

/** The shipped defaults (`analyzer.drift` in the config). */
export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = Config.parse({}).analyzer.drift;

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const round = (v: number, places = 4) => Math.round(v * 10 ** places) / 10 ** places;
export const sig = (v: number) => Number(v.toPrecision(3));
