import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Volume, writeCohort, writeNifti } from '../../src/index.js';
import { main } from '../../scripts/ixi-transfer.js';
import { ixiRows } from '../../scripts/lib/ixi.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'transmri-ixi-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Synthetic stand-in laid out like the IXI folder: participants.csv (MRID,Age,Sex) and t1/<MRID>_T1.nii.gz. */
async function fakeIxi(subjects: number): Promise<string> {
  const root = path.join(dir, 'ixi');
  const { rows } = await writeCohort(root, { seed: 21, subjects, sessions: 1, shape: [32, 32, 32], imageDir: 't1', csvName: 'cohort.csv' });
  const lines = ['MRID,Age,Sex'];
  for (const [i, r] of rows.entries()) {
    const mrid = `IXI${100 + i}-HH-${1400 + i}`;
    await rename(path.join(root, r.path), path.join(root, 't1', `${mrid}_T1.nii.gz`));
    lines.push(`${mrid},${r.age.toFixed(2)},${i % 2 === 0 ? 'F' : 'M'}`);
  }
  await writeFile(path.join(root, 'participants.csv'), `${lines.join('\n')}\n`);
  return root;
}

describe('scripts/ixi-transfer.ts on synthetic volumes laid out like IXI', () => {
  it('runs k-fold CAE pretraining + probes vs PCA, writes results.json, and repeats exactly with the same seed', async () => {
    const data = await fakeIxi(8);
    const rows = await ixiRows(data);
    expect(rows).toHaveLength(8);
    expect(rows[1]).toMatchObject({ id: 'IXI101-HH-1401', subject: 'IXI101-HH-1401', label: 'M' });
    const config = { data, crop: '32x32x32', zoom: 0.75, epochs: 1, batchSize: 4, folds: 2, pcaComponents: 3, bootstrap: 100, quiet: true, cacheDir: path.join(dir, 'cache') };
    const a = await main({ ...config, out: path.join(dir, 'a') });
    expect(a.subjects).toBe(8);
    expect(a.inputShape).toEqual([24, 24, 24, 1]);
    expect(a.codeDim).toBe(3 * 3 * 3 * 16); // 24 → 12 → 6 → 3, 16 code channels
    for (const m of [a.methods.cae, a.methods.pca]) {
      expect(m.folds).toHaveLength(2);
      for (const s of [m.ageMae, m.ageR, m.sexBalancedAccuracy, m.reconstructionMse]) expect(s.ci[0]).toBeLessThanOrEqual(s.ci[1]);
      expect(m.ageMae.value).toBeGreaterThan(0);
      expect(m.sexBalancedAccuracy.value).toBeGreaterThanOrEqual(0);
      expect(m.sexBalancedAccuracy.value).toBeLessThanOrEqual(1);
      expect(m.reconstructionMse.value).toBeGreaterThan(0);
      // Per-class sex scores (issue 17 item 5), pooled out of fold: 4 F and 4 M subjects, recall × 4 is
      // the diagonal, and the balanced accuracy is the mean recall.
      expect(m.sexClass.confusion.map((row) => row[0] + row[1])).toEqual([4, 4]);
      for (const c of [0, 1]) expect(m.sexClass.recall[c] * 4).toBeCloseTo(m.sexClass.confusion[c][c], 9);
      expect((m.sexClass.recall[0] + m.sexClass.recall[1]) / 2).toBeCloseTo(m.sexBalancedAccuracy.value, 9);
    }
    expect(a.table).toContain('| sex recall F | sex recall M | sex confusion (rows true F/M, columns predicted) |');
    const [f, mm] = a.methods.cae.sexClass.confusion;
    expect(a.table).toContain(`| ${a.methods.cae.sexClass.recall[0].toFixed(3)} | ${a.methods.cae.sexClass.recall[1].toFixed(3)} | [${f.join(' ')}; ${mm.join(' ')}] |`);
    // 3 of at most 3 components (4 training subjects) on z-scored voxels leave a part of the variance unexplained (MSE < ~1).
    expect(a.methods.pca.reconstructionMse.value).toBeLessThan(1.5);
    expect(a.notes[0]).toMatch(/no brain mask/);
    const saved = JSON.parse(await readFile(path.join(dir, 'a', 'results.json'), 'utf8'));
    expect(saved.table).toContain('PCA on voxels (3)');
    expect(await readFile(a.report, 'utf8')).toContain('IXI: CAE pretraining probed for sex and age');
    const b = await main({ ...config, out: path.join(dir, 'b') });
    expect(b.methods).toEqual(a.methods);
    expect(b.table).toBe(a.table);
  }, 120_000);

  it('refuses a mask that is not on the scans\' grid', async () => {
    const data = existsSync(path.join(dir, 'ixi')) ? path.join(dir, 'ixi') : await fakeIxi(8);
    const mask = path.join(dir, 'mask-20.nii.gz');
    await writeNifti(mask, new Volume({ data: new Float32Array(20 ** 3).fill(1), shape: [20, 20, 20], spacing: [2, 2, 2] }));
    await expect(main({ data, mask, quiet: true, out: path.join(dir, 'c') })).rejects.toThrow(/20x20x20 grid.*32x32x32.*register/);
  });

  it('rejects unknown options', async () => {
    await expect(main({ epoch: 3 } as never)).rejects.toThrow(/epoch/);
  });
});
