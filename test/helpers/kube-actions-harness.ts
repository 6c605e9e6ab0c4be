import { Registry } from 'prom-client';
import { createKubeActionsClient } from '../../analyzer/actions/kubernetes/create-kube-actions-client.js';
import {
  createKubernetesActions,
  type KubernetesActions,
} from '../../analyzer/actions/kubernetes/create-kubernetes-actions.js';
import type { KubernetesActionsOptions } from '../../analyzer/actions/kubernetes/deps.js';
import type { KubeActionsClient } from '../../analyzer/actions/kubernetes/kube-actions-client.js';
import type {
  ActionExecutor,
  ActionKind,
  ExecutionContext,
  PreconditionSnapshot,
} from '../../analyzer/actions/types.js';
import { createManualClock } from '../../core/clock.js';
import { createSilentLogger } from '../../core/log.js';
import { type FakeKubeActionsApi, startFakeKubeActionsApi } from './fake-kube-actions-api.js';
import { fakeKubeConfig, POD_FIXTURES, readKubeFixture } from './fake-kube-api.js';

type Obj = Record<string, unknown>;

/** The node in `node_gpu_p5_ready.json` and its EC2 instance. */
export const NODE = 'ip-10-42-7-19.ec2.internal';
export const INSTANCE_ID = 'i-0a1b2c3d4e5f67890';

export interface KubeActionsHarness {
  api: FakeKubeActionsApi;
  client: KubeActionsClient;
  clock: ReturnType<typeof createManualClock>;
  /** Every wait the executors asked for, in ms; a wait moves the manual clock, never real time. */
  sleeps: number[];
  /** Runs after each wait (a PDB that starts allowing, a pod that finishes terminating …). */
  onSleep: (hook: (ms: number) => void) => void;
  registry: Registry;
  actions: KubernetesActions;
  executor(kind: ActionKind): ActionExecutor;
  close(): Promise<void>;
}

export async function startKubeActionsHarness(
  options: Partial<KubernetesActionsOptions> = {},
): Promise<KubeActionsHarness> {
  const api = await startFakeKubeActionsApi();
  const client = createKubeActionsClient(fakeKubeConfig(api.url));
  const clock = createManualClock(Date.parse('2026-12-03T10:00:00Z'));
  const sleeps: number[] = [];
  let hook: ((ms: number) => void) | undefined;
  const registry = new Registry();
  const actions = createKubernetesActions({
    client,
    log: createSilentLogger(),
    registry,
    clock,
    random: () => 0.5,
    options: { drainTimeoutMs: 60_000, ...options },
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
      hook?.(ms);
    },
  });
  return {
    api,
    client,
    clock,
    sleeps,
    onSleep: (h) => {
      hook = h;
    },
    registry,
    actions,
    executor(kind) {
      const found = actions.executors.find((e) => e.kinds.includes(kind));
      if (found === undefined) throw new Error(`no executor for ${kind}`);
      return found;
    },
    close: () => api.close(),
  };
}

/** An ExecutionContext kept the way the engine keeps it: each step's data under the step's name. */
export function createTestContext(
  checkpoint: Record<string, unknown> = {},
  snapshot?: PreconditionSnapshot,
): ExecutionContext & { saved: { step: string; data: Record<string, unknown> }[] } {
  const saved: { step: string; data: Record<string, unknown> }[] = [];
  const ctx = {
    actionId: 7,
    idempotencyKey: 'act-7',
    checkpoint: { ...checkpoint },
    snapshot,
    signal: new AbortController().signal,
    clock: createManualClock(0),
    saved,
    async saveCheckpoint(step: string, data: Record<string, unknown>) {
      saved.push({ step, data: structuredClone(data) });
      ctx.checkpoint = { ...ctx.checkpoint, [step]: structuredClone(data) };
    },
  };
  return ctx;
}

export function readWorkloadFixture(kind: string): Obj {
  const all = readKubeFixture<Obj[]>('actions_workloads.json');
  const found = all.find((o) => o['kind'] === kind);
  if (found === undefined) throw new Error(`actions_workloads.json has no ${kind}`);
  return found;
}

/** A fixture pod bound to `node`, with a new name and extra annotations when given. */
export function podOn(
  fixture: keyof typeof POD_FIXTURES | 'daemonset' | 'mirror',
  node: string,
  overrides: { name?: string; annotations?: Record<string, string>; phase?: string } = {},
): Obj {
  const file =
    fixture === 'daemonset'
      ? 'pod_daemonset_dcgm_exporter_running.json'
      : fixture === 'mirror'
        ? 'pod_static_kube_proxy_mirror.json'
        : POD_FIXTURES[fixture];
  const pod = readKubeFixture<Obj>(file);
  const metadata = pod['metadata'] as Obj;
  if (overrides.name !== undefined) metadata['name'] = overrides.name;
  if (overrides.annotations !== undefined)
    metadata['annotations'] = { ...((metadata['annotations'] ?? {}) as Obj), ...overrides.annotations };
  delete metadata['resourceVersion'];
  (pod['spec'] as Obj)['nodeName'] = node;
  if (overrides.phase !== undefined) (pod['status'] as Obj)['phase'] = overrides.phase;
  return pod;
}

export function nodeFixture(
  overrides: { annotations?: Record<string, string>; unschedulable?: boolean } = {},
): Obj {
  const node = readKubeFixture<Obj>('node_gpu_p5_ready.json');
  const metadata = node['metadata'] as Obj;
  delete metadata['resourceVersion'];
  if (overrides.annotations !== undefined)
    metadata['annotations'] = { ...((metadata['annotations'] ?? {}) as Obj), ...overrides.annotations };
  if (overrides.unschedulable !== undefined) (node['spec'] as Obj)['unschedulable'] = overrides.unschedulable;
  return node;
}
