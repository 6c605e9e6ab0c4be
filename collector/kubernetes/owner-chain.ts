import type { KubeOwnerReference } from './pod.js';

/** The part of an owner object the chain needs: its identity, its own owners and its labels (team, project). */
export interface OwnerObject {
  uid: string;
  ownerReferences: KubeOwnerReference[];
  labels: Record<string, string>;
}

export type OwnerLookup =
  | { found: true; object: OwnerObject }
  /**
   * `gone`: 404; `unsupported`: a kind the reader does not follow; `forbidden`: 403 (RBAC, lasting);
   * `error`: 5xx, time-out, network (passing).
   */
  | { found: false; reason: 'gone' | 'unsupported' | 'forbidden' | 'error'; message: string };

export interface OwnerResolver {
  getOwner(namespace: string, ref: KubeOwnerReference): Promise<OwnerLookup>;
}

export interface OwnerLink {
  ref: KubeOwnerReference;
  /** Null when the owner could not be read (gone, unknown kind, error). */
  labels: Record<string, string> | null;
}

export interface OwnerChain {
  /** Nearest owner first; the last link is the top owner that could be reached. */
  links: OwnerLink[];
  /** Why the chain stopped early: an owner that is gone, forbidden or unreadable. */
  issues: string[];
  /** The chain stopped on a passing error: a later try may reach further (and give another job id). */
  transient: boolean;
}

const MAX_DEPTH = 8;

/** Kubernetes marks the managing owner `controller: true`; others (e.g. adopters, GC anchors) are not the job. */
export function pickControllerRef(refs: readonly KubeOwnerReference[]): KubeOwnerReference | null {
  return refs.find((ref) => ref.controller) ?? refs[0] ?? null;
}

function describe(ref: KubeOwnerReference): string {
  return `${ref.kind}/${ref.name}`;
}

/** Follows controller references upward. Never throws; a missing owner ends the chain with an issue. */
export async function resolveOwnerChain(
  namespace: string,
  podOwners: readonly KubeOwnerReference[],
  resolver: OwnerResolver,
): Promise<OwnerChain> {
  const links: OwnerLink[] = [];
  const issues: string[] = [];
  let transient = false;
  const seen = new Set<string>();
  let ref = pickControllerRef(podOwners);
  while (ref !== null && links.length < MAX_DEPTH && !seen.has(`${ref.kind}/${ref.name}`)) {
    seen.add(`${ref.kind}/${ref.name}`);
    const lookup = await resolver
      .getOwner(namespace, ref)
      .catch((error: unknown): OwnerLookup => ({ found: false, reason: 'error', message: String(error) }));
    if (!lookup.found) {
      links.push({ ref, labels: null });
      if (lookup.reason !== 'unsupported') issues.push(`owner ${describe(ref)}: ${lookup.message}`);
      transient = lookup.reason === 'error';
      break;
    }
    // Same name, other uid: the owner was deleted and recreated, so the pod's real owner is gone.
    if (ref.uid !== '' && lookup.object.uid !== '' && ref.uid !== lookup.object.uid) {
      links.push({ ref, labels: null });
      issues.push(`owner ${describe(ref)} is gone (uid ${ref.uid} replaced by ${lookup.object.uid})`);
      break;
    }
    links.push({ ref, labels: lookup.object.labels });
    ref = pickControllerRef(lookup.object.ownerReferences);
  }
  return { links, issues, transient };
}

/**
 * Caches lookups by owner uid and shares in-flight requests, so the hundred pods of one job cost one GET per
 * owner. A uid is never reused, so "gone" stays true; "found" and "forbidden" are re-read after `ttlMs` (label
 * changes, deletions, RBAC fixes). Passing errors are not cached.
 */
export function createCachedOwnerResolver(
  inner: OwnerResolver,
  options: { maxEntries?: number; ttlMs?: number; now?: () => number } = {},
): OwnerResolver & { size(): number } {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 600_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; lookup: Promise<OwnerLookup> }>();
  const fetch = (key: string, namespace: string, ref: KubeOwnerReference) =>
    inner
      .getOwner(namespace, ref)
      .catch((error: unknown): OwnerLookup => ({ found: false, reason: 'error', message: String(error) }))
      .then((lookup) => {
        if (!lookup.found && lookup.reason === 'error') cache.delete(key);
        else if (lookup.found || lookup.reason === 'forbidden') {
          cache.set(key, { at: now(), lookup: Promise.resolve(lookup) });
        } else cache.set(key, { at: Number.POSITIVE_INFINITY, lookup: Promise.resolve(lookup) });
        return lookup;
      });
  return {
    size: () => cache.size,
    getOwner(namespace, ref) {
      const key = `${namespace}/${ref.apiVersion}/${ref.kind}/${ref.name}/${ref.uid}`;
      const hit = cache.get(key);
      if (hit !== undefined && now() - hit.at < ttlMs) return hit.lookup;
      const lookup = fetch(key, namespace, ref);
      // In flight: `at` is now so concurrent asks share this request.
      cache.delete(key);
      cache.set(key, { at: now(), lookup });
      // Map keeps insertion order: dropping the first key evicts the oldest entry.
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value ?? '');
      return lookup;
    },
  };
}
