import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { err, ok, type Result } from './result.js';

export interface CommandSpec {
  command: string;
  args: readonly string[];
  timeoutSeconds: number;
  /** Output beyond this many bytes is an error (run) or ends the stream (stream). */
  maxStdoutBytes?: number;
  /** Merged over the current environment, e.g. `{ TZ: 'UTC' }` so Slurm prints times in UTC. */
  env?: Record<string, string>;
  /** After SIGTERM to the process group, wait this long before SIGKILL. */
  killGraceMs?: number;
}

export interface CommandError {
  kind: 'not_found' | 'exit' | 'timeout' | 'too_large' | 'signal' | 'spawn';
  message: string;
  /** First stderr line, where there was one; lets callers tell "--json rejected" from other failures. */
  stderr: string;
  exitCode: number | null;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
}

const DEFAULT_MAX_STDOUT = 512 << 20;
const MAX_STDERR = 64 << 10;

/** Runs a command (argument array, no shell) to completion, collecting stdout up to a cap. */
export async function runCommand(spec: CommandSpec): Promise<Result<CommandOutput, CommandError>> {
  const running = startCommand(spec);
  const chunks: Buffer[] = [];
  let size = 0;
  running.stdout.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > (spec.maxStdoutBytes ?? DEFAULT_MAX_STDOUT)) running.abort('too_large');
    else chunks.push(chunk);
  });
  const done = await running.done;
  if (!done.ok) return done;
  return ok({ stdout: Buffer.concat(chunks).toString('utf8'), stderr: running.stderrText() });
}

export interface StreamingCommand {
  stdout: Readable;
  /** Settles once the process has exited and its output is closed. */
  done: Promise<Result<void, CommandError>>;
}

/** Starts a command whose stdout the caller consumes as a stream (sacct --json of a large window). */
export function streamCommand(spec: CommandSpec): StreamingCommand {
  const running = startCommand(spec);
  let size = 0;
  running.stdout.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > (spec.maxStdoutBytes ?? Number.POSITIVE_INFINITY)) running.abort('too_large');
  });
  return { stdout: running.stdout, done: running.done };
}

function startCommand(spec: CommandSpec) {
  const name = basename(spec.command);
  // detached: the child leads its own process group, so a timeout also kills what it started.
  const child = spawn(spec.command, [...spec.args], {
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8');
  });
  let aborted: 'timeout' | 'too_large' | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const abort = (why: 'timeout' | 'too_large') => {
    if (aborted !== null) return;
    aborted = why;
    killGroup(child, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), spec.killGraceMs ?? 2000);
  };
  const timer = setTimeout(() => abort('timeout'), spec.timeoutSeconds * 1000);
  const done = new Promise<Result<void, CommandError>>((resolve) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err(spawnError(spec.command, name, e)));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve(exitResult(spec, name, { code, signal, aborted, stderr }));
    });
  });
  if (child.stdout === null) throw new Error('spawn without a stdout pipe');
  return { stdout: child.stdout, done, abort, stderrText: () => stderr };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function spawnError(command: string, name: string, e: NodeJS.ErrnoException): CommandError {
  const base = { stderr: '', exitCode: null };
  if (e.code === 'ENOENT') {
    const where = command.includes('/') ? `no such file ${command}` : 'looked on PATH';
    return { ...base, kind: 'not_found', message: `${name} not found (${where})` };
  }
  return { ...base, kind: 'spawn', message: `${name} could not start: ${e.code ?? e.message}` };
}

function exitResult(
  spec: CommandSpec,
  name: string,
  end: {
    code: number | null;
    signal: NodeJS.Signals | null;
    aborted: 'timeout' | 'too_large' | null;
    stderr: string;
  },
): Result<void, CommandError> {
  const firstLine = end.stderr.split('\n').find((line) => line.trim() !== '') ?? '';
  const base = { stderr: firstLine, exitCode: end.code };
  if (end.aborted === 'timeout') {
    return err({ ...base, kind: 'timeout', message: `${name} timed out after ${spec.timeoutSeconds} s` });
  }
  if (end.aborted === 'too_large') {
    const cap = spec.maxStdoutBytes ?? DEFAULT_MAX_STDOUT;
    return err({ ...base, kind: 'too_large', message: `${name} output exceeded ${cap} bytes` });
  }
  if (end.signal !== null)
    return err({ ...base, kind: 'signal', message: `${name} was killed by ${end.signal}` });
  if (end.code !== 0) {
    const detail = firstLine === '' ? '' : `: ${firstLine.trim()}`;
    return err({ ...base, kind: 'exit', message: `${name} exited with code ${end.code}${detail}` });
  }
  return ok(undefined);
}
