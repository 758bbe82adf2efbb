/**
 * Reads every IXI scan and every brain-tumour image in the shared data folder
 * and prints counts, shapes, failures and time. Exit code 1 on any failure,
 * 2 when the data folder (or both data sets in it) is missing.
 *
 *   npx tsx scripts/check-data.ts [--root DIR]
 *
 * DIR defaults to ../shared/data beside the repository (resolved from this
 * file, so the script runs from any working directory).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readImage2d, readNifti, sniffImageFormat } from '../src/index.js';
import { parseCli } from './lib/cli.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opts = parseCli({
  name: 'scripts/check-data.ts',
  description: 'Reads every IXI T1 scan (ixi-t1-2mm/t1) and brain-tumour image (brain-tumor-mri) under the data folder; prints counts, shapes, failures and time.',
  defaults: { root: relative(process.cwd(), resolve(repo, '..', 'shared', 'data')) || '.' },
  options: { root: { type: 'string', help: 'data folder holding ixi-t1-2mm/ and brain-tumor-mri/; relative to the working directory, resolved beside the repository by default' } },
});
const root = resolve(opts.root);
function missing(message: string): never {
  process.stderr.write(`scripts/check-data.ts: ${message}; pass --root DIR (the folder that holds ixi-t1-2mm/ and brain-tumor-mri/)\n`);
  process.exit(2);
}
if (!existsSync(root)) missing(`data folder ${root} not found`);
if (!existsSync(join(root, 'ixi-t1-2mm', 't1')) && !existsSync(join(root, 'brain-tumor-mri'))) {
  missing(`neither ixi-t1-2mm/t1 nor brain-tumor-mri found in ${root}`);
}
const failures: string[] = [];

function tally(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
function top(map: Map<string, number>, n: number): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');
}

async function checkIxi(): Promise<void> {
  const dir = join(root, 'ixi-t1-2mm', 't1');
  if (!existsSync(dir)) {
    console.log(`IXI: skipped (${dir} not found)`);
    return;
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.nii.gz')).sort();
  const t0 = performance.now();
  const shapes = new Map<string, number>();
  let min = Infinity;
  let max = -Infinity;
  for (const f of files) {
    try {
      const v = await readNifti(join(dir, f));
      tally(shapes, `${v.shape.join('×')} @ ${v.spacing.join('×')} mm`);
      for (const x of v.data) {
        if (x < min) min = x;
        if (x > max) max = x;
      }
    } catch (err) {
      failures.push(`${f}: ${(err as Error).message}`);
    }
  }
  const ms = performance.now() - t0;
  console.log(`IXI T1: ${files.length} files, ${files.length - failures.length} read, RAS+ shapes: ${top(shapes, 5)}; values ${min.toFixed(1)}..${max.toFixed(1)}; ${(ms / 1000).toFixed(2)} s (${(ms / files.length).toFixed(1)} ms/scan)`);
}

async function checkTumour(): Promise<void> {
  const base = join(root, 'brain-tumor-mri');
  if (!existsSync(base)) {
    console.log(`brain-tumor-mri: skipped (${base} not found)`);
    return;
  }
  const files: Array<{ split: string; cls: string; path: string }> = [];
  for (const split of ['Training', 'Testing']) {
    for (const cls of readdirSync(join(base, split)).sort()) {
      for (const f of readdirSync(join(base, split, cls)).sort()) files.push({ split, cls, path: join(base, split, cls, f) });
    }
  }
  const before = failures.length;
  const counts = new Map<string, number>();
  const sizes = new Map<string, number>();
  const formats = new Map<string, number>();
  const pngs: string[] = [];
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const item = files[next++];
      try {
        const format = sniffImageFormat(readFileSync(item.path).subarray(0, 8)) ?? 'unknown';
        tally(formats, format);
        if (format === 'png') pngs.push(item.path.slice(base.length + 1));
        const img = await readImage2d(item.path, { mode: 'grey' });
        tally(sizes, `${img.shape[0]}×${img.shape[1]}`);
        tally(counts, `${item.split}/${item.cls}`);
      } catch (err) {
        failures.push(`${item.path}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const ms = performance.now() - t0;
  console.log(`brain-tumor-mri: ${files.length} files, ${files.length - (failures.length - before)} read in ${(ms / 1000).toFixed(1)} s (${(ms / files.length).toFixed(2)} ms/image)`);
  console.log(`  per split/class: ${[...counts.entries()].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`  formats by magic bytes: ${top(formats, 5)}; PNGs: ${pngs.sort().join(', ')}`);
  console.log(`  ${sizes.size} distinct sizes (H×W); most common: ${top(sizes, 6)}`);
}

const start = performance.now();
await checkIxi();
await checkTumour();
console.log(`failures: ${failures.length}`);
for (const f of failures.slice(0, 20)) console.log(`  ${f}`);
console.log(`total time ${((performance.now() - start) / 1000).toFixed(1)} s`);
process.exitCode = failures.length === 0 ? 0 : 1;
