// Serves a simulated fleet from its own process, so the benchmark's collector has the other core,
// as it would with exporters on other machines. Prints the targets as one JSON line, then serves.
import { createFleet, startSimServer } from '../sim/index.js';

const nodeCount = Number(process.argv[2] ?? 1250);
const fleet = createFleet({ seed: 1, nodeCount, startMs: Date.now() });
const sim = await startSimServer({ fleet });
const targets = sim.targets.filter((t) => !fleet.getNode(t.node)?.exporterHangs);
process.stdout.write(`${JSON.stringify({ targets, hung: sim.targets.length - targets.length })}\n`);
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
