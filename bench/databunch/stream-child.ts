/**
 * Child of bench/databunch/run.ts: writes a synthetic cohort, points `copies` symlinks at each
 * scan (distinct cache entries), zooms ×2 to 128³ float32 (8 MiB per cached sample), streams
 * two epochs and prints {cacheBytes, peakRssBytes, ...} as JSON on the last line.
 * Usage: node --max-old-space-size=256 --import tsx bench/databunch/stream-child.ts <dir> <copies>
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataBunch, type DataBunchRow } from '../../src/index.js';
import { writeCohort } from '../../src/data/synthetic/write.js';

const [dir, copiesArg] = process.argv.slice(2);
const copies = Number(copiesArg);
const { rows: csvRows } = await writeCohort(path.join(dir, 'cohort'), { seed: 1, subjects: 16, sessions: 1, shape: [64, 64, 64], spacing: 3 });
const rows: DataBunchRow[] = [];
await fs.mkdir(path.join(dir, 'links'), { recursive: true });
for (const r of csvRows) {
  for (let c = 0; c < copies; c++) {
    const link = path.join(dir, 'links', `${r.subject}_copy${c}.nii.gz`);
    await fs.symlink(path.join(dir, 'cohort', r.path), link);
    rows.push({ path: link, label: r.label, subject: `${r.subject}_copy${c}` });
  }
}
const bunch = await DataBunch.fromRows(rows, {
  onWarning: () => {},
  cacheDir: path.join(dir, 'cache'),
  pipeline: { steps: [{ op: 'zoom', factor: 2, order: 1 }] },
  split: { valid: 0.1, test: 0.1, seed: 1 },
});
let n = 0;
const t0 = performance.now();
for (let e = 0; e < 2; e++) for await (const b of bunch.batches('train', { batchSize: 4, epoch: e })) n += b.ids.length;
const entries = Object.values((await bunch.cache.manifest()).entries);
const cacheBytes = entries.reduce((a, x) => a + x.byteLength, 0);
console.log(JSON.stringify({ samplesStreamed: n, cachedSamples: entries.length, sampleShape: bunch.sampleShape, cacheBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024, seconds: (performance.now() - t0) / 1000 }));
