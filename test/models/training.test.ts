import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildCae } from '../../src/models/cae.js';
import { buildMultitask } from '../../src/models/classifier.js';
import { l1Sparsity, mseLoss, multitaskLoss } from '../../src/learner/losses.js';
import { adamW } from '../../src/learner/adamw.js';

describe('end-to-end training of the models with the losses', () => {
  it('a tiny CAE (valid bottleneck, trilinear) learns to reconstruct a fixed batch with MSE + L1 code sparsity', () => {
    const before = tf.memory().numTensors;
    const cae = buildCae({ inputShape: [8, 8, 8, 1], widths: [4, 4], bottleneckPadding: 'valid', upsampling: 'trilinear', outputActivation: 'linear', seed: 1 });
    // smooth blobs: learnable by a 2-level conv AE
    const x = tf.tidy(() => {
      const g = tf.linspace(-1, 1, 8);
      const [d, h, w] = [g.reshape([8, 1, 1]), g.reshape([1, 8, 1]), g.reshape([1, 1, 8])];
      const blob = (a: number, b: number) => tf.exp(tf.neg(tf.add(tf.add(tf.square(d.sub(a)), tf.square(h.sub(b))), tf.square(w))).mul(3));
      return tf.stack([blob(0.2, -0.3), blob(-0.4, 0.1)]).reshape([2, 8, 8, 8, 1]);
    });
    const opt = adamW(1e-2, { weightDecay: 1e-4 });
    const lossAt = (): number => tf.tidy(() => {
      const [r] = cae.model.predict(x) as tf.Tensor[];
      return mseLoss(r, x).dataSync()[0];
    });
    const first = lossAt();
    for (let i = 0; i < 25; i++) {
      tf.dispose(opt.minimize(() => {
        const [r, code] = cae.model.apply(x, { training: true }) as tf.Tensor[];
        return tf.add(mseLoss(r, x), l1Sparsity(code, 1e-4)) as tf.Scalar;
      }) ?? []);
    }
    const last = lossAt();
    expect(last).toBeLessThan(first / 5);
    opt.dispose();
    x.dispose();
    cae.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a multitask model separates two classes while reconstructing', () => {
    const before = tf.memory().numTensors;
    const mt = buildMultitask({ backbone: { architecture: 'cae', inputShape: [8, 8, 8, 1], widths: [3, 3], seed: 2 }, numClasses: 2, hidden: 0, dropout: 0 });
    const x = tf.tidy(() => tf.concat([tf.fill([2, 8, 8, 8, 1], 0.2), tf.fill([2, 8, 8, 8, 1], 0.8)]));
    const labels = tf.tensor1d([0, 0, 1, 1], 'int32');
    const opt = tf.train.adam(2e-2);
    for (let i = 0; i < 15; i++) {
      tf.dispose(opt.minimize(() => {
        const [reconstruction, , logits] = mt.model.apply(x, { training: true }) as tf.Tensor[];
        return multitaskLoss({ reconstruction, target: x, logits, labels, alpha: 0.5 });
      }) ?? []);
    }
    const predicted = tf.tidy(() => Array.from((mt.model.predict(x) as tf.Tensor[])[2].argMax(1).dataSync()));
    expect(predicted).toEqual([0, 0, 1, 1]);
    opt.dispose();
    tf.dispose([x, labels]);
    mt.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
