import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, streamCommand } from './run-command.js';

let dir: string;

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A killed child whose parent died may linger as a zombie until init reaps it; that is not running. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'run-command-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runCommand', () => {
  it('passes arguments without a shell and returns stdout', async () => {
    const echo = script('echo-args', 'printf "%s|" "$@"');
    const result = await runCommand({ command: echo, args: ['a b', '$HOME', ';x'], timeoutSeconds: 5 });
    expect(result).toEqual({ ok: true, value: { stdout: 'a b|$HOME|;x|', stderr: '' } });
  });

  it('sets the extra environment, e.g. TZ', async () => {
    const tz = script('print-tz', 'printf "%s" "$TZ"');
    const result = await runCommand({ command: tz, args: [], timeoutSeconds: 5, env: { TZ: 'UTC' } });
    expect(result.ok && result.value.stdout).toBe('UTC');
  });

  describe('errors', () => {
    it('says a bare command was not found on PATH', async () => {
      const result = await runCommand({ command: 'sacct-does-not-exist', args: [], timeoutSeconds: 5 });
      expect(result).toMatchObject({
        ok: false,
        error: { kind: 'not_found', message: 'sacct-does-not-exist not found (looked on PATH)' },
      });
    });

    it('names the exit code and the first stderr line of a failing command', async () => {
      const fail = script(
        'sacct',
        'echo "sacct: error: Problem talking to the database" >&2; echo more >&2; exit 1',
      );
      const result = await runCommand({ command: fail, args: [], timeoutSeconds: 5 });
      expect(result).toMatchObject({
        ok: false,
        error: {
          kind: 'exit',
          exitCode: 1,
          message: 'sacct exited with code 1: sacct: error: Problem talking to the database',
        },
      });
    });

    it('kills a hanging command and its children after the timeout', async () => {
      const pidFile = join(dir, 'child.pid');
      const hang = script('hang', `sleep 30 & echo $! > ${pidFile}; wait`);
      const result = await runCommand({ command: hang, args: [], timeoutSeconds: 0.3, killGraceMs: 200 });
      expect(result).toMatchObject({
        ok: false,
        error: { kind: 'timeout', message: 'hang timed out after 0.3 s' },
      });
      expect(isRunning(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
    });

    it('uses SIGKILL when a command ignores SIGTERM', async () => {
      const stubborn = script('stubborn', "trap '' TERM; while :; do sleep 0.05; done");
      const result = await runCommand({ command: stubborn, args: [], timeoutSeconds: 0.2, killGraceMs: 100 });
      expect(result).toMatchObject({ ok: false, error: { kind: 'timeout' } });
    });

    it('stops a command whose output passes the cap', async () => {
      const chatty = script('chatty', 'yes 0123456789');
      const result = await runCommand({
        command: chatty,
        args: [],
        timeoutSeconds: 5,
        maxStdoutBytes: 100_000,
      });
      expect(result).toMatchObject({
        ok: false,
        error: { kind: 'too_large', message: 'chatty output exceeded 100000 bytes' },
      });
    });
  });
});

describe('streamCommand', () => {
  it('streams stdout and settles done after exit', async () => {
    const many = script('many', 'for i in 1 2 3; do echo line$i; done');
    const running = streamCommand({ command: many, args: [], timeoutSeconds: 5 });
    let text = '';
    for await (const chunk of running.stdout) text += String(chunk);
    expect(text).toBe('line1\nline2\nline3\n');
    expect(await running.done).toEqual({ ok: true, value: undefined });
  });
});
