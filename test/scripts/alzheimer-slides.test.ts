import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../scripts/alzheimer-slides.js';
import { folderRows } from '../../src/data/databunch/sources.js';
import { Rng } from '../../src/backend/rng.js';
import { DataBunch } from '../../src/data/databunch/databunch.js';
import { greyPng } from '../../src/viz/figures/raster.js';
import { SHARED_DATA } from '../helpers/shared-data.js';

describe('imbalance wiring on a small folder dataset (8 / 8 / 2 training images)', () => {
  it('class weights are N / (K · n_k) and oversampling streams every class 8 times per epoch', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'alz-imb-'));
    try {
      const rng = new Rng(4);
      const counts: Record<string, number> = { common: 10, other: 10, rare: 4 };
      for (const [label, n] of Object.entries(counts)) {
        await mkdir(path.join(root, label));
        for (let i = 0; i < n; i++) {
          const data = Float32Array.from({ length: 16 * 16 }, () => rng.int(256));
          await writeFile(path.join(root, label, `${i}.png`), await greyPng({ name: 'axial', width: 16, height: 16, data }, 0, 255));
        }
      }
      const { rows, hasTestFolder: hasTest } = await folderRows(root, { extensions: ['.png'] });
      expect(hasTest).toBe(false);
      expect(rows).toHaveLength(24);
      // Pin the splits: the last two images of each class are valid and test, the rest train (8 / 8 / 2).
      for (const r of rows) {
        const i = Number(path.basename(r.path, '.png'));
        const n = counts[r.label as string];
        r.split = i === n - 2 ? 'valid' : i === n - 1 ? 'test' : 'train';
      }
      const bunch = await DataBunch.fromRows(rows, {
        pipeline: { input: { kind: 'image2d', mode: 'grey' }, steps: [{ op: 'contrast2d' }] },
        oversample: true,
        cacheDir: path.join(root, 'cache'),
        onWarning: () => undefined,
      });
      expect(bunch.classes).toEqual(['common', 'other', 'rare']);
      // N = 18 training images, K = 3: 18 / (3 · 8) = 0.75, 0.75; 18 / (3 · 2) = 3.
      const w = bunch.classWeights();
      [0.75, 0.75, 3].forEach((e, i) => expect(w[i]).toBeCloseTo(e, 12));
      const seen = [0, 0, 0];
      for await (const batch of bunch.batches('train', { batchSize: 5, shuffle: true, augment: false })) for (const y of batch.y) seen[y] += 1;
      expect(seen).toEqual([8, 8, 8]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 30_000);
});

const ROOT = `${SHARED_DATA}/brain-tumor-mri`;

describe.skipIf(!existsSync(ROOT))(`scripts/alzheimer-slides.ts on ${ROOT} (skipped when the data folder is absent)`, () => {
  it('runs end to end on 40 images for 1 epoch: leakage counts, balanced accuracy, per-class recall, macro-F1, results.json and report.html', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'alz-'));
    try {
      const results = (await main(['--root', ROOT, '--limit', '5', '--valid', '0.2', '--size', '32', '--epochs', '1', '--batchSize', '8', '--groupBy', 'nearDuplicates', '--out', out, '--quiet'])) as {
        classes: string[];
        classWeights: number[];
        leakage: { byteIdentical: number; nearDuplicates: number; contamination: Record<'valid' | 'test', { n: number; flagged: number; share: number }> | null };
        test: { n: number; balancedAccuracy: number; macroF1: number; recall: Record<string, number>; confusion: number[][] };
      };
      // 5 Training (4 train + 1 valid) + 5 Testing images of each of the 4 classes.
      expect(results.classes).toEqual(['glioma', 'meningioma', 'notumor', 'pituitary']);
      expect(results.test.n).toBe(20);
      // Balanced classes in training → inverse-frequency weights all 1.
      results.classWeights.forEach((w) => expect(w).toBeCloseTo(1, 10));
      expect(Object.keys(results.test.recall)).toEqual(results.classes);
      const meanRecall = Object.values(results.test.recall).reduce((a, b) => a + b, 0) / 4;
      expect(results.test.balancedAccuracy).toBeCloseTo(meanRecall, 10);
      expect(results.test.confusion.flat().reduce((a, b) => a + b, 0)).toBe(20);
      expect(Number.isInteger(results.leakage.byteIdentical) && Number.isInteger(results.leakage.nearDuplicates)).toBe(true);
      // contamination per split: valid (4 images, grouped by near-duplicates) and test (the 20 Testing images)
      const c = results.leakage.contamination;
      expect(c && [c.valid.n, c.test.n]).toEqual([4, 20]);
      for (const s of ['valid', 'test'] as const) expect(c && c[s].share).toBeCloseTo((c as NonNullable<typeof c>)[s].flagged / (c as NonNullable<typeof c>)[s].n, 12);
      const saved = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as { test: { macroF1: number } };
      expect(saved.test.macroF1).toBe(results.test.macroF1);
      const html = await readFile(path.join(out, 'report.html'), 'utf8');
      expect(html).toContain('Alzheimer-slides pipeline');
      expect(html).toContain('Contamination (images with a near-duplicate in train, r ≥ 0.98): valid ');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('scripts/alzheimer-slides.ts options', () => {
  it('--groupBy other than subject or nearDuplicates is an OptionError naming it, before any data is read', async () => {
    await expect(main(['--root', '/nonexistent', '--groupBy', 'patient', '--quiet'])).rejects.toThrow(/--groupBy.*expected 'subject' or 'nearDuplicates', got "patient"/);
  });
});
