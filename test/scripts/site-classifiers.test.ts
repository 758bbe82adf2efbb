import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pretrainCae, trainUnfrozen } from '../../scripts/lib/site-classifiers.js';
import { syntheticSites } from '../../scripts/lib/synthetic-sites.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

describe('scripts/lib/site-classifiers.ts trainUnfrozen', () => {
  expectNoTensorLeaks();
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'transmri-siteclf-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains the unfrozen encoder at encoderLr × the head rate: 0 leaves it as pretrained, 1 moves it', async () => {
    const { siteA, siteB, inputShape } = await syntheticSites(dir, { seed: 1, subjects: 16, size: 16, flip: 0 });
    const mc = { seed: 1, inputShape, aeEpochs: 1, clfEpochs: 1, batchSize: 4, bootstrap: 10 };
    const ae = await pretrainCae(siteA, mc);
    const pretrained = ae.encoder.getWeights().map((w) => w.dataSync().slice());
    const changed = async (encoderLr: number) => {
      const c = await trainUnfrozen(ae.encoder, siteB, { ...mc, encoderLr });
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
});

