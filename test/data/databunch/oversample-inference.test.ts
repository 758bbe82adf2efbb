import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DataBunch, type DataBunchRow } from '../../../src/data/databunch/databunch.js';
import { writeNifti } from '../../../src/data/nifti/writer.js';
import { Volume } from '../../../src/data/volume.js';
import type { FitState } from '../../../src/learner/callback.js';
import { Learner } from '../../../src/learner/learner.js';
import { scheduleLr } from '../../../src/learner/schedule.js';
import { expectNoTensorLeaks } from '../../helpers/tensor-leaks.js';

// Bug (lead 10): with `oversample: true`, batches('train', { shuffle: false }) still streamed the
// oversampled, shuffled order, so predict('train') / validate('train') / encode('train') returned
// K · max_k n_k items with repeats, out of sample order, and metrics weighted by the repeats.

let dir: string;
let bunch: DataBunch;
// Training counts 6 / 3 / 1 (classes a, b, c), one valid and one test sample per class.
const COUNTS: Record<string, number> = { a: 6, b: 3, c: 1 };

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-oversample-'));
  const rows: DataBunchRow[] = [];
  for (const [label, n] of Object.entries(COUNTS)) {
    for (let i = 0; i < n + 2; i++) {
      const file = path.join(dir, `${label}${i}.nii`);
      await writeNifti(file, new Volume({ data: Float32Array.from({ length: 8 }, (_, v) => v + i + 10 * (label.charCodeAt(0) - 97)), shape: [2, 2, 2] }));
      rows.push({ path: file, id: `${label}${i}`, label, split: i === n ? 'valid' : i === n + 1 ? 'test' : 'train' });
    }
  }
  bunch = await DataBunch.fromRows(rows, { oversample: true, seed: 3, cacheDir: path.join(dir, 'cache'), onWarning: () => undefined });
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('oversampling applies to the shuffled training stream only', () => {
  expectNoTensorLeaks();

  it('a shuffled train epoch draws every class max_k n_k = 6 times; an unshuffled pass sees each sample once, in order', async () => {
    const drawn = [0, 0, 0];
    for await (const b of bunch.batches('train', { batchSize: 4, shuffle: true, augment: false })) for (const y of b.y) drawn[y] += 1;
    expect(drawn).toEqual([6, 6, 6]);
    const ids: string[] = [];
    const labels: number[] = [];
    for await (const b of bunch.batches('train', { batchSize: 4, shuffle: false })) {
      ids.push(...b.ids);
      labels.push(...b.y);
    }
    expect(ids).toEqual(bunch.splits.train);
    expect(labels).toEqual(ids.map((id) => bunch.classes.indexOf(id[0])));
  });

  it("predict('train') returns the 10 training samples once, in split order, with their own labels", async () => {
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2, 2, 1] }), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
    const learner = new Learner(bunch, model, { loss: 'classifier', batchSize: 4, bootstrap: 0 });
    try {
      const p = await learner.predict('train');
      expect(p.ids).toEqual(bunch.splits.train);
      expect(p.ids).toHaveLength(10);
      expect(Array.from(p.labels)).toEqual(p.ids.map((id) => bunch.classes.indexOf(id[0])));
      expect(p.metrics!.n).toBe(10);
      // the confusion matrix's row sums are the training class counts 6 / 3 / 1
      expect(p.metrics!.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([6, 3, 1]);
    } finally {
      learner.dispose();
      model.dispose();
    }
  });

  it('an oversampled epoch (3 · 6 = 18 items, 5 batches of 4) sets batchesPerEpoch, so oneCycle spans the real steps', async () => {
    // Before: batchesPerEpoch = ceil(10 / 4) = 3, so a 2-epoch oneCycle planned 6 steps, ran 10,
    // numbered epoch 1's steps 3..7 (overlapping epoch 0's 0..4) and ended clamped at the final lr.
    expect(bunch.size('train')).toBe(10);
    expect(bunch.epochSize('train')).toBe(18);
    expect(bunch.epochSize('valid')).toBe(3);
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2, 2, 1] }), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
    const seen: Array<[number, number]> = [];
    const learner = new Learner(bunch, model, { loss: 'classifier', batchSize: 4, bootstrap: 0, callbacks: [{ beforeBatch: (s: FitState) => void seen.push([s.step, s.lr]) }] });
    try {
      expect(learner.batchesPerEpoch).toBe(5);
      await learner.fit(2, { lr: 0.01, schedule: 'oneCycle' });
      expect(seen.map(([step]) => step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(seen.map(([, lr]) => lr)).toEqual(Array.from({ length: 10 }, (_, i) => scheduleLr('oneCycle', 0.01, i, 10)));
    } finally {
      learner.dispose();
      model.dispose();
    }
  });
});
