import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { ActionEngine, ActionPrincipal } from '../../analyzer/actions/create-action-engine.js';
import type { ActionAuditRow, ActionRow, PauseState } from '../../analyzer/actions/queries.js';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { AppEnv } from '../context.js';
import { validationHook } from '../context.js';
import { errorResponse } from '../errors.js';
import {
  ActionDecisionBody,
  ActionDetail,
  ActionIdParam,
  ActionList,
  ActionListQuery,
  ActionPolicyBody,
  ActionPolicyQuery,
  ActionResponse,
  PauseStateBody,
} from '../schemas/actions.js';
import { ErrorBody, errorResponses } from '../schemas/common.js';

export interface ActionRouteDeps {
  engine: Pick<
    ActionEngine,
    'listActions' | 'getAction' | 'approve' | 'reject' | 'pause' | 'resume' | 'getPolicy'
  >;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const notFound = {
  404: { description: 'No such action', content: { 'application/json': { schema: ErrorBody } } },
};
const conflict = {
  409: {
    description: 'The action is not in a state (or under a policy) that allows this',
    content: { 'application/json': { schema: ErrorBody } },
  },
};

export function toActionBody(a: ActionRow) {
  return {
    id: a.id,
    cluster: a.cluster,
    kind: a.kind,
    reason: a.reason,
    state: a.state,
    version: a.version,
    request: a.request as unknown as Record<string, unknown>,
    scope: a.scope as unknown as Record<string, unknown>,
    targetKey: a.targetKey,
    blastRadius: { nodes: a.blastNodes, gpus: a.blastGpus },
    recommendation: { id: a.recommendationId, version: a.recommendationVersion },
    idempotencyKey: a.idempotencyKey,
    checkpoint: a.checkpoint,
    attempts: a.attempts,
    nextAttemptAt: iso(a.nextAttemptAt),
    blockedReason: a.blockedReason,
    lastError: a.lastError ?? null,
    approvedBy: a.approvedBy,
    lease: { owner: a.leaseOwner, expiresAt: iso(a.leaseExpiresAt) },
    expiresAt: iso(a.expiresAt),
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
    executedAt: iso(a.executedAt),
    finishedAt: iso(a.finishedAt),
    realizedSavings: {
      usd: a.realizedSavingsUsd,
      beforeUsd: a.savingsBeforeUsd,
      afterUsd: a.savingsAfterUsd,
      beforeFrom: iso(a.savingsBeforeFrom),
      afterTo: iso(a.savingsAfterTo),
    },
  };
}

const toAuditBody = (e: ActionAuditRow) => ({
  id: e.id,
  at: e.at.toISOString(),
  event: e.event,
  fromState: e.fromState,
  toState: e.toState,
  actor: e.actor,
  ok: e.ok,
  detail: e.detail,
});

const toPauseBody = (p: PauseState) => ({ ...p, changedAt: iso(p.changedAt) });

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Actions, newest first, by state and kind',
  security: [{ bearer: [] }],
  request: { query: ActionListQuery },
  responses: {
    200: { description: 'Actions', content: { 'application/json': { schema: ActionList } } },
    ...errorResponses,
  },
});
const policyRoute = createRoute({
  method: 'get',
  path: '/policy',
  summary: 'The action policy: pause switch, configured policies, and the one that applies to a scope',
  security: [{ bearer: [] }],
  request: { query: ActionPolicyQuery },
  responses: {
    200: { description: 'Effective policy', content: { 'application/json': { schema: ActionPolicyBody } } },
    ...errorResponses,
  },
});
const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'One action with its audit (every transition and executor call)',
  security: [{ bearer: [] }],
  request: { params: ActionIdParam },
  responses: {
    200: { description: 'The action', content: { 'application/json': { schema: ActionDetail } } },
    ...errorResponses,
    ...notFound,
  },
});
const decisionRoute = (verb: 'approve' | 'reject') =>
  createRoute({
    method: 'post',
    path: `/{id}/${verb}`,
    summary:
      verb === 'approve'
        ? 'Approve a planned (or dry-run) action under an approve or auto policy (operator)'
        : 'Reject an action that has not started executing (operator)',
    security: [{ bearer: [] }],
    request: {
      params: ActionIdParam,
      body: { content: { 'application/json': { schema: ActionDecisionBody } }, required: false },
    },
    responses: {
      200: {
        description: 'The action after the decision',
        content: { 'application/json': { schema: ActionResponse } },
      },
      ...errorResponses,
      ...notFound,
      ...conflict,
    },
  });
const switchRoute = (verb: 'pause' | 'resume') =>
  createRoute({
    method: 'post',
    path: `/${verb}`,
    summary:
      verb === 'pause'
        ? 'Pause every action execution (kept in the database across restarts) (operator)'
        : 'Lift the global pause (operator)',
    security: [{ bearer: [] }],
    request: { body: { content: { 'application/json': { schema: ActionDecisionBody } }, required: false } },
    responses: {
      200: { description: 'The pause switch', content: { 'application/json': { schema: PauseStateBody } } },
      ...errorResponses,
    },
  });

export function createActionRoutes(deps: ActionRouteDeps & { log: Logger }) {
  const principal = (c: { get(key: 'principal'): ActionPrincipal }) => c.get('principal');
  const routes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // the JSON body validator throws hono's own 400 for malformed JSON: answered as our VALIDATION error, not a 500
  routes.onError((error, c) =>
    errorResponse(
      c,
      error instanceof HTTPException && error.status < 500
        ? new AppError('VALIDATION', `(body): ${error.message}`)
        : error,
      deps.log,
    ),
  );
  return routes
    .openapi(listRoute, async (c) => {
      const rows = await deps.engine.listActions(c.req.valid('query'));
      return c.json({ data: rows.map(toActionBody) }, 200);
    })
    .openapi(policyRoute, async (c) => {
      const view = await deps.engine.getPolicy(c.req.valid('query'));
      return c.json(
        {
          paused: toPauseBody(view.paused),
          defaultMode: view.defaultMode,
          policies: view.policies as unknown as Record<string, unknown>[],
          effective: view.effective as unknown as Record<string, unknown>,
        },
        200,
      );
    })
    .openapi(getRoute, async (c) => {
      const found = await deps.engine.getAction(c.req.valid('param').id);
      if (!found) throw new AppError('NOT_FOUND', `no action ${c.req.valid('param').id}`);
      return c.json({ data: toActionBody(found.action), audit: found.audit.map(toAuditBody) }, 200);
    })
    .openapi(decisionRoute('approve'), async (c) => {
      const row = await deps.engine.approve(c.req.valid('param').id, principal(c), c.req.valid('json').note);
      return c.json({ data: toActionBody(row) }, 200);
    })
    .openapi(decisionRoute('reject'), async (c) => {
      const row = await deps.engine.reject(c.req.valid('param').id, principal(c), c.req.valid('json').note);
      return c.json({ data: toActionBody(row) }, 200);
    })
    .openapi(switchRoute('pause'), async (c) =>
      c.json(toPauseBody(await deps.engine.pause(principal(c), c.req.valid('json').note)), 200),
    )
    .openapi(switchRoute('resume'), async (c) =>
      c.json(toPauseBody(await deps.engine.resume(principal(c), c.req.valid('json').note)), 200),
    );
}
