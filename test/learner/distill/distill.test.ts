import { describe, expect, it } from 'vitest';
import { expectNoTensorLeaks } from '../../helpers/tensor-leaks.js';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DataError, OptionError } from '../../../src/backend/errors.js';
import { Learner } from '../../../src/learner/learner.js';
import { Rng } from '../../../src/backend/rng.js';
import type { Batch, BatchSource, BatchStreamOptions, SplitName } from '../../../src/data/batch.js';
import { sliceCnn } from '../../../src/models/students/slice.js';
import { distill } from '../../../src/learner/distill/distill.js';
import { hintonKd } from '../../../src/learner/distill/logit-losses.js';

/**
 * A tiny two-class source: 2D slices x [8, 8, 1] and, as the view 'volume', the 3D stack [4, 8, 8, 1]
 * they come from (class 1 is brighter in the middle).
 */
class TinySource implements BatchSource {
  readonly classes = ['a', 'b'];
  readonly sampleShape = [8, 8, 1];
  private readonly samples: Record<SplitName, Array<{ id: string; y: number; vol: Float32Array }>> = { train: [], valid: [], test: [] };

  /** The first `unlabelledTrain` training samples carry label −1 (a transfer set); their volumes still follow their class. */
  constructor(seed: number, sizes: Record<SplitName, number>, unlabelledTrain = 0) {
    const rng = new Rng(seed);
    for (const split of ['train', 'valid', 'test'] as const) {
      for (let i = 0; i < sizes[split]; i++) {
        const y = i % 2;
        const vol = Float32Array.from({ length: 4 * 64 }, (_, k) => {
          const r = Math.floor((k % 64) / 8);
          const c = k % 8;
          const centre = r >= 2 && r < 6 && c >= 2 && c < 6 ? 1 : 0;
          return 0.3 * rng.normal() + centre * (y === 1 ? 1 : -1);
        });
        this.samples[split].push({ id: `${split}${i}`, y: split === 'train' && i < unlabelledTrain ? -1 : y, vol });
      }
    }
  }

  size(split: SplitName): number {
    return this.samples[split].length;
  }

  async *batches(split: SplitName, options: BatchStreamOptions): AsyncIterable<Batch> {
    const list = [...this.samples[split]];
    if (options.shuffle ?? split === 'train') new Rng(options.epoch ?? 0).shuffle(list);
    for (let s = 0; s < list.length; s += options.batchSize) {
      const part = list.slice(s, s + options.batchSize);
      const x = new Float32Array(part.length * 64);
      const vol = new Float32Array(part.length * 256);
      part.forEach((p, i) => {
        x.set(p.vol.subarray(128, 192), i * 64); // slice 2 of the stack
        vol.set(p.vol, i * 256);
      });
      yield {
        x: { data: x, shape: [part.length, 8, 8, 1] },
        y: Int32Array.from(part, (p) => p.y),
        ids: part.map((p) => p.id),
        views: { volume: { data: vol, shape: [part.length, 4, 8, 8, 1] } },
      };
    }
  }
}

/** A small 3D teacher on the volume: outputs [logits, pooled features]. */
function teacher3d(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [4, 8, 8, 1] });
  const conv = tf.layers.conv3d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed }) }).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.averagePooling3d({ poolSize: [4, 8, 8] }).apply(conv) as tf.SymbolicTensor;
  const features = tf.layers.flatten().apply(pooled) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(features) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [logits, features] });
}

expectNoTensorLeaks();

describe('distill', () => {
  it('validation loss equals Hinton KD of student vs teacher logits on the same samples', async () => {
    const source = new TinySource(1, { train: 6, valid: 6, test: 0 });
    const teacher = teacher3d(1);
    const student = sliceCnn({ inputShape: [8, 8, 1], widths: [4], seed: 2 }, 2);
    const { learner } = distill({ model: teacher, input: 'volume' }, student, source, { loss: { hinton: { temperature: 2, alpha: 0.7 } }, learner: { batchSize: 16 } });
    const { loss } = await learner.validate('valid');
    let batch: Batch | undefined;
    for await (const b of source.batches('valid', { batchSize: 16, shuffle: false })) batch = b;
    const expected = tf.tidy(() => {
      const s = (student.model.predict(tf.tensor(batch!.x.data, batch!.x.shape)) as tf.Tensor[])[0];
      const t = (teacher.predict(tf.tensor(batch!.views!.volume.data, batch!.views!.volume.shape)) as tf.Tensor[])[0];
      return hintonKd(s, t, tf.tensor1d(batch!.y, 'int32'), { temperature: 2, alpha: 0.7 }).dataSync()[0];
    });
    expect(loss).toBeCloseTo(expected, 5);
    learner.dispose();
    student.model.dispose();
    teacher.dispose();
  });

  it('class weights weigh the cross-entropy part: validation loss equals hintonKd with the same weights (and differs from the unweighted one)', async () => {
    const source = new TinySource(1, { train: 6, valid: 6, test: 0 });
    const teacher = teacher3d(1);
    const student = sliceCnn({ inputShape: [8, 8, 1], widths: [4], seed: 2 }, 2);
    const kd = { temperature: 2, alpha: 0.3 };
    const { learner } = distill({ model: teacher, input: 'volume' }, student, source, { loss: { hinton: kd, classWeights: [1, 4] }, learner: { batchSize: 16 } });
    const { loss } = await learner.validate('valid');
    let batch: Batch | undefined;
    for await (const b of source.batches('valid', { batchSize: 16, shuffle: false })) batch = b;
    const [weighted, plain] = tf.tidy(() => {
      const s = (student.model.predict(tf.tensor(batch!.x.data, batch!.x.shape)) as tf.Tensor[])[0];
      const t = (teacher.predict(tf.tensor(batch!.views!.volume.data, batch!.views!.volume.shape)) as tf.Tensor[])[0];
      const y = tf.tensor1d(batch!.y, 'int32');
      return [hintonKd(s, t, y, { ...kd, classWeights: [1, 4] }).dataSync()[0], hintonKd(s, t, y, kd).dataSync()[0]];
    });
    expect(loss).toBeCloseTo(weighted, 5);
    expect(Math.abs(weighted - plain)).toBeGreaterThan(1e-4);
    expect(() => distill({ model: teacher, input: 'volume' }, student, source, { loss: { hinton: { classWeights: [1, 1] }, classWeights: [1, 4] } })).toThrow(/DistillLossOptions\.classWeights: given twice/);
    learner.dispose();
    student.model.dispose();
    teacher.dispose();
  });

  it('trains the student only, runs the cached teacher once per sample, and the KD + similarity loss falls', async () => {
    const source = new TinySource(2, { train: 16, valid: 4, test: 0 });
    const teacher = teacher3d(3);
    const teacherBefore = teacher.getWeights().map((w) => Array.from(w.dataSync()));
    const student = sliceCnn({ inputShape: [8, 8, 1], widths: [4], seed: 4 }, 2);
    const studentBefore = Array.from(student.model.getWeights()[0].dataSync());
    const { learner, teacher: runner } = distill({ model: teacher, input: 'volume' }, student, source, {
      loss: { hinton: { temperature: 4, alpha: 0.5 }, similarity: { weight: 10 } },
      learner: { batchSize: 8, seed: 1 },
    });
    const history = await learner.fit(8, { lr: 1e-2 });
    expect(runner.forwardSamples).toBe(20); // 16 train + 4 valid, once each
    expect(runner.size).toBe(20);
    expect(history[history.length - 1].trainLoss).toBeLessThan(history[0].trainLoss);
    teacher.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(teacherBefore[i]));
    expect(Array.from(student.model.getWeights()[0].dataSync())).not.toEqual(studentBefore);
    learner.dispose();
    student.model.dispose();
    teacher.dispose();
  });

  it('unlabelled training samples (label −1) are a transfer set: the teacher terms train on them, CE ignores them', async () => {
    const source = new TinySource(7, { train: 8, valid: 4, test: 0 }, 8);
    const teacher = teacher3d(7);
    const trainable = (m: tf.LayersModel): number[][] => m.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    // α = 0 is plain CE, which has nothing to learn from unlabelled samples: zero gradients, weights unchanged
    const ceOnly = sliceCnn({ inputShape: [8, 8, 1], widths: [4], seed: 8 }, 2);
    const before = trainable(ceOnly.model);
    const ce = distill({ model: teacher, input: 'volume' }, ceOnly, source, { loss: { hinton: { alpha: 0 } }, learner: { batchSize: 4, seed: 1 } });
    const ceHistory = await ce.learner.fit(2, { lr: 1e-2 });
    expect(ceHistory.map((h) => h.trainLoss)).toEqual([0, 0]);
    expect(trainable(ceOnly.model)).toEqual(before);
    ce.learner.dispose();
    ceOnly.model.dispose();
    // the KD term learns from them: the student moves towards the teacher
    const kdOnly = sliceCnn({ inputShape: [8, 8, 1], widths: [4], seed: 8 }, 2);
    const kd = distill({ model: teacher, input: 'volume' }, kdOnly, source, { loss: { hinton: { temperature: 2, alpha: 1 } }, learner: { batchSize: 4, seed: 1 } });
    const kdHistory = await kd.learner.fit(6, { lr: 1e-2 });
    expect(kd.teacher.forwardSamples).toBe(12);
    expect(kdHistory[5].trainLoss).toBeLessThan(kdHistory[0].trainLoss);
    expect(trainable(kdOnly.model)).not.toEqual(before);
    kd.learner.dispose();
    kdOnly.model.dispose();
    teacher.dispose();
  });

  it('a loss that needs labels (plain CE, or DKD in a distillation) refuses an unlabelled sample, naming it', async () => {
    const source = new TinySource(8, { train: 4, valid: 2, test: 0 }, 1);
    const teacher = teacher3d(9);
    const student = sliceCnn({ inputShape: [8, 8, 1], widths: [4], seed: 9 }, 2);
    const plain = new Learner(source, { model: student.model, kind: 'classifier' }, { batchSize: 4 });
    await expect(plain.fit(1)).rejects.toThrow(/sample train0.*unlabelled \(-1\)/s);
    await expect(plain.fit(1)).rejects.toThrow(DataError);
    plain.dispose();
    const dkd = distill({ model: teacher, input: 'volume' }, student, source, { loss: { hinton: false, dkd: {} }, learner: { batchSize: 4 } });
    await expect(dkd.learner.fit(1)).rejects.toThrow(DataError);
    dkd.learner.dispose();
    student.model.dispose();
    teacher.dispose();
  });

  it('without the cache the teacher runs on every batch', async () => {
    const source = new TinySource(3, { train: 8, valid: 4, test: 0 });
    const teacher = teacher3d(5);
    const student = sliceCnn({ inputShape: [8, 8, 1], widths: [4], seed: 6 }, 2);
    const { learner, teacher: runner } = distill({ model: teacher, input: 'volume' }, student, source, { cache: false, loss: { hinton: false, logitMatching: 1 }, learner: { batchSize: 4 } });
    await learner.fit(2, { lr: 1e-3 });
    expect(runner.forwardSamples).toBe(2 * (8 + 4));
    expect(runner.size).toBe(0);
    learner.dispose();
    student.model.dispose();
    teacher.dispose();
  });

  it('a distilled student saves, reloads and predicts like any Learner model', async () => {
    const source = new TinySource(5, { train: 8, valid: 4, test: 4 });
    const teacher = teacher3d(7);
    const student = sliceCnn({ inputShape: [8, 8, 1], widths: [4], seed: 8 }, 2);
    const { learner } = distill({ model: teacher, input: 'volume' }, student, source, { learner: { batchSize: 4 } });
    await learner.fit(1, { lr: 1e-3 });
    const before = await learner.predict('test');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'transmri-distill-'));
    try {
      await learner.save(dir);
      const loaded = await Learner.load(dir, source, { loss: 'classifier' });
      const after = await loaded.predict('test');
      expect(after.ids).toEqual(before.ids);
      Array.from(after.probabilities!).forEach((p, i) => expect(p).toBeCloseTo(before.probabilities![i], 6));
      loaded.dispose();
      loaded.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    learner.dispose();
    student.model.dispose();
    teacher.dispose();
  });

  it('rejects feature losses without teacher features, a learner loss, and unknown options', () => {
    const source = new TinySource(4, { train: 2, valid: 0, test: 0 });
    const input = tf.input({ shape: [4, 8, 8, 1] });
    const logitsOnly = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(input)) as tf.SymbolicTensor });
    const student = sliceCnn({ inputShape: [8, 8, 1], widths: [2] }, 2);
    expect(() => distill({ model: logitsOnly, input: 'volume' }, student, source, { loss: { similarity: {} } })).toThrow(/teacher has no features/);
    expect(() => distill({ model: logitsOnly, input: 'volume' }, student, source, { learner: { loss: 'classifier' } as never })).toThrow(OptionError);
    expect(() => distill({ model: logitsOnly, input: 'volume' }, student, source, { loss: { kl: 1 } as never })).toThrow(OptionError);
    student.model.dispose();
    logitsOnly.dispose();
  });
});
