import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataBunch, OptionError, classifierEpochs, pretrainCae, trainScratch, trainTransfer, trainUnfrozen, writeCohort, type SiteClassifierConfig } from '../../src/index.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

describe('classifierEpochs', () => {
  it('is clfEpochs + ceil(clfEpochs / 3)', () => {
    // 1 + 1, 3 + 1, 4 + 2, 12 + 4
    expect([1, 3, 4, 12].map(classifierEpochs)).toEqual([2, 4, 6, 16]);
  });
});

describe('site classifiers (pretrain on site A, classify site B)', () => {
  expectNoTensorLeaks();
  let dir = '';
  let siteA: DataBunch;
  let siteB: DataBunch;
  // 16 subjects of a 16³ synthetic cohort, half on each site; the demo's site splits
  const mc: SiteClassifierConfig = { seed: 1, inputShape: [16, 16, 16, 1], aeEpochs: 1, clfEpochs: 1, batchSize: 4, bootstrap: 10 };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'transmri-siteclf-'));
    const { csvPath } = await writeCohort(path.join(dir, 'cohort'), { seed: 1, subjects: 16, shape: [16, 16, 16] });
    const common = { pipeline: { input: { kind: 'nifti' as const }, steps: [{ op: 'zScore' as const, nonzero: true }] }, seed: 1, cacheDir: path.join(dir, 'cache') };
    siteA = await DataBunch.fromCsv(csvPath, { ...common, filter: (r) => r.site === 'A', split: { valid: 0.2, test: 0.2, seed: 1 } });
    siteB = await DataBunch.fromCsv(csvPath, { ...common, filter: (r) => r.site === 'B', split: { valid: 0.25, test: 0.4, seed: 1 } });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const weightsOf = (ws: Array<{ dataSync(): ArrayLike<number> }>): number[][] => ws.map((w) => Array.from(w.dataSync()));

  it('trains the unfrozen encoder at encoderLr × the head rate: 0 leaves it as pretrained, 1 moves it', async () => {
    const ae = await pretrainCae(siteA, mc);
    expect(ae.validMse).toHaveLength(1);
    const pretrained = ae.encoder.getWeights().map((w) => w.dataSync().slice());
    const changed = async (encoderLr: number) => {
      const c = await trainUnfrozen(ae.encoder, siteB, { ...mc, encoderLr });
      // the head alone for ceil(1 / 3) = 1 epoch, then every layer for 1
      expect(c.learner.history).toHaveLength(2);
      const enc = c.model.layers.filter((l) => l.name.startsWith('enc_')).flatMap((l) => l.getWeights());
      expect(enc.map((w) => w.shape)).toEqual(ae.encoder.getWeights().map((w) => w.shape));
      const out = { encoder: enc.some((w, i) => w.dataSync().some((v, j) => v !== pretrained[i][j])) };
      c.learner.dispose();
      c.model.dispose();
      return out;
    };
    expect((await changed(0)).encoder).toBe(false);
    expect((await changed(1)).encoder).toBe(true);
    // the source encoder itself is never changed by fine-tuning its copy
    expect(ae.encoder.getWeights().every((w, i) => w.dataSync().every((v, j) => v === pretrained[i][j]))).toBe(true);
    ae.dispose();
  }, 60_000);

  it('trainTransfer keeps the copied encoder frozen; transfer and scratch train classifierEpochs(1) = 2 epochs and predict every test scan', async () => {
    const ae = await pretrainCae(siteA, mc);
    const pretrained = weightsOf(ae.encoder.getWeights());
    const transfer = await trainTransfer(ae.encoder, siteB, mc);
    const enc = transfer.model.layers.filter((l) => l.name.startsWith('enc_')).flatMap((l) => l.getWeights());
    expect(weightsOf(enc)).toEqual(pretrained);
    const scratch = await trainScratch(siteB, mc);
    for (const c of [transfer, scratch]) {
      expect(c.learner.history).toHaveLength(2);
      expect(c.test.ids).toHaveLength(siteB.size('test'));
      expect(c.validBa).toBeGreaterThanOrEqual(0);
      expect(c.validBa).toBeLessThanOrEqual(1);
      c.learner.dispose();
      c.model.dispose();
    }
    ae.dispose();
  }, 60_000);

  it('refuses an unknown setting with an OptionError naming it', async () => {
    await expect(trainScratch(siteB, { ...mc, lr: 1 } as SiteClassifierConfig)).rejects.toThrow(OptionError);
    await expect(trainScratch(siteB, { ...mc, lr: 1 } as SiteClassifierConfig)).rejects.toThrow(/SiteClassifierConfig\.lr/);
  });
});
