import type { Decimal } from '../../core/decimal.js';

export type BillingFormat = 'focus' | 'cur';

/** One cost line in FOCUS terms, whichever format it came from. Times are epoch milliseconds (UTC). */
export interface BillingLine {
  lineNumber: number;
  provider: string;
  billingAccountId: string;
  billingPeriodStartMs: number;
  billingPeriodEndMs: number;
  chargePeriodStartMs: number;
  chargePeriodEndMs: number;
  chargeCategory: string | null;
  pricingCategory: string | null;
  serviceName: string | null;
  resourceId: string | null;
  instanceType: string | null;
  region: string | null;
  availabilityZone: string | null;
  usageQuantity: Decimal | null;
  usageUnit: string | null;
  billedCost: Decimal;
  effectiveCost: Decimal | null;
  listCost: Decimal | null;
  currency: string;
  tags: Record<string, string>;
}

/** A problem with one row. `skipped`: the row was left out; otherwise it was imported and flagged. */
export interface RowIssue {
  file: string;
  line: number;
  field: string;
  value: string;
  message: string;
  skipped: boolean;
}

export interface MappedRow {
  line: BillingLine | undefined;
  issues: RowIssue[];
}

/** Built once from the header; maps each record of the file. */
export type RowMapper = (fields: readonly string[], lineNumber: number) => MappedRow;
