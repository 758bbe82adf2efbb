/**
 * Where the running transmri package lives: its root (the folder of its package.json), its version,
 * and whether it runs from a source checkout (src/*.ts through tsx) or from the built dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The package root: the nearest folder above this module whose package.json is named transmri. */
export function packageRoot(): string {
  let dir = here;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'transmri') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`transmri: no package.json named transmri above ${here}`);
    dir = up;
  }
}

/** The version in package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** True when this module is TypeScript source run through tsx (a repository checkout), false from dist/. */
export function runningFromSource(): boolean {
  return import.meta.url.endsWith('.ts');
}
