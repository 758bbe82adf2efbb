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
 * Timing: cold (an empty thumbnail cache: every image decoded, the cache written) and warm (the
 * same files again: thumbnails from the cache, then the search), each from the file listing to the
 * pairs; the warm thumbnails must equal the cold ones bit for bit.
 * Writes bench/results/leakage.json.
 *
 *   npm run bench:leakage [-- ROOT] [--no-python] [--truth FILE] [--workers N]
 *
 * --truth FILE: the independent truth's output (it takes minutes and does not depend on this
 * library): read from FILE when it exists, else computed and written there.
 * --workers N: thumbnail worker threads beside the main thread (ThumbnailsOptions.workers; default 0).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dHash, DEFAULT_NEAR_THRESHOLD, folderRows, hamming, nearDuplicatePairs, splitItems, thumbnailsWithStats } from '../../src/index.js';
import { SHARED_DATA } from '../lib/shared-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const truthFile = args.includes('--truth') ? args[args.indexOf('--truth') + 1] : undefined;
const workers = args.includes('--workers') ? Number(args[args.indexOf('--workers') + 1]) : 0;
const root = args.find((a, k) => !a.startsWith('--') && args[k - 1] !== '--truth' && args[k - 1] !== '--workers') ?? `${SHARED_DATA}/brain-tumor-mri`;
const usePython = !args.includes('--no-python');
const T = DEFAULT_NEAR_THRESHOLD;

// --- the method under test, timed from the file list to the pairs: cold (empty cache), then warm ---
const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-bench-thumbs-'));
/** One timed run: listing, thumbnails (through the cache in `cacheDir`), search. */
async function timed(): Promise<{ rows: Awaited<ReturnType<typeof folderRows>>; thumbs: Float32Array[]; search: ReturnType<typeof nearDuplicatePairs>; timing: Record<string, number> }> {
  const load0 = os.loadavg()[0];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const listing = await folderRows(root);
  const scan = await thumbnailsWithStats(listing.rows.map((r) => r.path), { cacheDir, workers });
  const t1 = performance.now();
  const search = nearDuplicatePairs(scan.thumbs, T);
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  const timing = {
    seconds: (t2 - t0) / 1000,
    decodeSeconds: (t1 - t0) / 1000,
    searchSeconds: (t2 - t1) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    workers,
    fromCache: scan.fromCache,
    decoded: scan.decoded,
    candidates: search.candidates,
    loadAverageBefore: load0,
    loadAverageAfter: os.loadavg()[0],
    cores: os.cpus().length,
  };
  return { rows: listing, thumbs: scan.thumbs, search, timing };
}
const cold = await timed();
const warm = await timed();
await fs.rm(cacheDir, { recursive: true, force: true });
const { rows, hasTestFolder } = cold.rows;
const { thumbs, search } = cold;
if (warm.thumbs.some((t, k) => Buffer.compare(Buffer.from(t.buffer, t.byteOffset, t.byteLength), Buffer.from(thumbs[k].buffer, thumbs[k].byteOffset, thumbs[k].byteLength)) !== 0)) {
  throw new Error('warm thumbnails differ from the cold ones');
}
if (warm.search.pairs.length !== search.pairs.length) throw new Error('warm search found other pairs');
for (const [name, run] of [['cold', cold], ['warm', warm]] as const) {
  const t = run.timing;
  console.log(
    `method (${name}): ${rows.length} images (${t.decoded} decoded, ${t.fromCache} from the cache), ${run.search.pairs.length} pairs at r >= ${T}; ${t.seconds.toFixed(1)} s wall ` +
      `(listing + thumbnails ${t.decodeSeconds.toFixed(1)}, search ${t.searchSeconds.toFixed(2)}), ${t.cpuSeconds.toFixed(1)} s CPU, load ${t.loadAverageBefore.toFixed(1)} -> ${t.loadAverageAfter.toFixed(1)} on ${t.cores} cores`,
  );
}
const timing = { cold: cold.timing, warm: warm.timing };

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
if (usePython && (existsSync('/usr/bin/python3') || (truthFile !== undefined && existsSync(truthFile)))) {
  const out = truthFile ?? path.join(os.tmpdir(), `transmri-leakage-truth-${process.pid}.json`);
  try {
    if (!existsSync(out)) execFileSync('/usr/bin/python3', [path.join(here, 'ground_truth.py'), root, out, '--floor', String(T)], { stdio: ['ignore', 'inherit', 'inherit'] });
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
    if (truthFile === undefined) await fs.rm(out, { force: true });
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
  thumbnails: 'luma: JPEG by DCT scaling (exact s x s block means, s <= side/64) box-averaged to 64x64, others by sharp to 64x64 (fit fill); centred on the intensity centroid, 32x32; see src/data/databunch/thumbnails.ts',
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
