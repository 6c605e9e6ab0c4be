/**
 * Owner kinds the reader knows how to GET, by API group: built-in controllers through their typed clients,
 * training CRDs through the custom-objects API (which needs the plural). Any other kind ends the chain there.
 */
export const BUILT_IN_OWNER_KINDS: Readonly<Record<string, readonly string[]>> = {
  apps: ['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet'],
  batch: ['Job', 'CronJob'],
};

export const CRD_OWNER_PLURALS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'kubeflow.org': {
    PyTorchJob: 'pytorchjobs',
    TFJob: 'tfjobs',
    MPIJob: 'mpijobs',
    XGBoostJob: 'xgboostjobs',
    PaddleJob: 'paddlejobs',
    JAXJob: 'jaxjobs',
    Notebook: 'notebooks',
  },
  'ray.io': { RayJob: 'rayjobs', RayCluster: 'rayclusters', RayService: 'rayservices' },
  'batch.volcano.sh': { Job: 'jobs' },
  'jobset.x-k8s.io': { JobSet: 'jobsets' },
  'leaderworkerset.x-k8s.io': { LeaderWorkerSet: 'leaderworkersets' },
  'trainer.kubeflow.org': { TrainJob: 'trainjobs' },
};

export function crdPlural(group: string, kind: string): string | null {
  return CRD_OWNER_PLURALS[group]?.[kind] ?? null;
}
