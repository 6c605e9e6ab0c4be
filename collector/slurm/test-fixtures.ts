import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Test helper: the Slurm fixtures copied into test/fixtures/jobs (see its SOURCES.md). */
export const fixtureDir = join(import.meta.dirname, '../../test/fixtures/jobs');

export function readFixture(name: string): string {
  return readFileSync(join(fixtureDir, name), 'utf8');
}
