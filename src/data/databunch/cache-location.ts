/**
 * Where a DataBunch's sample cache lives by default: next to the data (`<data folder>/.transmri-cache`),
 * so each dataset has its own and its size is seen where the data is; and how big it is once filled.
 */
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Name of the default cache folder inside the data folder. */
export const CACHE_DIR_NAME = '.transmri-cache';

/** The deepest folder holding every file (the files' own folder for one file). */
export function commonDir(files: readonly string[]): string {
  if (files.length === 0) return process.cwd();
  const parts = files.map((f) => path.dirname(path.resolve(f)).split(path.sep));
  let n = parts[0].length;
  for (const p of parts) {
    let i = 0;
    while (i < n && i < p.length && p[i] === parts[0][i]) i++;
    n = i;
  }
  return parts[0].slice(0, n).join(path.sep) || path.sep;
}

/**
 * The default cache folder of data in `dataDir`: `<dataDir>/.transmri-cache` when it exists and can
 * be written, or can be created (`dataDir` has a write permission bit: root can write anywhere, so a
 * folder without one counts as read-only data); otherwise (read-only data) `<os tmpdir>/transmri-cache/<sha1 of dataDir, 12 hex>`,
 * said through `warn` (one folder per dataset either way, never one shared by every project).
 */
export async function defaultCacheDir(dataDir: string, warn: (message: string) => void): Promise<string> {
  const next = path.join(path.resolve(dataDir), CACHE_DIR_NAME);
  try {
    if (!(await fs.stat(next).catch(() => null))) {
      // a data folder without write permission is read-only data, even for root (whom access() lets write anywhere)
      const mode = (await fs.stat(path.resolve(dataDir))).mode & 0o777;
      if ((mode & 0o222) === 0) throw Object.assign(new Error('read-only'), { code: `mode ${mode.toString(8)}` });
    }
    await fs.mkdir(next, { recursive: true });
    await fs.access(next, constants.W_OK);
    return next;
  } catch (error) {
    const tmp = path.join(os.tmpdir(), 'transmri-cache', createHash('sha1').update(path.resolve(dataDir)).digest('hex').slice(0, 12));
    warn(`DataBunch: the data folder ${dataDir} cannot hold the cache (${(error as NodeJS.ErrnoException).code ?? error}); caching in ${tmp} (DataBunchOptions.cacheDir chooses another folder)`);
    return tmp;
  }
}

/** Bytes of the files under `dir` (recursively; 0 for a missing folder). */
export async function directorySize(dir: string): Promise<number> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await directorySize(p);
    else if (e.isFile()) total += (await fs.stat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** `926.4 MB`, `51.0 kB`, `12 B` (powers of 1000). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}
