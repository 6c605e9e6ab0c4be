// Shared by the sacct, squeue and scontrol stand-ins: fetch one simulator route and print it as the
// real command would, exiting non-zero with the message on stderr when the simulator cannot answer.
// Dependency-free so the scripts run with a bare `node`.

export function fail(command, message) {
  process.stderr.write(`${command}: error: ${message}\n`);
  process.exit(1);
}

export function fetchAndPrint(command, path, params) {
  const base = process.env.GPUSCOPE_SIM_URL;
  if (!base)
    fail(command, 'GPUSCOPE_SIM_URL is not set (the simulator base URL, e.g. http://127.0.0.1:9400)');
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  for (const [key, value] of Object.entries(params ?? {}))
    if (value !== undefined) url.searchParams.set(key, value);
  fetch(url)
    .then(async (response) => {
      const body = await response.text();
      if (!response.ok) fail(command, body.trim() || `simulator answered HTTP ${response.status}`);
      process.stdout.write(body);
    })
    .catch((error) => fail(command, `cannot reach the simulator at ${base}: ${error.message}`));
}

/** The value after `-X value`, `--long value` or `--long=value`; undefined when absent. */
export function readOption(args, short, long) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === short || arg === long) return args[i + 1];
    if (long && arg.startsWith(`${long}=`)) return arg.slice(long.length + 1);
  }
  return undefined;
}
