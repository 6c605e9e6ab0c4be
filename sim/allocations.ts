import type { Random } from './hash.js';
import type { Allocation, PodRef, Scheduler } from './types.js';

const namespaces = ['ml-research', 'nlp', 'vision', 'recsys', 'inference', 'speech'] as const;
const workloadNames = ['train', 'finetune', 'eval', 'serve', 'batch-infer', 'embed', 'distill'] as const;
const containers = ['trainer', 'worker', 'server', 'main'] as const;
const users = ['alice', 'bob', 'chen', 'dana', 'emeka', 'farah', 'goran', 'hana'] as const;

/** A Kubernetes-style random suffix (`7f9c2`). */
export function createPodSuffix(random: Random): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += alphabet[random.int(0, alphabet.length - 1)];
  return suffix;
}

export function createPodAllocation(random: Random, pod: Partial<PodRef> = {}): Allocation {
  const name = random.pick(workloadNames);
  return {
    kind: 'pod',
    pod: {
      namespace: pod.namespace ?? random.pick(namespaces),
      pod: pod.pod ?? `${name}-${createPodSuffix(random)}`,
      container: pod.container ?? random.pick(containers),
    },
  };
}

export function createSlurmAllocation(random: Random): Allocation {
  return { kind: 'slurm', jobId: String(random.int(100_000, 999_999)) };
}

export function createAllocation(random: Random, scheduler: Scheduler): Allocation {
  return scheduler === 'slurm' ? createSlurmAllocation(random) : createPodAllocation(random);
}

/** A JupyterHub single-user pod, the usual holder of a forgotten GPU. */
export function createNotebookAllocation(random: Random): Allocation {
  const user = random.pick(users);
  return createPodAllocation(random, {
    namespace: 'jupyterhub',
    pod: `jupyter-${user}`,
    container: 'notebook',
  });
}
