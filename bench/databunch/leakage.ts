/**
 * Near-duplicate report on brain-tumor-mri (issues 10, 17): byte-identical test∩train images and,
 * at several Pearson-r thresholds of the centred 32×32 grey thumbnails, how many more test images
 * have a near-duplicate in train or valid. Writes bench/results/databunch-leakage.json.
 * (Precision/recall against brute-force ground truths: bench/leakage/run.ts.)
 * Usage: npx tsx bench/databunch/leakage.ts [root] [cacheDir]
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataBunch } from '../../src/index.js';
import { SHARED_DATA } from '../lib/shared-data.js';

const root = process.argv[2] ?? `${SHARED_DATA}/brain-tumor-mri`;
const cacheDir = process.argv[3] ?? path.join(os.tmpdir(), 'transmri-bench-leakage');
const t0 = Date.now();
const bunch = await DataBunch.fromFolder(root, { cacheDir, split: { valid: 0.15, seed: 42 }, pipeline: { input: { kind: 'image2d', size: [64, 64] } } });
const results: Record<string, unknown>[] = [];
for (const threshold of [0.995, 0.99, 0.98, 0.95]) {
  const r = await bunch.leakage({ voxels: true, nearDuplicates: { threshold } });
  const row = {
    threshold,
    byteIdenticalPairs: r.bytes.length,
    voxelIdenticalPairs: r.voxels.length,
    testByteDuplicates: new Set(r.bytes.flatMap((p) => (p.aSplit === 'test' ? [p.a] : p.bSplit === 'test' ? [p.b] : []))).size,
    testByteOrVoxelDuplicates: r.testDuplicates.length,
    testNearDuplicatesBeyondIdentical: r.testNearDuplicates.length,
    nearPairs: r.near.length,
    validDuplicates: r.validDuplicates.length,
    seconds: (Date.now() - t0) / 1000,
  };
  console.log(JSON.stringify(row));
  results.push(row);
}
await fs.mkdir('bench/results', { recursive: true });
await fs.writeFile('bench/results/databunch-leakage.json', JSON.stringify({ dataset: root, hash: 'near = not identical, Pearson r of the centred 32x32 grey thumbnails >= threshold; voxel-identical = equal 64x64 grey pixels', split: { valid: 0.15, seed: 42 }, results }, null, 2) + '\n');
