import { describe, expect, it } from 'vitest';
import { readKubeFixture } from '../../test/helpers/fake-kube-api.js';
import {
  createCachedOwnerResolver,
  type OwnerLookup,
  type OwnerResolver,
  pickControllerRef,
  resolveOwnerChain,
} from './owner-chain.js';
import { type KubeOwnerReference, normalizeOwnerObject } from './pod.js';

/** Serves owners.json from memory and counts lookups. */
function fixtureResolver(objects = readKubeFixture<object[]>('owners.json')) {
  const calls: string[] = [];
  const resolver: OwnerResolver = {
    async getOwner(namespace, ref) {
      calls.push(`${namespace}/${ref.kind}/${ref.name}`);
      for (const raw of objects) {
        const m = (raw as { kind: string; metadata: { name: string; namespace: string } }).metadata;
        if ((raw as { kind: string }).kind === ref.kind && m.name === ref.name && m.namespace === namespace) {
          const object = normalizeOwnerObject(raw);
          if (object !== null) return { found: true, object };
        }
      }
      return { found: false, reason: 'gone', message: 'is gone (404)' };
    },
  };
  return { resolver, calls };
}

const ref = (
  kind: string,
  name: string,
  uid: string,
  apiVersion = 'apps/v1',
  controller = true,
): KubeOwnerReference => ({
  apiVersion,
  kind,
  name,
  uid,
  controller,
});

describe('resolveOwnerChain', () => {
  it('follows a ReplicaSet up to its Deployment, nearest first, with each owner’s labels', async () => {
    const { resolver } = fixtureResolver();
    const chain = await resolveOwnerChain(
      'inference',
      [ref('ReplicaSet', 'vllm-llama-7d9c8b6f5', 'b2c4e6a8-1111-4a2b-8c3d-5e6f7a8b9c0d')],
      resolver,
    );
    expect(chain.issues).toEqual([]);
    expect(chain.links.map((l) => `${l.ref.kind}/${l.ref.name}`)).toEqual([
      'ReplicaSet/vllm-llama-7d9c8b6f5',
      'Deployment/vllm-llama',
    ]);
    expect(chain.links[1]?.labels).toEqual({ app: 'vllm-llama', team: 'search' });
  });

  it('stops at an owner that is gone and reports it instead of throwing', async () => {
    const { resolver } = fixtureResolver();
    const chain = await resolveOwnerChain(
      'ml-training',
      [ref('Job', 'finetune-lora', 'c3d4', 'batch/v1')],
      resolver,
    );
    expect(chain.links).toEqual([{ ref: ref('Job', 'finetune-lora', 'c3d4', 'batch/v1'), labels: null }]);
    expect(chain.issues).toEqual(['owner Job/finetune-lora: is gone (404)']);
  });

  it('treats a same-named owner with another uid as the old owner being gone', async () => {
    const { resolver } = fixtureResolver();
    const chain = await resolveOwnerChain(
      'inference',
      [ref('ReplicaSet', 'vllm-llama-7d9c8b6f5', 'old-uid')],
      resolver,
    );
    expect(chain.links).toHaveLength(1);
    expect(chain.issues[0]).toContain(
      'is gone (uid old-uid replaced by b2c4e6a8-1111-4a2b-8c3d-5e6f7a8b9c0d)',
    );
  });

  it('ends the chain quietly at a kind the reader does not follow', async () => {
    const resolver: OwnerResolver = {
      getOwner: async () => ({ found: false, reason: 'unsupported', message: 'kind Foo is not followed' }),
    };
    const chain = await resolveOwnerChain('ns', [ref('Foo', 'x', 'u', 'example.com/v1')], resolver);
    expect(chain).toEqual({
      links: [{ ref: ref('Foo', 'x', 'u', 'example.com/v1'), labels: null }],
      issues: [],
      transient: false,
    });
  });

  it('turns a resolver that rejects into an issue', async () => {
    const resolver: OwnerResolver = { getOwner: () => Promise.reject(new Error('socket hang up')) };
    const chain = await resolveOwnerChain('ns', [ref('ReplicaSet', 'x', 'u')], resolver);
    expect(chain.issues).toEqual(['owner ReplicaSet/x: Error: socket hang up']);
    expect(chain.transient).toBe(true);
  });

  it('stops on an ownership cycle', async () => {
    const loop: OwnerLookup = {
      found: true,
      object: { uid: 'u', ownerReferences: [ref('ReplicaSet', 'x', 'u')], labels: {} },
    };
    const chain = await resolveOwnerChain('ns', [ref('ReplicaSet', 'x', 'u')], {
      getOwner: async () => loop,
    });
    expect(chain.links).toHaveLength(1);
  });
});

describe('pickControllerRef', () => {
  it('prefers the controller reference over an earlier non-controller one', () => {
    const refs = [ref('ConfigMap', 'anchor', 'a', 'v1', false), ref('Job', 'j', 'b', 'batch/v1')];
    expect(pickControllerRef(refs)?.name).toBe('j');
  });
});

describe('createCachedOwnerResolver', () => {
  it('asks the API once for an owner shared by many pods, including concurrent asks', async () => {
    const { resolver, calls } = fixtureResolver();
    const cached = createCachedOwnerResolver(resolver);
    const rs = [ref('ReplicaSet', 'vllm-llama-7d9c8b6f5', 'b2c4e6a8-1111-4a2b-8c3d-5e6f7a8b9c0d')];
    await Promise.all([1, 2, 3].map(() => resolveOwnerChain('inference', rs, cached)));
    await resolveOwnerChain('inference', rs, cached);
    expect(calls).toEqual(['inference/ReplicaSet/vllm-llama-7d9c8b6f5', 'inference/Deployment/vllm-llama']);
  });

  it('retries after an error instead of caching it', async () => {
    let n = 0;
    const cached = createCachedOwnerResolver({
      getOwner: async () => {
        n++;
        return { found: false, reason: 'error', message: 'forbidden (403)' };
      },
    });
    await cached.getOwner('ns', ref('Job', 'j', 'u', 'batch/v1'));
    await cached.getOwner('ns', ref('Job', 'j', 'u', 'batch/v1'));
    expect(n).toBe(2);
  });

  it('evicts the oldest entry beyond its size', async () => {
    const cached = createCachedOwnerResolver(fixtureResolver().resolver, { maxEntries: 2 });
    for (const name of ['a', 'b', 'c']) await cached.getOwner('ns', ref('Job', name, name, 'batch/v1'));
    expect(cached.size()).toBe(2);
  });

  it('re-reads a found owner after the TTL but never re-asks for one that is gone', async () => {
    const { resolver, calls } = fixtureResolver();
    let clock = 0;
    const cached = createCachedOwnerResolver(resolver, { ttlMs: 1000, now: () => clock });
    const deployment = ref('Deployment', 'vllm-llama', 'd1e2f3a4-8888-4b5c-9d6e-7f8a9b0c1d2e');
    const gone = ref('Job', 'finetune-lora', 'c3d4', 'batch/v1');
    await cached.getOwner('inference', deployment);
    await cached.getOwner('ml-training', gone);
    clock = 999;
    await cached.getOwner('inference', deployment);
    clock = 5000;
    await cached.getOwner('inference', deployment);
    await cached.getOwner('ml-training', gone);
    expect(calls).toEqual([
      'inference/Deployment/vllm-llama',
      'ml-training/Job/finetune-lora',
      'inference/Deployment/vllm-llama',
    ]);
  });
});
