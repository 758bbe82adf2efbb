/**
 * bench/io: load + RAS+ reorientation + zoom(0.5, trilinear) of the 40 IXI scans,
 * against nibabel + as_closest_canonical + scipy.ndimage.zoom(order=1) on the same
 * files in the same run (bench/io/reference.py). Prints both and the ratio, and
 * writes bench/results/io.json.
 *
 *   npm run bench:io [-- --repeats 3 --data ../shared/data/ixi-t1-2mm/t1]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNifti, zoom } from '../../src/index.js';
import { SHARED_DATA } from '../lib/shared-data.js';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const dataDir = arg('data', `${SHARED_DATA}/ixi-t1-2mm/t1`);
const repeats = Number(arg('repeats', '3'));
const FACTOR = 0.5;

interface PipelineResult {
  loadMs: number;
  zoomMs: number;
  totalMs: number;
  sums: number[];
  shape: number[];
  allTotalMs?: number[];
}

async function runJs(files: string[]): Promise<PipelineResult> {
  let load = 0;
  let zoomMs = 0;
  const sums: number[] = [];
  let shape: number[] = [];
  for (const f of files) {
    const t0 = performance.now();
    const vol = await readNifti(f); // gunzip + decode + scale + RAS+ reorientation
    const t1 = performance.now();
    const small = zoom(vol, FACTOR, { order: 1 });
    const t2 = performance.now();
    load += t1 - t0;
    zoomMs += t2 - t1;
    let s = 0;
    for (const x of small.data) s += x;
    sums.push(s);
    shape = small.shape;
  }
  return { loadMs: load, zoomMs, totalMs: load + zoomMs, sums, shape };
}

/** The first python3 that imports nibabel and scipy, or null. */
function findPython(): string | null {
  for (const py of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p)) {
    const r = spawnSync(py, ['-c', 'import nibabel, scipy.ndimage'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

if (!existsSync(dataDir)) {
  console.log(`bench/io: skipped, ${dataDir} not found`);
  process.exit(0);
}
const files = readdirSync(dataDir)
  .filter((f) => f.endsWith('.nii.gz'))
  .sort()
  .map((f) => join(dataDir, f));
console.log(`bench/io: ${files.length} IXI scans, load + reorient + zoom ×${FACTOR} (order 1), best of ${repeats}; node ${process.version}, ${cpus().length} cores`);

await runJs(files.slice(0, 2)); // warm-up (JIT, page cache)
const jsRuns: PipelineResult[] = [];
for (let r = 0; r < repeats; r++) jsRuns.push(await runJs(files));
const js = jsRuns.reduce((a, b) => (b.totalMs < a.totalMs ? b : a));
js.allTotalMs = jsRuns.map((r) => r.totalMs);
const perScan = (ms: number): string => `${(ms / files.length).toFixed(1)} ms/scan`;
console.log(`transmri:  total ${js.totalMs.toFixed(0)} ms (${perScan(js.totalMs)}): load+reorient ${js.loadMs.toFixed(0)} ms, zoom ${js.zoomMs.toFixed(0)} ms; output ${js.shape.join('×')}`);

const py = findPython();
let python: Record<string, unknown> | null = null;
let ratio: number | null = null;
let maxRelDiff: number | null = null;
if (py === null) {
  console.log('python: skipped (no python3 with nibabel and scipy; apt-get install python3-nibabel python3-scipy)');
} else {
  const out = execFileSync(py, [join(here, 'reference.py'), String(repeats), String(FACTOR), ...files], { encoding: 'utf8', maxBuffer: 1 << 24 });
  python = JSON.parse(out) as Record<string, unknown>;
  for (const dtype of ['float32', 'float64']) {
    const p = python[dtype] as PipelineResult;
    console.log(`nibabel+scipy (${dtype}): total ${p.totalMs.toFixed(0)} ms (${perScan(p.totalMs)}): load+canonical ${p.loadMs.toFixed(0)} ms, zoom ${p.zoomMs.toFixed(0)} ms`);
  }
  const p32 = python.float32 as PipelineResult;
  ratio = p32.totalMs / js.totalMs;
  maxRelDiff = Math.max(...js.sums.map((s, i) => Math.abs(s - p32.sums[i]) / Math.abs(p32.sums[i])));
  console.log(`ratio python(float32)/transmri = ${ratio.toFixed(2)} (${ratio >= 1 ? 'transmri faster' : 'python faster'}); same result: max relative difference of per-scan sums ${maxRelDiff.toExponential(2)}`);
}

const results = join(here, '..', 'results');
mkdirSync(results, { recursive: true });
const record = {
  bench: 'io',
  date: new Date().toISOString(),
  node: process.version,
  cores: cpus().length,
  files: files.length,
  factor: FACTOR,
  repeats,
  transmri: { ...js, sums: undefined },
  python: python && {
    ...python,
    float32: { ...(python.float32 as PipelineResult), sums: undefined },
    float64: { ...(python.float64 as PipelineResult), sums: undefined },
  },
  ratioPythonFloat32OverTransmri: ratio,
  maxRelDiffOfSums: maxRelDiff,
};
writeFileSync(join(results, 'io.json'), JSON.stringify(record, null, 1));
console.log(`wrote ${join(results, 'io.json')}`);
