import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Unpacks a ttar archive (prometheus/procfs's text tar: `Path:`/`Lines:`/`Mode:`, `Directory:`,
 * `SymlinkTo:` blocks split by `# ttar - - -` lines) into a fresh temp dir and returns the dir.
 * Test helper: it throws on a malformed archive because the fixture, not the code under test, is wrong.
 */
export function unpackTtar(archivePath: string): string {
  const root = mkdtempSync(join(tmpdir(), 'gpuscope-ttar-'));
  const lines = readFileSync(archivePath, 'utf8').split('\n');
  let path: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('# ') || line === '') continue;
    const [key, ...rest] = line.split(': ');
    const value = rest.join(': ');
    if (key === 'Directory') {
      mkdirSync(join(root, value), { recursive: true });
    } else if (key === 'Path') {
      path = value;
    } else if (key === 'Lines' && path !== undefined) {
      const count = Number(value);
      const body = lines.slice(i + 1, i + 1 + count);
      i += count;
      const file = join(root, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, decodeBody(body));
    } else if (key === 'SymlinkTo' && path !== undefined) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      symlinkSync(value, join(root, path));
    } else if (key !== 'Mode') {
      throw new Error(`${archivePath}:${i + 1}: unexpected ttar line ${JSON.stringify(line)}`);
    }
  }
  return root;
}

/** Each body line ends in a newline unless it ends in `EOF`; `NULLBYTE` stands for \0. */
function decodeBody(body: string[]): string {
  return body
    .map((line) => {
      const text = line.replaceAll('NULLBYTE', '\0');
      return text.endsWith('EOF') ? text.slice(0, -3) : `${text}\n`;
    })
    .join('');
}
