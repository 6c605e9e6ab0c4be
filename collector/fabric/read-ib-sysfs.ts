import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseIbPort } from './parse-ib-port.js';
import type { FabricIssue, IbPortSnapshot } from './types.js';

export interface ReadIbSysfsOptions {
  /** Normally `/sys`; a temp dir with an unpacked ttar in tests. */
  sysfsRoot: string;
  node: string;
  nowMs: number;
  /** Files read at once across all ports; sysfs counter reads go to the HCA firmware, so keep it modest. */
  concurrency?: number;
}

export interface IbSysfsReading {
  snapshots: IbPortSnapshot[];
  issues: FabricIssue[];
}

const PORT_FILES = ['rate', 'state', 'phys_state', 'link_layer'];
const COUNTER_DIRS = ['counters', 'counters_ext', 'hw_counters'];

/** Every port of every HCA under `<sysfsRoot>/class/infiniband`. Never throws: failures are issues. */
export async function readIbSysfs(options: ReadIbSysfsOptions): Promise<IbSysfsReading> {
  const issues: FabricIssue[] = [];
  const base = join(options.sysfsRoot, 'class', 'infiniband');
  const devices = await listDir(base, issues);
  const ports: { device: string; port: number; dir: string }[] = [];
  for (const device of devices.sort()) {
    const portsDir = join(base, device, 'ports');
    for (const name of (await listDir(portsDir, issues)).sort((a, b) => Number(a) - Number(b))) {
      const port = Number(name);
      if (Number.isInteger(port)) ports.push({ device, port, dir: join(portsDir, name) });
      else issues.push({ source: join(portsDir, name), reason: 'port directory name is not a number' });
    }
  }
  const limit = createLimiter(options.concurrency ?? 32);
  const snapshots = await Promise.all(
    ports.map(async ({ device, port, dir }) => {
      const { files, unreadable } = await readPortFiles(dir, limit, issues);
      const parsed = parseIbPort({
        node: options.node,
        device,
        port,
        timestampMs: options.nowMs,
        directory: dir,
        files,
        unreadable,
      });
      issues.push(...parsed.issues);
      return parsed.snapshot;
    }),
  );
  return { snapshots, issues };
}

async function readPortFiles(
  dir: string,
  limit: Limiter,
  issues: FabricIssue[],
): Promise<{ files: Map<string, string>; unreadable: Map<string, string> }> {
  const names = [...PORT_FILES];
  for (const sub of COUNTER_DIRS) {
    // counters_ext (mlx4 only) and hw_counters (RoCE drivers) are often absent; counters is not.
    const entries = await listDir(join(dir, sub), sub === 'counters' ? issues : undefined);
    for (const entry of entries) names.push(`${sub}/${entry}`);
  }
  const files = new Map<string, string>();
  const unreadable = new Map<string, string>();
  await Promise.all(
    names.map((name) =>
      limit(async () => {
        try {
          files.set(name, await readFile(join(dir, name), 'utf8'));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOENT') unreadable.set(name, `unreadable (${code ?? String(error)})`);
        }
      }),
    ),
  );
  return { files, unreadable };
}

async function listDir(dir: string, issues: FabricIssue[] | undefined): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    issues?.push({
      source: dir,
      reason: `cannot list (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    });
    return [];
  }
}

type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** At most `max` tasks in flight; the rest wait in order. A finishing task hands its slot straight on. */
function createLimiter(max: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return async (task) => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
