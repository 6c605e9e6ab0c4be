import type { SlurmCollectorConfig } from '../../core/config.js';
import { err, ok, type Result } from '../../core/result.js';
import { type CommandSpec, runCommand, streamCommand } from '../../core/run-command.js';
import type { JobRecord, RecordIssue } from '../jobs/types.js';
import { isTerminalJobState } from '../jobs/types.js';
import { isValidTimeZone } from './local-time.js';
import { parseJobcompLine } from './parse-jobcomp.js';
import { parseSacctParsable, SACCT_PARSABLE_FIELDS } from './parse-sacct-parsable.js';
import { applyScontrolAllocations, parseScontrolJobs } from './parse-scontrol-job.js';
import { parseSqueueJson } from './parse-squeue-json.js';
import { type JobcompCursor, readJobcompIncrement } from './read-jobcomp.js';
import { type SacctMeta, streamSacctJson } from './stream-sacct-json.js';

export interface SlurmSourceDeps {
  /** The top-level `cluster`, used when `collectors.slurm.cluster` is unset. */
  defaultCluster: string;
  run?: typeof runCommand;
  stream?: typeof streamCommand;
}

export interface SlurmJobBatch {
  records: JobRecord[];
  issues: RecordIssue[];
  meta: SacctMeta | null;
  /** Which sacct output was read: `json`, or `parsable2` when this Slurm rejects `--json`. */
  via: 'json' | 'parsable2' | 'squeue' | 'jobcomp';
}

export interface JobcompBatch extends SlurmJobBatch {
  cursor: JobcompCursor;
}

export interface SlurmSource {
  /** Jobs sacct knows in [from, to) (any state during the window); a failed command is an error, never a throw. */
  listFinishedJobs(window: { from: Date; to: Date }): Promise<Result<SlurmJobBatch>>;
  /** Running jobs from squeue, with GPU indices from scontrol show job -d where it answers. */
  listRunningJobs(): Promise<Result<SlurmJobBatch>>;
  /** Complete jobcomp/filetxt lines appended since `cursor` (needs `jobcompPath`). */
  readJobcomp(cursor: JobcompCursor | null): Promise<Result<JobcompBatch>>;
}

/** Slurm prints and reads times in the TZ of the process; UTC keeps both sides unambiguous. */
const SLURM_ENV = { TZ: 'UTC' };

/** sacct without a data_parser plugin, or older than 20.11, rejects `--json` with one of these. */
const JSON_REJECTED = /json|data_parser|unrecognized option|invalid option/i;

export function createSlurmSource(config: SlurmCollectorConfig, deps: SlurmSourceDeps): SlurmSource {
  const cluster = config.cluster ?? deps.defaultCluster;
  const run = deps.run ?? runCommand;
  const stream = deps.stream ?? streamCommand;
  const spec = (command: string, args: string[]): CommandSpec => ({
    command,
    args,
    timeoutSeconds: config.timeoutSeconds,
    env: { ...config.env, ...SLURM_ENV },
  });

  async function listFinishedJobs(window: { from: Date; to: Date }): Promise<Result<SlurmJobBatch>> {
    const range = [
      '--allusers',
      '-S',
      formatSlurmTime(window.from),
      '-E',
      formatSlurmTime(window.to),
      '-M',
      cluster,
    ];
    const json = await readSacctJson(stream, spec(config.sacct, ['--json', ...range]), cluster);
    if (json.ok) return json;
    if (!json.error.rejectedJson) return err(json.error.message);
    const fields = ['--parsable2', ...range, '-o', SACCT_PARSABLE_FIELDS.join(',')];
    const text = await run(spec(config.sacct, fields));
    if (!text.ok) return err(text.error.message);
    const parsed = parseSacctParsable(text.value.stdout, {
      source: 'sacct --parsable2',
      cluster,
      timeZone: 'UTC',
    });
    return ok({ ...parsed, meta: null, via: 'parsable2' });
  }

  async function listRunningJobs(): Promise<Result<SlurmJobBatch>> {
    const squeue = await run(spec(config.squeue, ['--json']));
    if (!squeue.ok) return err(squeue.error.message);
    const parsed = parseSqueueJson(squeue.value.stdout, { source: 'squeue --json', cluster });
    // squeue --json ignores state filters in some versions and lists recently finished jobs too.
    const records = parsed.records.filter((r) => !isTerminalJobState(r.state) && r.state !== 'pending');
    const issues = [...parsed.issues];
    const scontrol = await run(spec(config.scontrol, ['show', 'job', '-d']));
    if (scontrol.ok) {
      const detail = parseScontrolJobs(scontrol.value.stdout);
      applyScontrolAllocations(records, detail.jobs);
      issues.push(...detail.issues);
    } else {
      issues.push({
        source: 'scontrol show job -d',
        line: null,
        field: null,
        jobId: null,
        message: scontrol.error.message,
      });
    }
    return ok({ records, issues, meta: null, via: 'squeue' });
  }

  async function readJobcomp(cursor: JobcompCursor | null): Promise<Result<JobcompBatch>> {
    if (config.jobcompPath === undefined) return err('collectors.slurm.jobcompPath is not set');
    if (!isValidTimeZone(config.controllerTimeZone)) {
      return err(
        `collectors.slurm.controllerTimeZone ${JSON.stringify(config.controllerTimeZone)} is not an IANA time zone`,
      );
    }
    const read = await readJobcompIncrement(config.jobcompPath, cursor);
    if (!read.ok) return read;
    const records: JobRecord[] = [];
    const issues: RecordIssue[] = [];
    for (const line of read.value.lines) {
      const ctx = {
        source: config.jobcompPath,
        line: line.line,
        cluster,
        timeZone: config.controllerTimeZone,
      };
      const parsed = parseJobcompLine(line.text, ctx);
      if (parsed.record !== null) records.push(parsed.record);
      issues.push(...parsed.issues);
    }
    return ok({ records, issues, meta: null, via: 'jobcomp', cursor: read.value.cursor });
  }

  return { listFinishedJobs, listRunningJobs, readJobcomp };
}

async function readSacctJson(
  stream: typeof streamCommand,
  spec: CommandSpec,
  cluster: string,
): Promise<Result<SlurmJobBatch, { message: string; rejectedJson: boolean }>> {
  const running = stream(spec);
  const records: JobRecord[] = [];
  const issues: RecordIssue[] = [];
  let meta: SacctMeta | null = null;
  for await (const event of streamSacctJson(running.stdout, { source: 'sacct --json', cluster })) {
    if (event.type === 'job') records.push(event.record);
    else if (event.type === 'issue') issues.push(event.issue);
    else meta = event.meta;
  }
  const done = await running.done;
  if (!done.ok) {
    const rejectedJson =
      done.error.kind === 'exit' && records.length === 0 && JSON_REJECTED.test(done.error.stderr);
    return err({ message: done.error.message, rejectedJson });
  }
  return ok({ records, issues, meta, via: 'json' });
}

/** sacct -S/-E take local wall-clock time; with TZ=UTC in the environment that is UTC. */
export function formatSlurmTime(date: Date): string {
  return date.toISOString().slice(0, 19);
}
