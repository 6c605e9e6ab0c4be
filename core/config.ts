import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const roles = ['viewer', 'finance', 'operator', 'admin'] as const;
export const Role = z.enum(roles);
export type Role = z.infer<typeof Role>;

const ListenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:8080');

/** A bearer token kept plain or, better, as its SHA-256 digest: exactly one of the two. */
const tokenFields = {
  name: z.string().min(1),
  token: z.string().min(16, 'a token needs at least 16 characters').optional(),
  tokenSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters')
    .optional(),
};
const oneTokenForm = [
  (t: { token?: string | undefined; tokenSha256?: string | undefined }) =>
    (t.token === undefined) !== (t.tokenSha256 === undefined),
  { message: 'give exactly one of token or tokenSha256' },
] as const;

const AuthToken = z
  .object({ ...tokenFields, role: Role })
  .strict()
  .refine(...oneTokenForm);

export const DcgmTarget = z.union([
  z.url().transform((url) => ({ url, node: undefined as string | undefined })),
  z.object({ url: z.url(), node: z.string().min(1).optional() }).strict(),
]);
export type DcgmTarget = z.output<typeof DcgmTarget>;

const DcgmCollector = z
  .object({
    enabled: z.boolean().default(true),
    targets: z.array(DcgmTarget).default([]),
    intervalSeconds: z.number().positive().max(3600).default(15),
    timeoutSeconds: z.number().positive().max(300).default(10),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
    concurrency: z.number().int().min(1).max(1024).default(64),
    /** Also keep NVLink link rollups (utilization, error deltas, suspect zeros) from the same scrapes. */
    nvlink: z.boolean().default(true),
  })
  .strict();

const PrometheusCollector = z
  .object({
    url: z.url(),
    intervalSeconds: z.number().positive().max(3600).default(60),
    stepSeconds: z.number().positive().max(300).default(15),
    timeoutSeconds: z.number().positive().max(300).default(30),
    /** Data younger than this may still be arriving at the TSDB; live mode stays this far behind now. */
    lagSeconds: z.number().min(0).max(3600).default(60),
    headers: z.record(z.string(), z.string()).default({}),
    /** Extra PromQL label matchers added to every query, e.g. `cluster="a"`. */
    selector: z.string().default(''),
  })
  .strict();

const SlurmCollector = z
  .object({
    enabled: z.boolean().default(true),
    /** Command paths; a bare name is looked up on PATH. */
    sacct: z.string().min(1).default('sacct'),
    squeue: z.string().min(1).default('squeue'),
    scontrol: z.string().min(1).default('scontrol'),
    intervalSeconds: z.number().positive().max(3600).default(60),
    timeoutSeconds: z.number().positive().max(600).default(30),
    /** Slurm cluster name passed to sacct (`-M`); defaults to the top-level `cluster`. */
    cluster: z.string().min(1).optional(),
    /** jobcomp/filetxt log to follow incrementally (optional; sacct is the primary source). */
    jobcompPath: z.string().min(1).optional(),
    /** IANA time zone of the slurmctld host: jobcomp times are written in its local time. */
    controllerTimeZone: z.string().min(1).default('UTC'),
    /** How far back the first sacct query reaches when nothing is stored yet. */
    lookbackHours: z
      .number()
      .positive()
      .max(24 * 366)
      .default(24),
    /** Extra environment for the Slurm commands, e.g. `SLURM_CONF`. */
    env: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const InfinibandCollector = z
  .object({
    enabled: z.boolean().default(true),
    /** Read `<sysfsRoot>/class/infiniband/<dev>/ports/<n>/…` on this host (normally `/sys`). */
    sysfsRoot: z.string().min(1).optional(),
    /** Node name for the sysfs reading; defaults to this host's name. */
    node: z.string().min(1).optional(),
    /** node_exporter endpoints whose `node_infiniband_*` metrics are read. */
    targets: z.array(DcgmTarget).default([]),
    intervalSeconds: z.number().positive().max(3600).default(15),
    timeoutSeconds: z.number().positive().max(300).default(10),
    /** With `sysfsRoot`: run `<nvidiaSmi> topo -m` on this host (hourly) to learn which GPUs each HCA serves. */
    nvidiaSmi: z.string().min(1).optional(),
    /** HCA ↔ GPU affinity: `{ "<node>": { "mlx5_0": [0, 1] } }`; wins over `nvidia-smi topo -m` per HCA. */
    gpuAffinity: z.record(z.string(), z.record(z.string(), z.array(z.number().int().min(0)))).default({}),
  })
  .strict();

const KubernetesCollector = z
  .object({
    enabled: z.boolean().default(true),
    /** Path of a kubeconfig file; absent → in-cluster service account. */
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    /** Pod label keys that name the owning team and project. */
    teamLabel: z.string().min(1).default('team'),
    projectLabel: z.string().min(1).default('project'),
    /** Pod label or annotation keys naming the user, first found wins. */
    userLabels: z.array(z.string().min(1)).default(['gpuscope.io/user', 'user']),
    /** Limit to these namespaces; empty = all namespaces. */
    namespaces: z.array(z.string().min(1)).default([]),
  })
  .strict();

const AwsSource = z
  .object({
    enabled: z.boolean().default(true),
    /** Regions whose instances and spot prices are read. */
    regions: z.array(z.string().min(1)).min(1),
    /** The Pricing API answers only in these two regions, whatever the target region. */
    pricingRegion: z.enum(['us-east-1', 'ap-south-1']).default('us-east-1'),
    /** GPU instance types to price; empty = every type DescribeInstanceTypes reports with GPUs. */
    instanceTypes: z.array(z.string().min(1)).default([]),
    refreshHours: z
      .number()
      .positive()
      .max(24 * 31)
      .default(24),
    /** Inventory (DescribeInstances) and spot prices are read this often. */
    inventoryIntervalSeconds: z.number().positive().max(86_400).default(300),
    maxAttempts: z.number().int().min(1).max(20).default(8),
    /** A downloaded Spot Instance Advisor feed (spot-advisor-data.json): spot recommendations take their risk from it. */
    spotAdvisorFile: z.string().min(1).optional(),
  })
  .strict();

const PriceBook = z
  .object({
    currency: z.literal('USD').default('USD'),
    /** $ per GPU-hour by GPU model name as the exporter reports it (e.g. `NVIDIA H100 80GB HBM3`). */
    gpuHourUsd: z.record(z.string().min(1), z.number().nonnegative()).default({}),
    /** $ per node-hour on top of its GPUs (power, rack, network), by node name or `*`. */
    nodeOverheadHourUsd: z.record(z.string().min(1), z.number().nonnegative()).default({}),
  })
  .strict();

const Billing = z
  .object({
    /** Folder watched for FOCUS/CUR exports (`*.csv`, `*.csv.gz`); each new or changed file is imported. */
    importDir: z.string().min(1).optional(),
    format: z.enum(['focus', 'cur']).default('focus'),
    intervalMinutes: z.number().positive().max(1440).default(60),
    /** Tag keys that name a line's owner when no job covers it; first present wins. */
    teamTags: z.array(z.string().min(1)).default(['team']),
    projectTags: z.array(z.string().min(1)).default(['project']),
  })
  .strict();

const Costs = z
  .object({
    /** How idle and unallocated cost reach groups: not at all (own lines), by each group's cost, or evenly. */
    sharePolicy: z.enum(['none', 'weighted', 'even']).default('none'),
    /** A held GPU-minute whose activity max stays below this is charged as idle, not usage. */
    idleActivityThreshold: z.number().min(0).max(1).default(0.05),
    /** Hours are allocated once closed; this often, and this far back (late jobs, late attribution). */
    intervalMinutes: z.number().positive().max(1440).default(5),
    lookbackHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 31)
      .default(6),
  })
  .strict();

const Budget = z
  .object({
    name: z.string().min(1),
    /** Scope: exactly one of team or project. */
    team: z.string().min(1).optional(),
    project: z.string().min(1).optional(),
    monthlyUsd: z.number().positive(),
  })
  .strict()
  .refine((b) => (b.team === undefined) !== (b.project === undefined), {
    message: 'a budget names exactly one of team or project',
  });

const IdleDetector = z
  .object({
    windowMinutes: z.number().int().min(3).max(1440).default(30),
    minSamples: z.number().int().min(3).default(3),
    activityMax: z.number().min(0).max(1).default(0.05),
    ioBytesPerSecond: z.number().nonnegative().default(10_000_000),
    memoryHeldBytes: z
      .number()
      .nonnegative()
      .default(1024 ** 3),
    warnMinutes: z.number().positive().default(60),
    criticalMinutes: z.number().positive().default(120),
    traceMinutes: z
      .number()
      .int()
      .positive()
      .max(7 * 1440)
      .default(240),
  })
  .strict();

const ratio = (d: number) => z.number().min(0).max(1).default(d);

/** Defaults from NVIDIA's profiling guidance and production practice (job_defense_shield, KempnerPulse classes). */
const BottleneckDetector = z
  .object({
    windowMinutes: z.number().int().min(3).max(1440).default(30),
    minProfiledMinutes: z.number().int().min(1).default(5),
    throttledShare: ratio(0.5),
    linkBusyRatio: ratio(0.8),
    xmitWaitPerSecond: z.number().nonnegative().default(1e6),
    communicationSmMax: ratio(0.5),
    tensorHeavy: ratio(0.5),
    memoryBoundDram: ratio(0.6),
    computeBoundSm: ratio(0.8),
    launchActivityMin: ratio(0.5),
    launchSmPerActivity: ratio(0.5),
    inputActivityMax: ratio(0.3),
    inputPcieRxBytesPerSecond: z.number().nonnegative().default(1e8),
    idleActivityMax: ratio(0.05),
    stragglerGap: ratio(0.25),
    stragglerPeerMin: ratio(0.3),
  })
  .strict();

const LinkDetector = z
  .object({
    windowMinutes: z.number().int().min(3).max(1440).default(60),
    /** Link downs in the window that make a link faulty even without the flapping flag. */
    linkDowns: z.number().int().min(1).default(1),
    /** Error-counter increases (symbol, recovery, CRC, replay…) per minute that make a link faulty. */
    errorsPerMinute: z.number().nonnegative().default(0.1),
    xmitWaitPerSecond: z.number().nonnegative().default(1e6),
  })
  .strict();

const HealthDetector = z
  .object({
    windowMinutes: z.number().int().min(3).max(1440).default(60),
    /** XIDs that mean failing hardware or a needed reset (NVIDIA's XID catalog); others are application errors. */
    criticalXids: z
      .array(z.number().int().nonnegative())
      .default([48, 61, 62, 63, 64, 74, 79, 92, 94, 95, 119, 120, 140]),
    /** Share of minutes with a thermal clock event that makes a GPU thermally throttled. */
    thermalShare: ratio(0.2),
    /** Max operating temperature (C) by GPU model (regex on the model name), first match; else `defaultMaxCelsius`. */
    maxOperatingCelsius: z.record(z.string(), z.number()).default({}),
    defaultMaxCelsius: z.number().default(85),
    /** Single-bit ECC errors per hour that make a GPU's memory a warning. */
    sbePerHour: z.number().nonnegative().default(10),
    pcieReplaysPerHour: z.number().nonnegative().default(60),
  })
  .strict();

/** Also when the idle judge and right-sizing trust a GPU's readings (analyzer/findings/data-trust.ts). */
const DataQualityDetector = z
  .object({
    windowMinutes: z.number().int().min(3).max(1440).default(30),
    minSamples: z.number().int().min(3).default(3),
    /** With no energy counter, identical readings for this long are a frozen series. */
    frozenMinutes: z.number().int().min(3).default(10),
    /** GPU_UTIL mean at or over this while GR_ENGINE_ACTIVE reads 0: the known DCGM profiling fault. */
    grZeroGpuUtil: ratio(0.5),
    targetDownFailures: z.number().int().min(1).default(3),
    /** A scrape taking this share of its timeout or more is about to time out. */
    scrapeSlowShare: ratio(0.8),
    /** Share of owned GPU-minutes matching no job that makes a node's attribution suspect. */
    unattributedShare: ratio(0.05),
  })
  .strict();

const CapacityDetector = z
  .object({
    windowMinutes: z.number().int().min(3).max(1440).default(60),
    /** Idle whole nodes a pool keeps for the next job before scaling down is suggested. */
    headroomNodes: z.number().int().min(0).default(1),
    idleActivityMax: ratio(0.05),
    /** A node counts as idle only with at least this many minutes of data for each GPU. */
    minMinutes: z.number().int().min(1).default(30),
  })
  .strict();

const count = (d: number) => z.number().int().min(1).default(d);
const positive = (d: number) => z.number().positive().default(d);

/** Each drift test's knobs; the field comments are in analyzer/findings/detect-drift.ts (DriftThresholds). */
const DriftDetector = z
  .object({
    pValue: z.number().gt(0).lt(1).default(0.01),
    configSeenHours: positive(24),
    configMinPoolNodes: count(3),
    migLayoutShare: ratio(0.8),
    jobLookbackDays: positive(7),
    jobHistoryDays: positive(30),
    jobBaselineRuns: count(5),
    jobMaxBaselineRuns: count(20),
    jobMinMinutes: count(10),
    jobDropShare: ratio(0.2),
    jobSdFloor: ratio(0.02),
    spendTrendDays: count(14),
    spendMinDays: count(7),
    spendZ: positive(3),
    spendMinUsd: z.number().nonnegative().default(50),
    spendSdFloorUsd: z.number().nonnegative().default(5),
    spendSdFloorShare: ratio(0.05),
    healthRecentHours: positive(6),
    healthBaselineHours: positive(7 * 24),
    healthMinEvents: count(3),
    healthRateRatio: positive(2),
  })
  .strict();

/** Right-sizing knobs; the field comments are in analyzer/findings/judge-right-sizing.ts (RightSizingThresholds). */
const RightSizingDetector = z
  .object({
    lookbackDays: positive(7),
    minHours: positive(4),
    idleActivityP95: ratio(0.05),
    memoryHeadroom: z.number().min(1).default(1.2),
    migComputeFill: ratio(0.7),
    modelActivityP95Max: ratio(0.3),
    interruptibleLabels: z.array(z.string().min(1)).default(['gpuscope.io/interruptible', 'requeue']),
    minMonthlySavingsUsd: z.number().nonnegative().default(10),
    warnMonthlySavingsUsd: z.number().nonnegative().default(1000),
    hoursPerMonth: positive(730),
    ttlHours: positive(24),
  })
  .strict();

const Analyzer = z
  .object({
    intervalMinutes: z.number().positive().max(1440).default(5),
    /** Drift and right-sizing read days of history: `serve` runs them this often, not every pass. */
    slowIntervalMinutes: z.number().positive().max(10_080).default(60),
    idle: IdleDetector.default(IdleDetector.parse({})),
    bottleneck: BottleneckDetector.default(BottleneckDetector.parse({})),
    links: LinkDetector.default(LinkDetector.parse({})),
    health: HealthDetector.default(HealthDetector.parse({})),
    dataQuality: DataQualityDetector.default(DataQualityDetector.parse({})),
    capacity: CapacityDetector.default(CapacityDetector.parse({})),
    drift: DriftDetector.default(DriftDetector.parse({})),
    rightSizing: RightSizingDetector.default(RightSizingDetector.parse({})),
  })
  .strict();

const ActionMode = z.enum(['off', 'dry-run', 'approve', 'auto']);
const ActionKindName = z.enum([
  'cordon_node',
  'uncordon_node',
  'drain_node',
  'scale_workload',
  'suspend_job',
  'resume_job',
  'scale_asg',
  'terminate_instance',
  'migrate_to_spot',
]);
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');
const MaintenanceWindow = z
  .object({
    days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).min(1),
    /** A window whose end is at or before its start runs past midnight into the next day. */
    start: ClockTime,
    end: ClockTime,
    timezone: z.literal('UTC').default('UTC'),
  })
  .strict();
/** One policy; the action engine picks the most specific scope that matches (analyzer/actions/resolve-policy.ts). */
const ActionPolicy = z
  .object({
    scope: z
      .object({
        cluster: z.string().min(1).optional(),
        nodePool: z.string().min(1).optional(),
        namespace: z.string().min(1).optional(),
        partition: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    mode: ActionMode,
    allowKinds: z.array(ActionKindName).optional(),
    /** Globs (`*`, `?`) over node names and namespaces; absent = any. */
    allowNodes: z.array(z.string().min(1)).optional(),
    allowNamespaces: z.array(z.string().min(1)).optional(),
    /** Blast radius: nodes or GPUs acted on in the last hour, per reason, within this scope. */
    maxNodesPerHour: z.number().int().min(0).optional(),
    maxGpusPerHour: z.number().int().min(0).optional(),
    cooldownMinutes: z.number().min(0).default(60),
    minNodeAgeMinutes: z.number().min(0).default(60),
    maintenanceWindows: z.array(MaintenanceWindow).default([]),
  })
  .strict();
const Actions = z
  .object({
    defaultMode: ActionMode.default('dry-run'),
    policies: z.array(ActionPolicy).default([]),
    /** Node pools (analyzer pool names such as `NVIDIA H100 80GB HBM3 x8`) that are one Auto Scaling group. */
    poolAsgs: z.array(z.object({ pool: z.string().min(1), asg: z.string().min(1) }).strict()).default([]),
    /** Launch template the spot replacement of an on-demand node starts from. */
    spotLaunchTemplate: z
      .object({
        launchTemplateId: z.string().min(1),
        version: z.string().min(1).optional(),
        subnetIds: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    /** A worker holding an executing action renews its lease at each checkpoint; past it, the action is a crash. */
    leaseMinutes: z.number().positive().default(15),
    maxAttempts: z.number().int().min(1).default(3),
    retryBaseMinutes: z.number().positive().default(5),
    /** Realized savings compare this long before the action with as long after it. */
    savingsWindowHours: z.number().positive().default(24),
    /** How often the analyzer leader plans, dry-runs and executes actions. */
    intervalSeconds: z.number().positive().max(3600).default(60),
  })
  .strict();

/** Settings of the AWS action executors (analyzer/actions/aws); the launch template is `actions.spotLaunchTemplate`. */
const AwsActions = z
  .object({
    /** Region of the EC2 and Auto Scaling clients; absent → the first of `collectors.aws.regions`. */
    region: z.string().min(1).optional(),
    /** Candidate spot types for a replacement, in order of preference (price-capacity-optimized picks among them). */
    spotInstanceTypes: z.array(z.string().min(1)).default([]),
    /** With no spot capacity in any candidate type, launch the replacement on-demand (in listed order) instead of failing. */
    onDemandFallback: z.boolean().default(false),
    nodeReadyTimeoutSeconds: z.number().positive().max(3600).default(600),
    drainTimeoutSeconds: z.number().positive().max(86_400).default(900),
    maxAttempts: z.number().int().min(1).max(20).default(8),
  })
  .strict();

/** A token an inbound sender presents; kept like auth.tokens (plain or as its SHA-256 digest), with no role. */
const InboundToken = z
  .object(tokenFields)
  .strict()
  .refine(...oneTokenForm);

/** Receivers for Alertmanager and EventBridge; their tokens open only these routes, never the API. */
const Inbound = z
  .object({
    alertmanager: z
      .object({ bearerTokens: z.array(InboundToken).min(1, 'give at least one token') })
      .strict()
      .optional(),
    awsEvents: z
      .object({
        bearerTokens: z.array(InboundToken).min(1, 'give at least one token'),
        /** An EventBridge API-destination connection with API-key auth sends the token in this header. */
        apiKeyHeader: z
          .string()
          .regex(/^[A-Za-z0-9-]+$/, 'expected an HTTP header name')
          .optional(),
        /** Spot interruption or rebalance events older than this (by their `time`) are recorded, not acted on. */
        maxEventAgeSeconds: z.number().int().positive().default(600),
        /** The answer waits this long for the spot hook, then says `pending`; EventBridge gives up after 5 s. */
        hookWaitSeconds: z.number().min(0).max(4.5).default(3),
      })
      .strict()
      .optional(),
    /** With secrets set, every inbound request must also carry a valid Standard Webhooks signature. */
    signingSecrets: z.array(z.string().min(1)).default([]),
    signatureToleranceSeconds: z.number().int().positive().max(3600).default(300),
  })
  .strict();

/** `10.0.0.0/8`, `fd00::/8`: the prefix length within the address family. */
const Cidr = z.string().refine((value) => {
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  const n = Number(bits);
  return rest.length === 0 && family !== 0 && /^\d{1,3}$/.test(bits ?? '') && n <= (family === 4 ? 32 : 128);
}, 'expected a CIDR such as 10.0.0.0/8 or fd00::/8');

/** Outbound webhooks (Standard Webhooks): where they may go and how hard delivery tries. */
const Webhooks = z
  .object({
    /** Private or loopback ranges a subscription URL may reach; link-local and metadata addresses never. */
    allowPrivateNetworks: z.array(Cidr).default([]),
    /** Events (with their deliveries and attempt log) are kept this long once none of their deliveries is pending. */
    retentionDays: z.number().positive().default(30),
    delivery: z
      .object({
        enabled: z.boolean().default(true),
        concurrency: z.number().int().min(1).max(1000).default(64),
        batchSize: z.number().int().min(1).max(5000).default(200),
        pollIntervalMs: z.number().int().min(10).default(1000),
        timeoutSeconds: z.number().positive().max(300).default(10),
        /** A claimed delivery is another worker's to retry only after this; longer than the timeout. */
        leaseSeconds: z.number().positive().default(60),
        retryBaseSeconds: z.number().positive().default(5),
        retryMaxSeconds: z.number().positive().default(3600),
        /** Past this age a still-failing delivery is dead-lettered. */
        maxAgeHours: z.number().positive().default(24),
        /** After a secret rotation the previous secret signs too, for this long. */
        previousSecretHours: z.number().min(0).default(24),
      })
      .strict()
      .refine((d) => d.leaseSeconds > d.timeoutSeconds, {
        message: 'leaseSeconds must be longer than timeoutSeconds',
      })
      .default(() => ({
        enabled: true,
        concurrency: 64,
        batchSize: 200,
        pollIntervalMs: 1000,
        timeoutSeconds: 10,
        leaseSeconds: 60,
        retryBaseSeconds: 5,
        retryMaxSeconds: 3600,
        maxAgeHours: 24,
        previousSecretHours: 24,
      })),
  })
  .strict();

const defaults = {
  server: { listen: '127.0.0.1:8080' },
  database: { dataDir: './data', migrateOnStart: true, poolSize: 10 },
  retention: { minuteRollupDays: 14, hourlyRollupDays: 400, apiAuditDays: 90 },
};

export const Config = z
  .object({
    cluster: z.string().min(1).default('default'),
    server: z
      .object({ listen: ListenAddress.default(defaults.server.listen) })
      .strict()
      .default(defaults.server),
    database: z
      .object({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
          .optional(),
        dataDir: z.string().min(1).default(defaults.database.dataDir),
        migrateOnStart: z.boolean().default(true),
        poolSize: z.number().int().min(1).max(200).default(10),
      })
      .strict()
      .default(defaults.database),
    auth: z
      .object({ tokens: z.array(AuthToken).default([]) })
      .strict()
      .default({ tokens: [] }),
    collectors: z
      .object({
        dcgm: DcgmCollector.optional(),
        prometheus: PrometheusCollector.optional(),
        slurm: SlurmCollector.optional(),
        infiniband: InfinibandCollector.optional(),
        kubernetes: KubernetesCollector.optional(),
        aws: AwsSource.optional(),
      })
      .strict()
      .default({}),
    priceBook: PriceBook.default({ currency: 'USD', gpuHourUsd: {}, nodeOverheadHourUsd: {} }),
    billing: Billing.default({
      format: 'focus',
      intervalMinutes: 60,
      teamTags: ['team'],
      projectTags: ['project'],
    }),
    costs: Costs.default({
      sharePolicy: 'none',
      idleActivityThreshold: 0.05,
      intervalMinutes: 5,
      lookbackHours: 6,
    }),
    budgets: z.array(Budget).default([]),
    inbound: Inbound.optional(),
    webhooks: Webhooks.default(() => Webhooks.parse({})),
    analyzer: Analyzer.default(Analyzer.parse({})),
    actions: Actions.default(Actions.parse({})),
    awsActions: AwsActions.optional(),
    retention: z
      .object({
        minuteRollupDays: z.number().positive().default(14),
        hourlyRollupDays: z.number().positive().default(400),
        /** The API audit (every /api/v1 call) is kept this long; the action audit is kept for good. */
        apiAuditDays: z.number().positive().default(90),
      })
      .strict()
      .default(defaults.retention),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();
export type Config = z.output<typeof Config>;
export type ConfigInput = z.input<typeof Config>;
export type SlurmCollectorConfig = z.output<typeof SlurmCollector>;
export type InfinibandCollectorConfig = z.output<typeof InfinibandCollector>;
export type KubernetesCollectorConfig = z.output<typeof KubernetesCollector>;
export type AwsSourceConfig = z.output<typeof AwsSource>;
export type PriceBookConfig = z.output<typeof PriceBook>;
export type BillingConfig = z.output<typeof Billing>;
export type CostsConfig = z.output<typeof Costs>;
export type BudgetConfig = z.output<typeof Budget>;
export type AnalyzerConfig = z.output<typeof Analyzer>;
export type InboundConfig = z.output<typeof Inbound>;
export type WebhooksConfig = z.output<typeof Webhooks>;
export type ActionsConfig = z.output<typeof Actions>;
export type AwsActionsConfig = z.output<typeof AwsActions>;
export const AwsActionsConfig = AwsActions;
export type ActionPolicyConfig = z.output<typeof ActionPolicy>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Env variables with a fixed meaning; anything else goes through GPUSCOPE__a__b paths. */
const envShortcuts: Record<string, string[]> = {
  GPUSCOPE_DATABASE_URL: ['database', 'url'],
  GPUSCOPE_LISTEN: ['server', 'listen'],
  GPUSCOPE_DATA_DIR: ['database', 'dataDir'],
  GPUSCOPE_PROMETHEUS_URL: ['collectors', 'prometheus', 'url'],
  GPUSCOPE_LOG_LEVEL: ['log', 'level'],
};

export function parseConfig(input: unknown, source = 'config'): Config {
  const parsed = Config.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `  ${path}: ${issue.message}`;
  });
  throw new ConfigError(`invalid ${source}:\n${lines.join('\n')}`);
}

export interface LoadConfigOptions {
  path?: string | undefined;
  env?: Record<string, string | undefined>;
  overrides?: ConfigInput;
}

/** Reads the YAML file (--config or GPUSCOPE_CONFIG), applies env overrides, validates once. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const path = options.path ?? env['GPUSCOPE_CONFIG'];
  let raw: Record<string, unknown> = {};
  if (path) raw = readConfigFile(path);
  if (options.overrides) raw = deepMerge(raw, options.overrides as Record<string, unknown>);
  applyEnvOverrides(raw, env);
  return parseConfig(raw, path ? `config file ${path}` : 'config');
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`config file ${path}: the top level must be a mapping`);
  }
  return doc as Record<string, unknown>;
}

function applyEnvOverrides(raw: Record<string, unknown>, env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const shortcut = envShortcuts[name];
    if (shortcut) {
      setPath(raw, shortcut, value);
    } else if (name.startsWith('GPUSCOPE__')) {
      setPath(raw, name.slice('GPUSCOPE__'.length).split('__'), parseEnvScalar(value));
    }
  }
}

function parseEnvScalar(value: string): unknown {
  try {
    return parseYaml(value);
  } catch {
    return value;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const prev = out[key];
    if (isPlainObject(prev) && isPlainObject(value)) out[key] = deepMerge(prev, value);
    else out[key] = value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
