import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type IbPortSample, ibCounterNames, ibRateText } from '../fabric/ib-ports.js';
import { hashInts } from '../hash.js';
import { connectX7 } from './node-exporter-ib.js';

const stateText = { 1: '1: DOWN', 4: '4: ACTIVE' } as const;
const physStateText = { 2: '2: Polling', 5: '5: LinkUp' } as const;

/** A GUID in sysfs's `xxxx:xxxx:xxxx:xxxx` form, fixed per (node, HCA). */
function formatNodeGuid(nodeIndex: number, gpuIndex: number): string {
  const hex = [hashInts(nodeIndex, gpuIndex, 0x67756964), hashInts(nodeIndex, gpuIndex, 0x67756965)]
    .map((word) => word.toString(16).padStart(8, '0'))
    .join('');
  return hex.match(/.{4}/g)!.join(':');
}

/**
 * The `class/infiniband/` part of a sysfs tree: relative path → file content, each file ending in a
 * newline as the kernel writes it. Counter values are integers (data in 4-byte words).
 */
export function renderIbSysfsTree(nodeIndex: number, ports: readonly IbPortSample[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const port of ports) {
    const dev = `class/infiniband/${port.device}`;
    files[`${dev}/board_id`] = `${connectX7.boardId}\n`;
    files[`${dev}/fw_ver`] = `${connectX7.firmwareVersion}\n`;
    files[`${dev}/hca_type`] = `${connectX7.hcaType}\n`;
    files[`${dev}/node_guid`] = `${formatNodeGuid(nodeIndex, port.gpuIndex)}\n`;
    const dir = `${dev}/ports/${port.port}`;
    files[`${dir}/link_layer`] = 'InfiniBand\n';
    files[`${dir}/phys_state`] = `${physStateText[port.physStateId]}\n`;
    files[`${dir}/rate`] = `${ibRateText}\n`;
    files[`${dir}/state`] = `${stateText[port.stateId]}\n`;
    for (const name of ibCounterNames) files[`${dir}/counters/${name}`] = `${port.counters[name]}\n`;
  }
  return files;
}

/** Writes a rendered tree under `root` (which then plays `/sys`); returns the paths written. */
export async function writeSysfsFiles(root: string, files: Record<string, string>): Promise<string[]> {
  const paths = Object.keys(files);
  for (const path of paths) {
    const target = join(root, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, files[path]!);
  }
  return paths;
}
