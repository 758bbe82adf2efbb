import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTransferSeeds, type TransferSeedsConfig } from '../../scripts/transfer-seeds.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

describe('scripts/transfer-seeds.ts (CI variant: 1 seed, tiny cohort, one epoch per phase)', () => {
  expectNoTensorLeaks();
  const dirs: string[] = [];
  beforeAll(() => {
    dirs.push(mkdtempSync(path.join(tmpdir(), 'transmri-ts-a-')), mkdtempSync(path.join(tmpdir(), 'transmri-ts-b-')));
  });
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const cfg = (out: string): TransferSeedsConfig => ({
    seed: 1,
    seeds: '0,1,2,3,4',
    out,
    subjects: 16,
    size: 16,
    aeEpochs: 1,
    clfEpochs: 1,
    batchSize: 4,
    flip: 0.5,
    bootstrap: 10,
    variants: 'transfer,unfrozen,multitask,scratch',
  });

  it('writes the table and results.json for every variant, and the same seed gives the same numbers', async () => {
    const first = await runTransferSeeds(cfg(dirs[0]), () => {});
    expect(first.seeds).toEqual([1]);
    const row = first.perSeed[0];
    expect(Object.keys(row.variants).sort()).toEqual(['multitask', 'scratch', 'transfer', 'unfrozen']);
    for (const v of Object.values(row.variants)) {
      expect(Number.isFinite(v.balancedAccuracy)).toBe(true);
      expect(v.balancedAccuracy).toBeGreaterThanOrEqual(0);
      expect(v.balancedAccuracy).toBeLessThanOrEqual(1);
    }
    // per-class recall and the confusion matrix of every variant: recall[k] = confusion[k][k] / row k's total, balanced accuracy their mean
    expect(first.classes).toHaveLength(2);
    for (const v of Object.values(row.variants)) {
      expect(v.confusion).toHaveLength(2);
      v.recall.forEach((r, k) => expect(r).toBeCloseTo(v.confusion[k][k] / v.confusion[k].reduce((a, b) => a + b, 0), 12));
      expect(v.balancedAccuracy).toBeCloseTo((v.recall[0] + v.recall[1]) / 2, 12);
    }
    expect(Number.isFinite(row.pretrainMse[0]) && Number.isFinite(row.pretrainMse[1])).toBe(true);
    expect(first.vsScratch.transfer!.mean).toBeCloseTo(row.variants.transfer!.balancedAccuracy - row.variants.scratch!.balancedAccuracy, 12);
    expect(first.vsScratch.scratch).toBeUndefined();
    const table = readFileSync(path.join(dirs[0], 'table.md'), 'utf8');
    expect(table).toContain('| variant | test balanced accuracy, mean ± sd (1 seeds) | minus scratch, mean ± sd | better / tie / worse than scratch | seed 1 |');
    for (const v of ['transfer', 'unfrozen', 'multitask', 'scratch']) expect(table).toMatch(new RegExp(`\\| ${v} \\| \\d\\.\\d{3} ± \\d\\.\\d{3} \\|`));
    expect(table).toContain(`| model | recall ${first.classes[0]} | recall ${first.classes[1]} | confusion (rows true ${first.classes.join('/')}, columns predicted; summed over runs) |`);
    const sc = row.variants.scratch!;
    expect(table).toContain(`| scratch | ${sc.recall[0].toFixed(3)} ± 0.000 | ${sc.recall[1].toFixed(3)} ± 0.000 | [${sc.confusion[0].join(' ')}; ${sc.confusion[1].join(' ')}] |`);
    const saved = JSON.parse(readFileSync(path.join(dirs[0], 'results.json'), 'utf8')) as typeof first;
    expect(saved.summary.unfrozen!.values).toEqual([row.variants.unfrozen!.balancedAccuracy]);

    const second = await runTransferSeeds(cfg(dirs[1]), () => {});
    const strip = (r: typeof first) => r.perSeed.map((p) => ({ mse: p.pretrainMse, variants: Object.entries(p.variants).map(([k, v]) => [k, v.balancedAccuracy, v.auc]) }));
    expect(strip(second)).toEqual(strip(first));
  }, 60_000);

  it('rejects an unknown variant by option name', async () => {
    await expect(runTransferSeeds({ ...cfg(dirs[0]), variants: 'transfer,finetune' }, () => {})).rejects.toThrow(/--variants/);
  });
});
