/** Annotations by which owners keep automation away from a node, pod, workload or Job. */
export const GPUSCOPE_DO_NOT_DISRUPT = 'gpuscope.io/do-not-disrupt';
export const KARPENTER_DO_NOT_DISRUPT = 'karpenter.sh/do-not-disrupt';
export const AUTOSCALER_SAFE_TO_EVICT = 'cluster-autoscaler.kubernetes.io/safe-to-evict';

export interface OptOut {
  annotation: string;
  value: string;
  /** `node/x`, `pod/ns/name`, `Deployment/ns/name`, `Job/ns/name`, `… pod template`. */
  object: string;
}

/**
 * `gpuscope.io/do-not-disrupt: "true"` keeps gpuscope's hands off an object entirely; the Karpenter and
 * cluster-autoscaler keys mark pods (and Karpenter's, nodes) that must not be disrupted voluntarily, so they
 * count only where the action disrupts (`disruptive`).
 */
export function findOptOut(
  annotations: Readonly<Record<string, string>>,
  object: string,
  options: { disruptive: boolean },
): OptOut | undefined {
  const own = annotations[GPUSCOPE_DO_NOT_DISRUPT];
  if (own === 'true') return { annotation: GPUSCOPE_DO_NOT_DISRUPT, value: own, object };
  if (!options.disruptive) return undefined;
  const karpenter = annotations[KARPENTER_DO_NOT_DISRUPT];
  if (karpenter === 'true') return { annotation: KARPENTER_DO_NOT_DISRUPT, value: karpenter, object };
  const safe = annotations[AUTOSCALER_SAFE_TO_EVICT];
  if (safe === 'false') return { annotation: AUTOSCALER_SAFE_TO_EVICT, value: safe, object };
  return undefined;
}

export function describeOptOut(optOut: OptOut): string {
  return `${optOut.object} is annotated ${optOut.annotation}: "${optOut.value}"`;
}
