import type { Result } from '../../core/result.js';
import type { OwnerResolver } from './owner-chain.js';

/** An API failure as the reader needs it: the HTTP status and the `Status.reason` (`Expired`, `NotFound`). */
export interface KubeError {
  status: number | null;
  reason: string | null;
  message: string;
}

export interface PodListPage {
  /** Raw or typed pod objects; `normalizePod` reads either. */
  items: unknown[];
  resourceVersion: string;
  continueToken: string | null;
}

export interface PodListRequest {
  /** Null = all namespaces. */
  namespace: string | null;
  limit: number;
  continueToken: string | null;
}

export interface PodWatchRequest {
  namespace: string | null;
  resourceVersion: string;
}

export interface WatchHandle {
  stop(): void;
}

/**
 * The Kubernetes calls the reader makes, small enough for a test to fake. `watchPods` reports each event, then
 * `onDone` once when the stream ends (null: closed cleanly; else the error, e.g. status 410).
 */
export interface KubeClient extends OwnerResolver {
  listPods(request: PodListRequest): Promise<Result<PodListPage, KubeError>>;
  watchPods(
    request: PodWatchRequest,
    onEvent: (type: string, object: unknown) => void,
    onDone: (error: KubeError | null) => void,
  ): Promise<WatchHandle>;
  getNamespaceLabels(namespace: string): Promise<Result<Record<string, string>, KubeError>>;
}
