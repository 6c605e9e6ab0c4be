import type { RecordIssue } from '../jobs/types.js';
import type { KubePod } from './pod.js';

export interface WatchedPod {
  pod: KubePod;
  /** When the watcher learnt the pod was deleted; kept a while so a finished job's last state is reported. */
  deletedAt: Date | null;
}

interface Entry extends WatchedPod {
  scope: string;
}

/**
 * The watcher's in-memory state: GPU pods by uid (a recreated pod of the same name is another pod), deleted
 * ones kept as tombstones for `retentionMs`, and the bad-object issues since the last drain.
 */
export class PodStore {
  private readonly pods = new Map<string, Entry>();
  private issues: RecordIssue[] = [];

  constructor(
    private readonly retentionMs: number,
    private readonly maxIssues: number,
  ) {}

  upsert(scope: string, pod: KubePod): void {
    this.pods.set(pod.uid, { scope, pod, deletedAt: null });
  }

  markDeleted(scope: string, pod: KubePod, at: Date): void {
    this.pods.set(pod.uid, { scope, pod, deletedAt: at });
  }

  /** After a re-list: live pods of the scope that the list no longer has were deleted while we were not looking. */
  replaceScope(scope: string, listed: readonly KubePod[], at: Date): void {
    const seen = new Set(listed.map((pod) => pod.uid));
    for (const entry of this.pods.values()) {
      if (entry.scope === scope && entry.deletedAt === null && !seen.has(entry.pod.uid)) entry.deletedAt = at;
    }
    for (const pod of listed) this.upsert(scope, pod);
  }

  addIssue(issue: RecordIssue): void {
    this.issues.push(issue);
    if (this.issues.length > this.maxIssues) this.issues.shift();
  }

  drainIssues(): RecordIssue[] {
    const drained = this.issues;
    this.issues = [];
    return drained;
  }

  liveCount(): number {
    let n = 0;
    for (const entry of this.pods.values()) if (entry.deletedAt === null) n++;
    return n;
  }

  /** Prunes tombstones older than the retention, then returns copies so callers never see later mutation. */
  list(now: number): WatchedPod[] {
    for (const [uid, entry] of this.pods) {
      if (entry.deletedAt !== null && now - entry.deletedAt.getTime() > this.retentionMs)
        this.pods.delete(uid);
    }
    return [...this.pods.values()].map(({ pod, deletedAt }) => ({ pod, deletedAt }));
  }
}
