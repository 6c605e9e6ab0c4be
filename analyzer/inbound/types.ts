import type { Db } from '../../core/db.js';
import type { Logger } from '../../core/log.js';
import type { InboundMetrics } from './metrics.js';

/** What the receiver tells whoever acts on a spot event (the AWS executor's handleSpotInterruption). */
export interface SpotInterruptionEvent {
  instanceId: string;
  kind: 'interruption' | 'rebalance';
  /** Interruptions only: when EC2 acts, the warning's time plus the two-minute notice. */
  actionTime?: Date;
  region: string;
}

export type SpotInterruptionHook = (event: SpotInterruptionEvent) => Promise<void>;

export interface ReceiveDeps {
  db: Db;
  log: Logger;
  metrics: InboundMetrics;
  /** The cluster whose nodes an alert's node labels are matched against. */
  cluster: string;
}
