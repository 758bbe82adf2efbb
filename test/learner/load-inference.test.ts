/**
 * `Learner.load(dir, source)` for inference needs no training options, for every model kind: an
 * autoencoder (L1 sparsity loss spec), a multitask model (alpha, class weights) and a distilled student
 * (the distillation loss is a function, not saved), each trained with AdamW: the loaded learner predicts
 * what the saved one did, keeps the saved loss spec and AdamW's weight decay, and a distilled student's
 * fit names the missing loss. (The plain classifier with a custom loss: test/learner/export/.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArrayBatchSource } from '../../src/data/array-source.js';
import { Rng } from '../../src/backend/rng.js';
import { Learner } from '../../src/learner/learner.js';
import type { AdamWOptimizer } from '../../src/learner/adamw.js';
import { autoencoderLearner, multitaskLearner } from '../../src/learner/factories.js';
import { distill } from '../../src/learner/distill/distill.js';
import { tinyClassifier, toySource } from './helpers.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

await tf.setBackend('cpu');
let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'transmri-load-infer-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 6³ volumes in [0, 1]: class 1 has a bright 3³ corner. */
function volumes(seed: number): ArrayBatchSource {
  const rng = new Rng(seed);
  const split = (count: number, name: string) => {
    const x = new Float32Array(count * 216);
    const y = Array.from({ length: count }, (_, i) => i % 2);
    for (let i = 0; i < count; i++) {
      for (let v = 0; v < 216; v++) {
        const [a, b, c] = [Math.floor(v / 36), Math.floor(v / 6) % 6, v % 6];
        x[i * 216 + v] = Math.min(1, 0.2 + (y[i] === 1 && a < 3 && b < 3 && c < 3 ? 0.6 : 0) + 0.1 * rng.next());
      }
    }
    return { x, y, ids: Array.from({ length: count }, (_, i) => `${name}${i}`) };
  };
  return new ArrayBatchSource({ classes: ['HC', 'PD'], sampleShape: [6, 6, 6, 1], splits: { train: split(8, 't'), valid: split(4, 'v'), test: split(4, 's') }, seed });
}

const backbone = { architecture: 'cae' as const, widths: [2, 3], seed: 1 };
// the default batch size: batchSize is not saved in a checkpoint, and a next epoch is compared below
const adamw = { optimizer: 'adamw' as const, weightDecay: 0.07, bootstrap: 0, progress: false };

/** Saves `learner`, loads it back with no options, and checks the loaded one predicts the same on the test split. */
async function roundTrip(learner: Learner, source: ArrayBatchSource, name: string): Promise<Learner> {
  const before = await learner.predict('test');
  const dir = join(root, name);
  await learner.save(dir);
  const loaded = await Learner.load(dir, source);
  expect(loaded.handle.kind).toBe(learner.handle.kind);
  const after = await loaded.predict('test');
  expect(after.ids).toEqual(before.ids);
  if (before.probabilities) expect(Array.from(after.probabilities!)).toEqual(Array.from(before.probabilities));
  if (before.reconstructionMse) expect(Array.from(after.reconstructionMse!)).toEqual(Array.from(before.reconstructionMse));
  expect(before.probabilities ?? before.reconstructionMse).toBeDefined();
  const opts = loaded.optimizers.filter((o) => o !== undefined) as AdamWOptimizer[];
  expect(opts.length).toBeGreaterThan(0);
  for (const o of opts) {
    expect(o.getClassName()).toBe('AdamW');
    expect(o.weightDecay).toBe(0.07);
  }
  return loaded;
}

describe('Learner.load for inference needs no training options', () => {
  expectNoTensorLeaks();

  it('an autoencoder (L1 sparsity) and a multitask model (alpha, class weights), both AdamW', async () => {
    const ae = autoencoderLearner(volumes(1), { backbone, l1Weight: 1e-3, learner: adamw });
    await ae.fit(1, { lr: 1e-2 });
    const aeBack = await roundTrip(ae, volumes(1), 'ae');
    expect(aeBack.options.loss).toEqual({ kind: 'autoencoder', l1Weight: 1e-3, reconstruction: 'mse' });
    // the restored loss spec trains: one more epoch on both gives the same validation loss
    const [h1, h2] = [await ae.fit(1, { lr: 1e-2 }), await aeBack.fit(1, { lr: 1e-2 })];
    expect(h2[h2.length - 1].validLoss).toBe(h1[h1.length - 1].validLoss);

    const mt = multitaskLearner(volumes(2), { backbone, alpha: 0.3, classWeights: [1, 2], learner: adamw });
    await mt.fit(1, { lr: 1e-2 });
    const mtBack = await roundTrip(mt, volumes(2), 'mt');
    expect(mtBack.options.loss).toEqual(mt.options.loss);
    expect(await mtBack.validate()).toEqual(await mt.validate());
    for (const l of [ae, aeBack, mt, mtBack]) {
      l.dispose();
      l.model.dispose();
    }
  });

  it('a distilled student (distillation loss function, AdamW): predicts as saved; fit and validate name the missing loss', async () => {
    const source = toySource();
    const teacher = tinyClassifier(5, 0);
    const student = tinyClassifier(2, 0);
    const { learner } = distill(teacher, student, source, { learner: { ...adamw, seed: 1 } });
    await learner.fit(1, { lr: 1e-2 });
    const loaded = await roundTrip(learner, source, 'student');
    await expect(loaded.fit(2)).rejects.toThrow(/trained with a custom loss function.*options\.loss/);
    await expect(loaded.validate()).rejects.toThrow(/custom loss function/);
    learner.dispose();
    loaded.dispose();
    loaded.model.dispose();
    student.dispose();
    teacher.dispose();
  });
});
