import { type Clock, systemClock } from '../../core/clock.js';
import type { RecordIssue } from '../jobs/types.js';
import type { KubeClient, KubeError } from './kube-client.js';
import { normalizePod } from './pod.js';
import { isGpuPod, type PodGpuOptions } from './pod-gpus.js';
import { PodStore, type WatchedPod } from './pod-store.js';
import { watchOnce } from './watch-once.js';

export type { WatchedPod } from './pod-store.js';

export interface PodWatcherOptions {
  client: KubeClient;
  /** Empty: one list + watch over all namespaces; else one per namespace. */
  namespaces: readonly string[];
  clock?: Clock;
  gpu?: PodGpuOptions;
  pageSize?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** How long a deleted pod stays in snapshots (so a job's end is seen by the next collect tick). */
  deletedRetentionMs?: number;
  maxIssues?: number;
}

export interface PodWatcherHealth {
  /** Every scope has completed its first list. */
  synced: boolean;
  /** Last successful list or watch event: how fresh the snapshot is known to be. */
  lastSyncAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  lists: number;
  /** Re-lists forced by an expired resourceVersion (410 Gone). */
  relists: number;
  /** Watch streams that ended and were reopened from the last resourceVersion. */
  reconnects: number;
  gpuPods: number;
  /** Where each list + watch stands: its namespace (null = all) and the resourceVersion it resumes from. */
  scopes: { namespace: string | null; resourceVersion: string | null; synced: boolean }[];
}

export interface PodWatcher {
  start(): void;
  /** Resolves once every scope has listed (or the watcher stopped). */
  waitForSync(): Promise<void>;
  /** GPU pods now, plus deleted ones within the retention. */
  snapshot(): WatchedPod[];
  /** Bad objects seen since the last call (each reported once). */
  takeIssues(): RecordIssue[];
  health(): PodWatcherHealth;
  stop(): Promise<void>;
}

interface Scope {
  key: string;
  namespace: string | null;
  resourceVersion: string | null;
  synced: boolean;
}

type Obj = Record<string, unknown>;

function scopePath(namespace: string | null): string {
  return namespace === null ? '/api/v1/pods' : `/api/v1/namespaces/${namespace}/pods`;
}

function resourceVersionOf(object: unknown): string | null {
  const metadata = ((object ?? {}) as Obj)['metadata'];
  const rv = ((metadata ?? {}) as Obj)['resourceVersion'];
  return typeof rv === 'string' && rv !== '' ? rv : null;
}

function describeError(error: KubeError): string {
  const status =
    error.status === null ? '' : ` (${error.status}${error.reason === null ? '' : ` ${error.reason}`})`;
  return `${error.message}${status}`;
}

/** List + watch GPU pods, resuming from the last resourceVersion and re-listing when it expires. */
export function createPodWatcher(options: PodWatcherOptions): PodWatcher {
  const clock = options.clock ?? systemClock;
  const backoff = options.backoff ?? { initialMs: 1_000, maxMs: 30_000 };
  const store = new PodStore(options.deletedRetentionMs ?? 3_600_000, options.maxIssues ?? 200);
  const scopes: Scope[] = (options.namespaces.length === 0 ? [null] : options.namespaces).map(
    (namespace) => ({
      key: namespace ?? '*',
      namespace,
      resourceVersion: null,
      synced: false,
    }),
  );
  const abort = new AbortController();
  const health = {
    lastSyncAt: null as Date | null,
    lastError: null as string | null,
    lastErrorAt: null as Date | null,
  };
  const counts = { lists: 0, relists: 0, reconnects: 0 };
  let loops: Promise<void>[] = [];
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => {
    markSynced = resolve;
  });

  const now = () => new Date(clock.now());
  const recordError = (message: string) => {
    health.lastError = message;
    health.lastErrorAt = now();
  };
  const badObject = (scope: Scope, message: string) =>
    store.addIssue({
      source: scopePath(scope.namespace),
      line: null,
      field: 'metadata',
      jobId: null,
      message,
    });

  /** Reads every page, then swaps the scope's pods in one step so a failed page never leaves half a state. */
  async function list(scope: Scope): Promise<boolean> {
    const pods = [];
    let continueToken: string | null = null;
    let resourceVersion = '';
    do {
      const page = await options.client.listPods({
        namespace: scope.namespace,
        limit: options.pageSize ?? 500,
        continueToken,
      });
      if (abort.signal.aborted) return false;
      if (!page.ok) {
        recordError(`list ${scopePath(scope.namespace)}: ${describeError(page.error)}`);
        return false;
      }
      for (const item of page.value.items) {
        const pod = normalizePod(item);
        if (!pod.ok) badObject(scope, pod.error);
        else if (isGpuPod(pod.value, options.gpu)) pods.push(pod.value);
      }
      continueToken = page.value.continueToken;
      resourceVersion = page.value.resourceVersion || resourceVersion;
    } while (continueToken !== null);
    store.replaceScope(scope.key, pods, now());
    scope.resourceVersion = resourceVersion;
    counts.lists++;
    health.lastSyncAt = now();
    if (!scope.synced) {
      scope.synced = true;
      if (scopes.every((s) => s.synced)) markSynced();
    }
    return true;
  }

  function handleEvent(scope: Scope, type: string, object: unknown) {
    scope.resourceVersion = resourceVersionOf(object) ?? scope.resourceVersion;
    health.lastSyncAt = now();
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    const pod = normalizePod(object);
    if (!pod.ok) return badObject(scope, `${type} event: ${pod.error}`);
    if (!isGpuPod(pod.value, options.gpu)) return;
    if (type === 'DELETED') store.markDeleted(scope.key, pod.value, now());
    else store.upsert(scope.key, pod.value);
  }

  function sleep(ms: number): Promise<void> {
    if (ms <= 0 || abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        resolve();
      }
      abort.signal.addEventListener('abort', done);
    });
  }

  const nextDelay = (delayMs: number) => Math.min(backoff.maxMs, Math.max(backoff.initialMs, delayMs * 2));

  async function run(scope: Scope): Promise<void> {
    let delayMs = 0;
    while (!abort.signal.aborted) {
      await sleep(delayMs);
      if (abort.signal.aborted) return;
      if (scope.resourceVersion === null && !(await list(scope))) {
        delayMs = nextDelay(delayMs);
        continue;
      }
      const request = { namespace: scope.namespace, resourceVersion: scope.resourceVersion ?? '' };
      const outcome = await watchOnce(
        options.client,
        request,
        (t, o) => handleEvent(scope, t, o),
        abort.signal,
      );
      if (outcome.kind === 'stopped') return;
      if (outcome.kind === 'expired') {
        // The server compacted past our resourceVersion: only a fresh list can tell what changed meanwhile.
        scope.resourceVersion = null;
        counts.relists++;
        delayMs = 0;
        continue;
      }
      counts.reconnects++;
      if (outcome.error !== null)
        recordError(`watch ${scopePath(scope.namespace)}: ${describeError(outcome.error)}`);
      // A stream that delivered events was healthy (servers close watches on a timeout): resume at once.
      delayMs = outcome.sawEvents ? 0 : nextDelay(delayMs);
    }
  }

  return {
    start() {
      if (loops.length > 0 || abort.signal.aborted) return;
      loops = scopes.map((scope) => run(scope));
    },
    waitForSync: () =>
      Promise.race([synced, new Promise<void>((r) => abort.signal.addEventListener('abort', () => r()))]),
    snapshot: () => store.list(clock.now()),
    takeIssues: () => store.drainIssues(),
    health: () => ({
      synced: scopes.every((s) => s.synced),
      ...health,
      ...counts,
      gpuPods: store.liveCount(),
      scopes: scopes.map(({ namespace, resourceVersion, synced }) => ({
        namespace,
        resourceVersion,
        synced,
      })),
    }),
    async stop() {
      abort.abort();
      await Promise.all(loops);
    },
  };
}
