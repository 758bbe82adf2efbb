import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/backend/rng.js';
import { batchNormTraining } from '../../src/backend/ops/batch-norm-train.js';
import { findAddonPath, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native/register.js';
import { fusedBatchNormalization } from '../../src/models/students/batch-norm.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { randn, refAndNative, relErr } from './native-helpers.js';

const built = findAddonPath() !== undefined;
if (!built) console.warn('native-2d-bn tests: native paths skipped (addon not built)');

/** Output, input gradient, gamma/beta gradients and the moving statistics after one training call. */
function trainOnce(layer: tf.layers.Layer, x: tf.Tensor, w: tf.Tensor): tf.Tensor[] {
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const f = (a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, w)) as tf.Scalar;
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  const dx = tf.grad(f)(x);
  const { value, grads } = tf.variableGrads(() => f(x), [gamma, beta]);
  value.dispose();
  const moving = layer.getWeights().slice(2).map((t) => t.clone());
  return [y, dx, grads[gamma.name], grads[beta.name], ...moving];
}

describe('FusedBatchNormalization layer and batchNormTraining', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    if (built) registerNativeKernels();
  });
  afterAll(() => unregisterNativeKernels());
  expectNoTensorLeaks();

  it('matches tf.layers.batchNormalization in training: output, gradients and moving statistics', () => {
    const rng = new Rng(1);
    for (const shape of [[4, 6, 5, 3], [16, 16, 16, 32], [7, 9]]) {
      const x = tf.tidy(() => tf.add(tf.mul(randn(rng, shape), 3), 1.5));
      const w = randn(rng, shape);
      const make = (fused: boolean) => {
        const args = { momentum: 0.9, epsilon: 1e-3, gammaInitializer: 'randomNormal' as const, betaInitializer: 'randomNormal' as const };
        const layer = fused ? fusedBatchNormalization(args) : tf.layers.batchNormalization(args);
        layer.build(shape);
        return layer;
      };
      const ref = make(false);
      const fused = make(true);
      fused.setWeights(ref.getWeights());
      const a = trainOnce(ref, x, w);
      const b = trainOnce(fused, x, w);
      a.forEach((t, i) => expect(relErr(b[i].dataSync() as Float32Array, t.dataSync() as Float32Array), `output ${i}`).toBeLessThan(2e-5));
      // Inference uses the moving statistics, as tfjs.
      const inf = tf.tidy(() => relErr((fused.apply(x) as tf.Tensor).dataSync() as Float32Array, (ref.apply(x) as tf.Tensor).dataSync() as Float32Array));
      expect(inf).toBeLessThan(1e-6);
      tf.dispose([x, w, ...a, ...b]);
      [...ref.weights, ...fused.weights].forEach((v) => v.dispose());
    }
  });

  it.skipIf(!built)('the native op matches the tf-ops fallback, and its gradient matches finite differences', () => {
    const rng = new Rng(2);
    const x = randn(rng, [3, 5, 4, 6]);
    const gamma = randn(rng, [6]) as tf.Tensor1D;
    const beta = randn(rng, [6]) as tf.Tensor1D;
    const w = randn(rng, [3, 5, 4, 6]);
    const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.tidy(() => {
      const r = batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
      const l = tf.sum(tf.mul(tf.relu(r.y), w));
      tf.dispose([r.mean, r.variance]);
      return l as tf.Scalar;
    });
    const { ref, nat } = refAndNative(() => {
      const r = batchNormTraining(x, gamma, beta, 1e-3);
      return [r.y, r.mean, r.variance, ...tf.grads(loss)([x, gamma, beta])];
    });
    ref.forEach((r, i) => expect(relErr(nat[i], r), `output ${i}`).toBeLessThan(1e-5));
    // Finite differences in x (float32: eps 1e-2, loose tolerance), native path.
    const g = tf.grad((a: tf.Tensor) => loss(a, gamma, beta))(x);
    const gv = g.dataSync();
    const base = x.dataSync() as Float32Array;
    for (const i of [0, 7, 33, 59, 100]) {
      const at = (d: number) => tf.tidy(() => {
        const v = base.slice();
        v[i] += d;
        return loss(tf.tensor(v, x.shape), gamma, beta).dataSync()[0];
      });
      const fd = (at(1e-2) - at(-1e-2)) / 2e-2;
      expect(Math.abs(gv[i] - fd)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
    }
    // Hand-checked: x = [[1], [3]] has mean 2 and variance 1, so y = ±1/sqrt(1 + eps).
    const [p, one, zero] = [tf.tensor2d([[1], [3]]), tf.ones([1]) as tf.Tensor1D, tf.zeros([1]) as tf.Tensor1D];
    const r = batchNormTraining(p, one, zero, 0);
    expect(Array.from(r.y.dataSync())).toEqual([-1, 1]);
    expect(r.mean.dataSync()[0]).toBe(2);
    expect(r.variance.dataSync()[0]).toBe(1);
    tf.dispose([x, gamma, beta, w, g, r.y, r.mean, r.variance, p, one, zero]);
  });

  it('a model with the fused layer round-trips through its JSON topology', async () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const out = fusedBatchNormalization({ name: 'bn' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const json = model.toJSON(null, false) as object;
    expect(JSON.stringify(json)).toContain('TransmriBatchNormalization');
    const copy = await tf.models.modelFromJSON(json as tf.io.ModelJSON['modelTopology'] as never);
    expect(copy.layers[1].getClassName()).toBe('TransmriBatchNormalization');
    expect(copy.layers[1].getWeights().map((t) => t.shape)).toEqual(model.layers[1].getWeights().map((t) => t.shape));
    model.dispose();
    copy.dispose();
  });
});
