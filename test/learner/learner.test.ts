import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Learner } from '../../src/learner/learner.js';
import type { Callback, FitState, LearnerEvent } from '../../src/learner/callback.js';
import { CancelBatchError, CancelFitError, DataError, NonFiniteLossError, OptionError, ShapeError } from '../../src/backend/errors.js';
import { scheduleLr } from '../../src/learner/schedule.js';
import { crossEntropy, mseLoss } from '../../src/learner/losses.js';
import { tinyAutoencoder, tinyClassifier, toySource, weightValues } from './helpers.js';

await tf.setBackend('cpu');

describe('Learner.fit', () => {
  it('learns the toy task, records history and fires events in order', async () => {
    const events: string[] = [];
    const recorder: Callback = Object.fromEntries(
      (['beforeFit', 'beforeEpoch', 'beforeBatch', 'afterPred', 'afterLoss', 'beforeStep', 'afterBatch', 'afterEpoch', 'afterFit'] as LearnerEvent[]).map((e) => [e, () => void events.push(e)]),
    );
    const learner = new Learner(toySource(), tinyClassifier(), { seed: 1, callbacks: [recorder] });
    const history = await learner.fit(4, { lr: 0.02 });
    expect(history).toHaveLength(4);
    expect(history[3].trainLoss).toBeLessThan(history[0].trainLoss);
    expect(history[3].metrics.accuracy).toBeGreaterThan(0.8);
    expect(Object.keys(history[0].metrics)).toEqual(['accuracy', 'balancedAccuracy']);
    expect(history[0].validLoss).toBeGreaterThan(0);
    // 24 samples / batch 8 = 3 batches per epoch
    const perEpoch = ['beforeEpoch', ...Array(3).fill(['beforeBatch', 'afterPred', 'afterLoss', 'beforeStep', 'afterBatch']).flat(), 'afterEpoch'];
    expect(events).toEqual(['beforeFit', ...Array(4).fill(perEpoch).flat(), 'afterFit']);
    learner.dispose();
  });

  it('leaks no tensors over an epoch, a validation, predict and encode', async () => {
    const learner = new Learner(toySource(), tinyAutoencoder(), { loss: { kind: 'autoencoder', l1Weight: 1e-3 } });
    await learner.fit(1); // creates the optimizer state, which persists
    const before = tf.memory().numTensors;
    await learner.fit(1);
    await learner.validate();
    await learner.predict('test');
    await learner.encode('test', { pooling: 'avg' });
    expect(tf.memory().numTensors).toBe(before);
    learner.dispose();
  });

  it('is deterministic for a seed, dropout included', async () => {
    const run = async (seed: number) => {
      const l = new Learner(toySource(), tinyClassifier(1, 0.5), { seed });
      await l.fit(2, { lr: 0.01 });
      l.dispose();
      return weightValues(l.model);
    };
    const a = await run(5);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
  });

  it('follows the schedule step by step', async () => {
    const lrs: number[] = [];
    const learner = new Learner(toySource(), tinyClassifier(), { callbacks: [{ beforeBatch: (s: FitState) => void lrs.push(s.lr) }] });
    await learner.fit(2, { lr: 0.01, schedule: 'oneCycle' });
    expect(lrs).toEqual(Array.from({ length: 6 }, (_, i) => scheduleLr('oneCycle', 0.01, i, 6)));
    learner.dispose();
  });

  it('CancelFitError stops after the epoch; CancelBatchError skips the update', async () => {
    const stopper: Callback = { afterEpoch: (s) => { if (s.epoch === 1) throw new CancelFitError('enough'); } };
    let reason: string | undefined;
    const learner = new Learner(toySource(), tinyClassifier(), { callbacks: [stopper, { afterFit: (s) => void (reason = s.stopReason) }] });
    expect(await learner.fit(5)).toHaveLength(2);
    expect(reason).toBe('enough');

    const skipper = new Learner(toySource(), tinyClassifier(), { callbacks: [{ afterLoss: () => { throw new CancelBatchError(); } }] });
    const w0 = weightValues(skipper.model);
    const h = await skipper.fit(1);
    expect(weightValues(skipper.model)).toEqual(w0);
    expect(h[0].trainLoss).toBeNaN();
    learner.dispose();
    skipper.dispose();
  });

  it('honours the named loss and its parameters (class weights reach the validation loss)', async () => {
    const src = toySource();
    const learner = new Learner(src, tinyClassifier(1, 0), { loss: { kind: 'classifier', classWeights: [1, 3] }, batchSize: 12 });
    const { loss } = await learner.validate();
    const batch = (await src.batches('valid', { batchSize: 12 })[Symbol.asyncIterator]().next()).value!;
    const expected = tf.tidy(() => {
      const logits = learner.model.predict(tf.tensor(batch.x.data, batch.x.shape)) as tf.Tensor;
      return crossEntropy(logits, tf.tensor1d(batch.y, 'int32'), { classWeights: [1, 3] }).dataSync()[0];
    });
    const unweighted = tf.tidy(() => crossEntropy(learner.model.predict(tf.tensor(batch.x.data, batch.x.shape)) as tf.Tensor, tf.tensor1d(batch.y, 'int32')).dataSync()[0]);
    expect(loss).toBeCloseTo(expected, 6);
    expect(Math.abs(loss - unweighted)).toBeGreaterThan(1e-4);
    learner.dispose();
  });

  it('uses a user loss function as given', async () => {
    let calls = 0;
    const learner = new Learner(toySource(), tinyAutoencoder(), {
      loss: ({ outputs, x, training }) => {
        if (training) calls++;
        return mseLoss(outputs[0], x);
      },
    });
    await learner.fit(1);
    expect(calls).toBe(3);
    learner.dispose();
  });

  it('stops on a non-finite loss naming epoch and batch, before applying it', async () => {
    let step = 0;
    let weightsBefore: Float32Array[] = [];
    const learner = new Learner(toySource(), tinyClassifier(), {
      loss: ({ outputs, training }) => {
        if (training && step++ === 4) return tf.mean(outputs[0]).mul(NaN) as tf.Scalar;
        return tf.mean(tf.square(outputs[0])) as tf.Scalar;
      },
      callbacks: [{ beforeBatch: (s) => { if (s.epoch === 1 && s.batch === 1) weightsBefore = weightValues(s.learner.model); } }],
    });
    const err = await learner.fit(3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).message).toMatch(/epoch 1, batch 1/);
    expect(weightValues(learner.model)).toEqual(weightsBefore);
    learner.dispose();
  });
});

describe('Learner bad input', () => {
  it('names both shapes when the source does not fit the model', () => {
    const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [5, 4, 1] }), tf.layers.dense({ units: 2 })] });
    expect(() => new Learner(toySource(), m)).toThrow(ShapeError);
    expect(() => new Learner(toySource(), m)).toThrow(/\[4, 4, 1\].*expected shape \[5, 4, 1\], got \[4, 4, 1\]/);
    const three = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 3 })] });
    expect(() => new Learner(toySource(), three)).toThrow(/3 logits but the source has 2 classes/);
  });

  it('a missing label is a DataError naming the sample', async () => {
    const learner = new Learner(toySource({ badLabel: true }), tinyClassifier());
    await expect(learner.fit(1)).rejects.toThrow(DataError);
    await expect(learner.fit(1)).rejects.toThrow(/sample t3: unlabelled \(-1\), and this loss needs a label for every sample.*\(classes /);
  });

  it('rejects unknown options, a loss of the wrong kind and bad group lrs', async () => {
    expect(() => new Learner(toySource(), tinyClassifier(), { lossFn: 1 } as never)).toThrow(/LearnerOptions.lossFn/);
    expect(() => new Learner(toySource(), tinyClassifier(), { loss: 'autoencoder' })).toThrow(/does not fit a classifier/);
    const l = new Learner(toySource(), tinyClassifier());
    await expect(l.fit(1, { groupLr: [1] })).rejects.toThrow(OptionError);
    await expect(l.fit(1, { shedule: 'cosine' } as never)).rejects.toThrow(/FitOptions.shedule/);
  });
});

describe('predict and encode', () => {
  it('keeps the sample order and computes metrics over it', async () => {
    const learner = new Learner(toySource(), tinyClassifier(), { bootstrap: 100 });
    await learner.fit(3, { lr: 0.02 });
    const p = await learner.predict('test');
    expect(p.ids).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}`));
    expect(Array.from(p.labels)).toEqual(Array.from({ length: 12 }, (_, i) => i % 2));
    for (let i = 0; i < 12; i++) expect(p.probabilities![2 * i] + p.probabilities![2 * i + 1]).toBeCloseTo(1, 5);
    const correct = p.predictions!.filter((c, i) => c === p.labels[i]).length;
    expect(p.metrics!.accuracy).toBeCloseTo(correct / 12, 12);
    expect(p.metrics!.ci!.accuracy[0]).toBeLessThanOrEqual(p.metrics!.accuracy);
    // predict's probabilities are the model's softmax in dataset order
    learner.dispose();
  });

  it('autoencoder: per-sample reconstruction MSE and code vectors', async () => {
    const handle = tinyAutoencoder();
    const learner = new Learner(toySource(), handle);
    const p = await learner.predict('valid');
    expect(p.reconstructionMse).toHaveLength(12);
    expect(p.mse).toBeCloseTo(p.reconstructionMse!.reduce((a, b) => a + b, 0) / 12, 6);
    const flat = await learner.encode('valid');
    expect(flat.dim).toBe(4);
    expect(flat.vectors).toHaveLength(12);
    expect(flat.ids[0]).toBe('v0');
    // the code of sample v0 equals the encoder's output
    const src = toySource();
    const first = (await src.batches('valid', { batchSize: 1 })[Symbol.asyncIterator]().next()).value!;
    const code = tf.tidy(() => (handle.encoder!.predict(tf.tensor(first.x.data, first.x.shape)) as tf.Tensor).dataSync());
    expect(Array.from(flat.vectors[0])).toEqual(Array.from(code));
    learner.dispose();
  });
});

describe('freezing, group learning rates, reset', () => {
  it('freeze() trains only the head; unfreeze() trains all', async () => {
    const learner = new Learner(toySource(), tinyClassifier(1, 0));
    expect(learner.groups).toHaveLength(2);
    learner.freeze();
    expect(learner.trainableGroups).toEqual([false, true]);
    const w0 = weightValues(learner.model);
    await learner.fit(1);
    const w1 = weightValues(learner.model);
    expect(w1.slice(0, 2)).toEqual(w0.slice(0, 2)); // body kernel + bias
    expect(w1[2]).not.toEqual(w0[2]); // head kernel
    learner.unfreeze();
    await learner.fit(1);
    expect(weightValues(learner.model)[0]).not.toEqual(w1[0]);
    learner.freezeTo(2);
    await expect(learner.fit(1)).rejects.toThrow(/every layer group is frozen/);
    learner.dispose();
  });

  it('groupLr scales each group’s step (SGD: 0.1 × lr moves the body a tenth as far)', async () => {
    const oneStep = async (groupLr: number[]) => {
      const src = toySource({ n: { train: 8, valid: 0, test: 0 } });
      const l = new Learner(src, tinyClassifier(1, 0), { optimizer: 'sgd' });
      const w0 = weightValues(l.model);
      await l.fit(1, { lr: 0.1, groupLr });
      const w1 = weightValues(l.model);
      l.dispose();
      return w1.map((w, i) => w.map((v, k) => v - w0[i][k]));
    };
    const full = await oneStep([1, 1]);
    const tenth = await oneStep([0.1, 1]);
    for (let k = 0; k < full[0].length; k++) expect(tenth[0][k]).toBeCloseTo(full[0][k] * 0.1, 6);
    expect(tenth[2]).toEqual(full[2]);
  });

  it('reset() re-initialises the head only (or all), seeded', async () => {
    const learner = new Learner(toySource(), tinyClassifier(1, 0), { seed: 2 });
    await learner.fit(1);
    const w0 = weightValues(learner.model);
    learner.reset();
    const w1 = weightValues(learner.model);
    expect(w1[0]).toEqual(w0[0]);
    expect(w1[2]).not.toEqual(w0[2]);
    expect(Array.from(w1[3])).toEqual([0, 0]); // bias initializer: zeros
    learner.reset({ all: true });
    expect(weightValues(learner.model)[0]).not.toEqual(w0[0]);
    learner.dispose();
  });
});
