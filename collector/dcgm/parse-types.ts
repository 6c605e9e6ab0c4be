/** One label set. Frozen and shared: every sample with the same label block holds the same object. */
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
  timestampMs: number | undefined;
  /** 1-based line of the sample in the exposition text. */
  line: number;
}

export interface ParseIssue {
  /** 1-based. */
  line: number;
  reason: string;
  /** The offending line, at most 120 characters, control characters escaped. */
  excerpt: string;
}

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'info'
  | 'stateset'
  | 'gaugehistogram'
  | 'unknown';

/** What the `# TYPE` and `# HELP` lines of a family said; `help` is '' for a HELP line with no text. */
export interface FamilyMeta {
  type: MetricType | undefined;
  help: string | undefined;
}

export interface ParseResult {
  samples: Sample[];
  issues: ParseIssue[];
  /** Issues beyond `maxIssues`, counted but not kept. */
  suppressedIssues: number;
  /** Families named by `# HELP` or `# TYPE` lines. */
  families: Map<string, FamilyMeta>;
  lines: number;
}

/** Raw label-block text (`{gpu="0",...}`) to the parsed label set, shared across scrapes of a target. */
export interface LabelCache {
  get(text: string): Labels | undefined;
  set(text: string, labels: Labels): void;
  readonly size: number;
}

export interface ParseOptions {
  /** Where the text came from (a scrape URL or file), for callers that log issues with it. */
  source?: string;
  /** Issues kept in `issues`; later ones only raise `suppressedIssues`. Default 100. */
  maxIssues?: number;
  /** Reuse label sets across calls; without one, label blocks are interned per call. */
  labelCache?: LabelCache;
}
