import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../core/paths.js';
import type { Fleet, SimServer } from '../sim/index.js';

/**
 * The config keys that point gpuscope at a running simulator: its dcgm-exporter and node_exporter endpoints, its pod
 * API, its sacct/squeue/scontrol stand-ins, and on-premises prices for its GPUs. Shared by the demo and the dashboard
 * check, so both run the pipeline a user's demo runs. Writes the kubeconfig into `dataDir`.
 */
export function buildSimSources(fleet: Fleet, sim: SimServer, dataDir: string) {
  const simBin = join(findPackageRoot(), 'sim', 'bin');
  return {
    collectors: {
      dcgm: { targets: sim.targets, intervalSeconds: 15, timeoutSeconds: 5 },
      infiniband: {
        targets: fleet.nodes.map((n) => ({
          node: n.name,
          url: `${sim.baseUrl}/${n.name}/node-exporter/metrics`,
        })),
        intervalSeconds: 15,
        timeoutSeconds: 5,
        // the simulator wires HCA mlx5_i to GPU i, as an 8-rail HGX node is cabled
        gpuAffinity: Object.fromEntries(
          fleet.nodes.map((n) => [n.name, Object.fromEntries(n.gpus.map((_, i) => [`mlx5_${i}`, [i]]))]),
        ),
      },
      kubernetes: { kubeconfig: writeSimKubeconfig(dataDir, `${sim.baseUrl}/kubernetes`) },
      // the simulator's stand-ins for sacct, squeue and scontrol, fed by its Slurm view of the fleet
      slurm: {
        sacct: join(simBin, 'sacct'),
        squeue: join(simBin, 'squeue'),
        scontrol: join(simBin, 'scontrol'),
        intervalSeconds: 30,
        env: { GPUSCOPE_SIM_URL: sim.baseUrl },
      },
    },
    // on-premises rates for the simulated HGX nodes: $ per GPU-hour plus power, rack and network per node
    priceBook: {
      gpuHourUsd: { 'NVIDIA H100 80GB HBM3': 2.99, 'NVIDIA A100-SXM4-80GB': 1.79 },
      nodeOverheadHourUsd: { '*': 1.2 },
    },
  };
}

/** A kubeconfig for the simulator's pod API: plain HTTP, which the client allows only with TLS verification off. */
function writeSimKubeconfig(dataDir: string, server: string): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'sim-kubeconfig.yaml');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{ name: sim, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]
users: [{ name: sim, user: {} }]
contexts: [{ name: sim, context: { cluster: sim, user: sim } }]
current-context: sim
`,
  );
  return path;
}
