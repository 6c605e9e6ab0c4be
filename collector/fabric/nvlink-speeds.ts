/** NVLink links per GPU and the data rate of one link in each direction. */
export interface NvlinkSpec {
  generation: string;
  links: number;
  bytesPerSecondPerLinkEachWay: number;
}

/**
 * The one table of NVLink speeds by GPU model (first match wins; modelName as dcgm-exporter prints it).
 * H800/A800 are the export parts with fewer links. `nvidia-smi nvlink -s` reports 26.562 GB/s per
 * H100 link (signalling); the table uses NVIDIA's 25 GB/s data rate so 18 links make the quoted 450 GB/s.
 */
const SPECS: readonly (readonly [RegExp, NvlinkSpec])[] = [
  [/\bH800\b/i, { generation: 'NVLink4', links: 8, bytesPerSecondPerLinkEachWay: 25e9 }],
  [/\b(GH200|H100|H200|H20)\b/i, { generation: 'NVLink4', links: 18, bytesPerSecondPerLinkEachWay: 25e9 }],
  [/\bA800\b/i, { generation: 'NVLink3', links: 8, bytesPerSecondPerLinkEachWay: 25e9 }],
  [/\bA100\b/i, { generation: 'NVLink3', links: 12, bytesPerSecondPerLinkEachWay: 25e9 }],
  [/\b(GB200|B200|B100)\b/i, { generation: 'NVLink5', links: 18, bytesPerSecondPerLinkEachWay: 50e9 }],
  [/\bV100\b/i, { generation: 'NVLink2', links: 6, bytesPerSecondPerLinkEachWay: 25e9 }],
];

/** The NVLink spec of a GPU model, or undefined for models without NVLink (L40S, T4) or unknown ones. */
export function lookupNvlinkSpec(modelName: string | undefined): NvlinkSpec | undefined {
  if (modelName === undefined) return undefined;
  for (const [pattern, spec] of SPECS) if (pattern.test(modelName)) return spec;
  return undefined;
}
