import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'fabric');

export function readFixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}
