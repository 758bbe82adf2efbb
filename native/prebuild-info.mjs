// What a prebuilt addon was built from and needs (native/prebuild.mjs writes
// it to prebuilds/<platform>-<arch>/transmri.json; the install step and the
// loader read it to explain a load failure, the packaging test to check that
// the shipped addon matches the sources).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** sha256 over binding.gyp and every file under src/ (sorted relative paths and contents) of `dir`. */
export function sourceHash(dir = here) {
  const h = createHash('sha256');
  const files = ['binding.gyp'];
  const walk = (rel) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else files.push(r);
    }
  };
  walk('src');
  for (const f of files) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(dir, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Highest version of each versioned library the addon needs (objdump -T), e.g. { GLIBC: '2.32', GLIBCXX: '3.4.29' }. */
export function requiredVersions(file) {
  const r = spawnSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) return {};
  const best = {};
  const cmp = (a, b) => { const x = a.split('.').map(Number), y = b.split('.').map(Number); for (let i = 0; i < Math.max(x.length, y.length); i++) { if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0); } return 0; };
  for (const m of r.stdout.matchAll(/\b(GLIBC|GLIBCXX|CXXABI|GOMP)_(\d+(?:\.\d+)*)\b/g)) {
    if (best[m[1]] === undefined || cmp(m[2], best[m[1]]) > 0) best[m[1]] = m[2];
  }
  return best;
}

/** The info file of this platform's prebuild (undefined when absent or unreadable). */
export function prebuildInfo(dir = here) {
  try {
    return JSON.parse(readFileSync(join(dir, 'prebuilds', `${process.platform}-${process.arch}`, 'transmri.json'), 'utf8'));
  } catch {
    return undefined;
  }
}
