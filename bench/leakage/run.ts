/**
 * Near-duplicate bench (issue 17): the library's search (thumbnails + candidate stage + exact r)
 * against brute-force ground truths on a class-folder set (default: the whole brain-tumor-mri set,
 * 7,023 images), at the default threshold r ≥ 0.98.
 *
 * Ground truths, each over ALL test×train and valid×train pairs of the DataBunch default split
 * (Testing = test, valid = 15 % of Training, seed 42):
 *  - "same thumbnails": the library's thumbnails, Pearson r by a plain two-pass float64 loop here
 *    (no code shared with the search): measures the candidate stage's losses;
 *  - "independent": bench/leakage/ground_truth.py (/usr/bin/python3 + numpy + Pillow: its own
 *    decoding, resizing and centring, r by a matrix product), when python3 with numpy and Pillow is
 *    there: measures the whole method, decoding included.
 * Also the old detector (64-bit dHash, Hamming ≤ 2) against the same-thumbnail truth.
 * Writes bench/results/leakage.json.
 *
 *   npm run bench:leakage [-- ROOT] [--no-python]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dHash, DEFAULT_NEAR_THRESHOLD, folderRows, hamming, nearDuplicatePairs, splitItems, thumbnails } from '../../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const root = args.find((a) => !a.startsWith('--')) ?? '/work/shared/data/brain-tumor-mri';
const usePython = !args.includes('--no-python');
const T = DEFAULT_NEAR_THRESHOLD;

// --- the method under test, timed from the file list to the pairs ---
const load0 = os.loadavg()[0];
const t0 = performance.now();
const c0 = process.cpuUsage();
const { rows, hasTestFolder } = await folderRows(root);
const thumbs = await thumbnails(rows.map((r) => r.path));
const t1 = performance.now();
const search = nearDuplicatePairs(thumbs, T);
const t2 = performance.now();
const cpu = process.cpuUsage(c0);
const timing = {
  seconds: (t2 - t0) / 1000,
  decodeSeconds: (t1 - t0) / 1000,
  searchSeconds: (t2 - t1) / 1000,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  candidates: search.candidates,
  loadAverageBefore: load0,
  loadAverageAfter: os.loadavg()[0],
  cores: os.cpus().length,
};
console.log(`method: ${rows.length} images, ${search.pairs.length} pairs at r >= ${T}; ${timing.seconds.toFixed(1)} s wall (decode ${timing.decodeSeconds.toFixed(1)}, search ${timing.searchSeconds.toFixed(2)}), ${timing.cpuSeconds.toFixed(1)} s CPU, load ${load0.toFixed(1)} -> ${timing.loadAverageAfter.toFixed(1)} on ${timing.cores} cores`);

// --- the split (as DataBunch.fromFolder by default) ---
const ids = rows.map((r) => r.id as string);
const splits = splitItems(ids.map((id, k) => ({ id, label: rows[k].label ?? null, group: id, split: rows[k].split })), { valid: 0.15, test: hasTestFolder ? 0 : 0.15, seed: 42 });
const splitOf = new Map<string, 'train' | 'valid' | 'test'>();
for (const s of ['train', 'valid', 'test'] as const) for (const id of splits[s]) splitOf.set(id, s);
const index = new Map(ids.map((id, k) => [id, k]));
const train = splits.train.map((id) => index.get(id) as number);
const held = [...splits.valid, ...splits.test].map((id) => index.get(id) as number);
const key = (i: number, j: number): string => (i < j ? `${i},${j}` : `${j},${i}`);
/** Only pairs of a valid/test image with a train image count. */
const crossTrain = (i: number, j: number): boolean => {
  const [a, b] = [splitOf.get(ids[i]), splitOf.get(ids[j])];
  return (a === 'train') !== (b === 'train');
};
const method = new Set(search.pairs.filter((p) => crossTrain(p.i, p.j)).map((p) => key(p.i, p.j)));

// --- ground truth 1: same thumbnails, plain brute force in float64 ---
const tb = performance.now();
const d = thumbs[0].length;
const unit = thumbs.map((t) => {
  let mean = 0;
  for (let k = 0; k < d; k++) mean += t[k] / d;
  const u = new Float64Array(d);
  let ss = 0;
  for (let k = 0; k < d; k++) {
    u[k] = t[k] - mean;
    ss += u[k] * u[k];
  }
  const norm = Math.sqrt(ss);
  if (norm > 0) for (let k = 0; k < d; k++) u[k] /= norm;
  return norm > 1e-6 * d ? u : null;
});
const truthSame = new Set<string>();
for (const i of held) {
  const ui = unit[i];
  if (!ui) continue;
  for (const j of train) {
    const uj = unit[j];
    if (!uj) continue;
    let r = 0;
    for (let k = 0; k < d; k++) r += ui[k] * uj[k];
    if (r >= T) truthSame.add(key(i, j));
  }
}
console.log(`brute force (same thumbnails): ${held.length} x ${train.length} pairs in ${((performance.now() - tb) / 1000).toFixed(1)} s`);

// --- the old detector: dHash, Hamming <= 2 ---
const hashes = thumbs.map((t) => dHash(t, 32, 32));
const dhash = new Set<string>();
for (const i of held) for (const j of train) if (hamming(hashes[i], hashes[j]) <= 2) dhash.add(key(i, j));

// --- ground truth 2: independent (python: Pillow + numpy) ---
let truthIndependent: Set<string> | undefined;
let python: Record<string, unknown> | undefined;
if (usePython && existsSync('/usr/bin/python3')) {
  const out = path.join(os.tmpdir(), `transmri-leakage-truth-${process.pid}.json`);
  try {
    execFileSync('/usr/bin/python3', [path.join(here, 'ground_truth.py'), root, out, '--floor', String(T)], { stdio: ['ignore', 'inherit', 'inherit'] });
    const gt = JSON.parse(await fs.readFile(out, 'utf8')) as { files: string[]; pairs: Array<[number, number, number]>; seconds: number; decodeSeconds: number };
    const byRel = new Map(gt.files.map((f, k) => [k, index.get(f)]));
    truthIndependent = new Set();
    for (const [a, b] of gt.pairs) {
      const [i, j] = [byRel.get(a), byRel.get(b)];
      if (i !== undefined && j !== undefined && crossTrain(i, j)) truthIndependent.add(key(i, j));
    }
    python = { seconds: gt.seconds, decodeSeconds: gt.decodeSeconds };
  } catch (err) {
    console.log(`python ground truth skipped: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await fs.rm(out, { force: true });
  }
}

/** Pair-level and image-level precision/recall, and flagged images per split. */
function score(found: Set<string>, truth: Set<string>): Record<string, unknown> {
  const tp = [...found].filter((k) => truth.has(k)).length;
  const images = (pairs: Set<string>): Map<'valid' | 'test', Set<number>> => {
    const out = new Map<'valid' | 'test', Set<number>>([['valid', new Set()], ['test', new Set()]]);
    for (const k of pairs) {
      for (const i of k.split(',').map(Number)) {
        const s = splitOf.get(ids[i]);
        if (s === 'valid' || s === 'test') (out.get(s) as Set<number>).add(i);
      }
    }
    return out;
  };
  const [fi, ti] = [images(found), images(truth)];
  const perSplit = Object.fromEntries(
    (['valid', 'test'] as const).map((s) => {
      const [f, t] = [fi.get(s) as Set<number>, ti.get(s) as Set<number>];
      const both = [...f].filter((i) => t.has(i)).length;
      return [s, { flagged: f.size, truth: t.size, precision: f.size ? both / f.size : 1, recall: t.size ? both / t.size : 1 }];
    }),
  );
  return { pairs: found.size, truthPairs: truth.size, precision: found.size ? tp / found.size : 1, recall: truth.size ? tp / truth.size : 1, images: perSplit };
}

const results = {
  dataset: root,
  images: rows.length,
  threshold: T,
  split: { valid: 0.15, seed: 42, sizes: { train: splits.train.length, valid: splits.valid.length, test: splits.test.length } },
  thumbnails: 'grey, decoded by sharp to 64x64 (fit fill), centred on the intensity centroid, 32x32; see src/data/databunch/thumbnails.ts',
  timing,
  vsSameThumbnails: score(method, truthSame),
  vsIndependent: truthIndependent ? score(method, truthIndependent) : null,
  independentTruth: python ?? null,
  oldDHashHamming2VsSameThumbnails: score(dhash, truthSame),
  date: new Date().toISOString(),
};
console.log(JSON.stringify({ vsSameThumbnails: results.vsSameThumbnails, vsIndependent: results.vsIndependent, oldDHash: results.oldDHashHamming2VsSameThumbnails }, null, 1));
await fs.mkdir(path.join(here, '..', 'results'), { recursive: true });
await fs.writeFile(path.join(here, '..', 'results', 'leakage.json'), JSON.stringify(results, null, 2) + '\n');
