import { describe, expect, it } from 'vitest';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataBunch } from '../../../src/data/databunch/databunch.js';
import { SHARED_DATA } from '../../helpers/shared-data.js';

const ROOT = `${SHARED_DATA}/brain-tumor-mri`;

describe.skipIf(!existsSync(path.join(ROOT, 'Training')))(`DataBunch.fromFolder on brain-tumor-mri (skipped: ${SHARED_DATA}/brain-tumor-mri is absent)`, () => {
  it('honours Training/Testing, carves a stratified valid split from Training, finds the 103 byte-identical test images', async () => {
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-tumour-'));
    try {
      const warnings: string[] = [];
      // no near-duplicate scan here (it has its own tests and bench): this test is about the split and the byte-identical images
      const opts = { cacheDir, split: { valid: 0.2, seed: 7 }, nearDuplicates: { scan: false }, pipeline: { input: { kind: 'image2d' as const, size: [32, 32] as [number, number] } }, onWarning: (m: string) => warnings.push(m) };
      const bunch = await DataBunch.fromFolder(ROOT, opts);
      expect(warnings.join()).toMatch(/no subject ids/);
      expect(bunch.classes).toEqual(['glioma', 'meningioma', 'notumor', 'pituitary']);
      expect(bunch.sampleShape).toEqual([32, 32, 1]);
      // SOURCE.md: Training 5712 (1321/1339/1595/1457), Testing 1311
      expect(bunch.size('test')).toBe(1311);
      expect(bunch.size('train') + bunch.size('valid')).toBe(5712);
      const stats = bunch.stats();
      const training = { glioma: 1321, meningioma: 1339, notumor: 1595, pituitary: 1457 };
      for (const [label, n] of Object.entries(training)) expect(Math.abs(stats[1].labels[label] - 0.2 * n)).toBeLessThan(1);
      expect(stats[2].labels).toEqual({ glioma: 300, meningioma: 306, notumor: 405, pituitary: 300 });
      expect(bunch.splits.test.every((id) => id.startsWith('Testing/'))).toBe(true);
      const again = await DataBunch.fromFolder(ROOT, opts);
      expect(again.splits).toEqual(bunch.splits);

      const report = await bunch.leakage();
      // SOURCE.md: 103 Testing images (96 notumor, 5 pituitary, 2 meningioma) are byte-identical to a Training image
      expect(report.testDuplicates).toHaveLength(103);
      const byClass: Record<string, number> = {};
      for (const id of report.testDuplicates) byClass[id.split('/')[1]] = (byClass[id.split('/')[1]] ?? 0) + 1;
      expect(byClass).toEqual({ meningioma: 2, notumor: 96, pituitary: 5 });

      const dropped = await DataBunch.fromFolder(ROOT, { ...opts, dropTestDuplicates: true });
      expect(dropped.size('test')).toBe(1311 - 103);
      expect(warnings.join()).toMatch(/dropped 103 of 1311 test samples/);
    } finally {
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  });
});
