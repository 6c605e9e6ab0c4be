import type { Hook } from '@hono/zod-openapi';
import type { Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { CostDeps } from '../analyzer/cost/create-cost-deps.js';
import type { SpotInterruptionHook } from '../analyzer/inbound/types.js';
import type { Clock } from '../core/clock.js';
import type { AnalyzerConfig, InboundConfig } from '../core/config.js';
import type { Db } from '../core/db.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AuthVariables, TokenConfig } from './auth.js';
import { describeValidation } from './errors.js';
import type { ActionRouteDeps } from './routes/actions.js';
import type { WebhookRouteSettings } from './routes/webhooks.js';

export type AppEnv = { Variables: AuthVariables & { requestId: string } };

export interface RouteDeps {
  db: Db;
  clock: Clock;
}

export interface AppDeps extends RouteDeps {
  costs: CostDeps;
  registry: Registry;
  log: Logger;
  tracer: Tracer;
  tokens: readonly TokenConfig[];
  /** True when the database answers and every migration is applied. */
  isReady: () => Promise<{ ready: boolean; reason?: string }>;
  /** Alertmanager and EventBridge receivers; without it their routes are not mounted. */
  inbound?: InboundDeps | undefined;
  /** The KEDA pull signal (/api/v1/scaling); without it its routes are not mounted. */
  scaling?: ScalingDeps | undefined;
  /** Webhook subscriptions: the SSRF allow-list and the rotation overlap; absent = no private networks, 24 h. */
  webhooks?: WebhookRouteSettings | undefined;
  /** The action engine's API face (`createActionEngine`); without it /api/v1/actions is not mounted. */
  actions?: ActionRouteDeps | undefined;
}

export interface InboundDeps {
  /** `config.inbound`. */
  config: InboundConfig;
  /** The cluster whose nodes an alert's node, Hostname or instance label is matched against. */
  cluster: string;
  /** Called once per new, fresh spot interruption or rebalance event; its failure is logged, counted, kept. */
  onSpotInterruption?: SpotInterruptionHook | undefined;
}

export interface ScalingDeps {
  cluster: string;
  /** `config.analyzer.capacity`: the window, idle threshold and headroom the pool-capacity detector uses. */
  capacity: AnalyzerConfig['capacity'];
}

// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by routes of every input shape
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) throw new AppError('VALIDATION', describeValidation(result.error.issues));
};
