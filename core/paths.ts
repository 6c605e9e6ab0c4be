import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, found from this file whether it runs from source or from dist/. */
export function findPackageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'gpuscope') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`gpuscope package root not found above ${from}`);
    dir = parent;
  }
}

export const migrationsFolder = (): string => join(findPackageRoot(), 'migrations');
