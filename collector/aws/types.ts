/** An hourly USD price as a decimal string (never a float), ready for the `prices` table. */
export interface PriceRow {
  provider: string;
  kind: 'on_demand' | 'spot' | 'price_book';
  region: string;
  /** '' when the price does not depend on the zone. */
  availabilityZone: string;
  /** Instance type, or for the price book the GPU model. */
  instanceType: string;
  usdPerHour: string;
  effectiveFrom: Date;
  source: string;
}

/** GPU and size facts of one instance type, from DescribeInstanceTypes. */
export interface InstanceTypeFacts {
  name: string;
  /** e.g. `NVIDIA A100 40GB` vs `NVIDIA A100 80GB`; null for a type without GPUs. */
  gpuModel: string | null;
  gpuManufacturer: string | null;
  gpuCount: number;
  /** Per GPU. */
  gpuMemoryMib: number | null;
  vcpus: number | null;
  memoryMib: number | null;
  source: string;
}

export type InstanceMarket = 'on-demand' | 'spot' | 'capacity-block' | 'scheduled';

/** One EC2 instance from DescribeInstances, and the node it is once matched. */
export interface CloudInstanceRecord {
  instanceId: string;
  instanceType: string;
  region: string;
  availabilityZone: string | null;
  privateDnsName: string | null;
  node: string | null;
  market: InstanceMarket;
  state: string;
  launchedAt: Date | null;
  tags: Record<string, string>;
}

/** A decimal string with at least one digit, no sign, no exponent: what AWS sends and `numeric` accepts. */
export const DECIMAL = /^\d+(\.\d+)?$/;

/** True for a decimal string equal to zero ("0", "0.0000000000"). */
export function isZeroDecimal(value: string): boolean {
  return /^0+(\.0+)?$/.test(value);
}
