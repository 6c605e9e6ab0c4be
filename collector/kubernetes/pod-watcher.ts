import { type Clock, systemClock } from '../../core/clock.js';
import type { RecordIssue } from '../jobs/types.js';
import type { KubeClient, KubeError } from './kube-client.js';
import { listGpuPods } from './list-gpu-pods.js';
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
class ListWatchPodWatcher implements PodWatcher {
  private readonly clock: Clock;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly store: PodStore;
  private readonly scopes: Scope[];
  private readonly abort = new AbortController();
  private readonly counts = { lists: 0, relists: 0, reconnects: 0 };
  private readonly status = {
    lastSyncAt: null as Date | null,
    lastError: null as string | null,
    lastErrorAt: null as Date | null,
  };
  private loops: Promise<void>[] = [];
  private markSynced: () => void = () => {};
  private readonly synced = new Promise<void>((resolve) => {
    this.markSynced = resolve;
  });

  constructor(private readonly options: PodWatcherOptions) {
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? { initialMs: 1_000, maxMs: 30_000 };
    this.store = new PodStore(options.deletedRetentionMs ?? 3_600_000, options.maxIssues ?? 200);
    const namespaces = options.namespaces.length === 0 ? [null] : options.namespaces;
    this.scopes = namespaces.map((namespace) => ({
      key: namespace ?? '*',
      namespace,
      resourceVersion: null,
      synced: false,
    }));
  }

  start(): void {
    if (this.loops.length > 0 || this.abort.signal.aborted) return;
    this.loops = this.scopes.map((scope) => this.run(scope));
  }

  waitForSync(): Promise<void> {
    const stopped = new Promise<void>((resolve) =>
      this.abort.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    return Promise.race([this.synced, stopped]);
  }

  snapshot(): WatchedPod[] {
    return this.store.list(this.clock.now());
  }

  takeIssues(): RecordIssue[] {
    return this.store.drainIssues();
  }

  health(): PodWatcherHealth {
    return {
      synced: this.scopes.every((s) => s.synced),
      ...this.status,
      ...this.counts,
      gpuPods: this.store.liveCount(),
      scopes: this.scopes.map(({ namespace, resourceVersion, synced }) => ({
        namespace,
        resourceVersion,
        synced,
      })),
    };
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  private recordError(message: string): void {
    this.status.lastError = message;
    this.status.lastErrorAt = this.now();
  }

  private badObject(scope: Scope, message: string): void {
    this.store.addIssue({
      source: scopePath(scope.namespace),
      line: null,
      field: 'metadata',
      jobId: null,
      message,
    });
  }

  private async list(scope: Scope): Promise<boolean> {
    const request = {
      namespace: scope.namespace,
      pageSize: this.options.pageSize ?? 500,
      gpu: this.options.gpu,
    };
    const listed = await listGpuPods(
      this.options.client,
      request,
      (m) => this.badObject(scope, m),
      this.abort.signal,
    );
    if (!listed.ok) {
      if (listed.error !== 'aborted')
        this.recordError(`list ${scopePath(scope.namespace)}: ${describeError(listed.error)}`);
      return false;
    }
    this.store.replaceScope(scope.key, listed.value.pods, this.now());
    scope.resourceVersion = listed.value.resourceVersion;
    this.counts.lists++;
    this.status.lastSyncAt = this.now();
    if (!scope.synced) {
      scope.synced = true;
      if (this.scopes.every((s) => s.synced)) this.markSynced();
    }
    return true;
  }

  private handleEvent(scope: Scope, type: string, object: unknown): void {
    scope.resourceVersion = resourceVersionOf(object) ?? scope.resourceVersion;
    this.status.lastSyncAt = this.now();
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    const pod = normalizePod(object);
    if (!pod.ok) {
      this.badObject(scope, `${type} event: ${pod.error}`);
      return;
    }
    if (!isGpuPod(pod.value, this.options.gpu)) return;
    if (type === 'DELETED') this.store.markDeleted(scope.key, pod.value, this.now());
    else this.store.upsert(scope.key, pod.value);
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    if (ms <= 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }

  private nextDelay(delayMs: number): number {
    return Math.min(this.backoff.maxMs, Math.max(this.backoff.initialMs, delayMs * 2));
  }

  private async run(scope: Scope): Promise<void> {
    let delayMs = 0;
    while (!this.abort.signal.aborted) {
      await this.sleep(delayMs);
      if (this.abort.signal.aborted) return;
      if (scope.resourceVersion === null && !(await this.list(scope))) {
        delayMs = this.nextDelay(delayMs);
        continue;
      }
      const request = { namespace: scope.namespace, resourceVersion: scope.resourceVersion ?? '' };
      const onEvent = (type: string, object: unknown) => this.handleEvent(scope, type, object);
      const outcome = await watchOnce(this.options.client, request, onEvent, this.abort.signal);
      if (outcome.kind === 'stopped') return;
      if (outcome.kind === 'expired') {
        // The server compacted past our resourceVersion: only a fresh list can tell what changed meanwhile.
        scope.resourceVersion = null;
        this.counts.relists++;
        delayMs = 0;
        continue;
      }
      this.counts.reconnects++;
      if (outcome.error !== null) {
        this.recordError(`watch ${scopePath(scope.namespace)}: ${describeError(outcome.error)}`);
      }
      // A stream that delivered events was healthy (servers close watches on a timeout): resume at once.
      delayMs = outcome.sawEvents ? 0 : this.nextDelay(delayMs);
    }
  }
}

export function createPodWatcher(options: PodWatcherOptions): PodWatcher {
  return new ListWatchPodWatcher(options);
}
