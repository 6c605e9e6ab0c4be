/** The output of one command in a nvidia_gpu_exporter capture file (between its `# $ <command>` banner and the next). */
export function captureSection(capture: string, command: string): string {
  const lines = capture.split('\n');
  const start = lines.indexOf(`# $ ${command}`);
  if (start < 0) throw new Error(`capture has no section for ${command}`);
  const body = lines.slice(start + 2);
  const end = body.findIndex((line) => line.startsWith('#####'));
  return body.slice(0, end < 0 ? body.length : end).join('\n');
}
