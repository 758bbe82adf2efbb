import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/backend/rng.js';
import { findAddonPath, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native/register.js';
import { broadcastPlan } from '../../src/backend/native/eltwise.js';
import { randn, refAndNative, relErr } from './native-helpers.js';

const built = findAddonPath() !== undefined;
if (!built) console.warn('native-eltwise tests skipped: addon not built (run `npm install` or `node native/build.mjs`)');

describe('broadcastPlan', () => {
  it('recognises equal shapes, scalars and trailing-axes operands, and nothing else', () => {
    expect(broadcastPlan([2, 3], [2, 3])).toEqual({ mode: 0, inner: 1, shape: [2, 3] });
    expect(broadcastPlan([2, 3], [])).toEqual({ mode: 1, inner: 1, shape: [2, 3] });
    expect(broadcastPlan([1], [4, 5])).toEqual({ mode: 2, inner: 1, shape: [4, 5] });
    expect(broadcastPlan([4, 5, 6], [1, 6])).toEqual({ mode: 3, inner: 6, shape: [4, 5, 6] });
    expect(broadcastPlan([5, 6], [4, 5, 6])).toEqual({ mode: 4, inner: 30, shape: [4, 5, 6] });
    expect(broadcastPlan([4, 5, 6], [4, 1, 6])).toBeUndefined();
    expect(broadcastPlan([4, 1], [1, 5])).toBeUndefined();
  });
});

describe.skipIf(!built)('native element-wise kernels match tfjs', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerNativeKernels();
  });
  afterAll(() => unregisterNativeKernels());

  it('add/sub/mul in every broadcast mode (large, threaded, and small), plus a fallback case', () => {
    const before = tf.memory().numTensors;
    const rng = new Rng(5);
    const big = randn(rng, [2, 9, 8, 7, 70]);
    const small = randn(rng, [3, 4]);
    const bias = randn(rng, [70]);
    const s = tf.scalar(1.5);
    const other = randn(rng, [2, 9, 8, 7, 70]);
    const col = randn(rng, [3, 1]);
    const { ref, nat } = refAndNative(() => {
      const out: tf.Tensor[] = [];
      for (const f of [tf.add, tf.sub, tf.mul]) {
        out.push(f(big, other), f(big, s), f(s, big), f(big, bias), f(bias, big), f(small, col), f(small, tf.scalar(-2)));
      }
      return out;
    });
    ref.forEach((r, i) => expect(relErr(nat[i], r), `case ${i}`).toBe(0));
    tf.dispose([big, small, bias, s, other, col]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('elu, its gradient and sums over leading / trailing / other axes', () => {
    const rng = new Rng(6);
    const x = randn(rng, [3, 9, 8, 9, 40]);
    const dy = randn(rng, [3, 9, 8, 9, 40]);
    const { ref, nat } = refAndNative(() => [
      tf.elu(x),
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.elu(a), dy)))(x),
      tf.sum(x, [0, 1, 2, 3]),
      tf.sum(x, [3, 4], true),
      tf.sum(x),
      tf.sum(x, [1, 3]),
    ]);
    expect(relErr(nat[0], ref[0])).toBeLessThan(1e-6);
    expect(relErr(nat[1], ref[1])).toBeLessThan(1e-6);
    for (let i = 2; i < 6; i++) expect(relErr(nat[i], ref[i]), `sum ${i}`).toBeLessThan(1e-5);
    tf.dispose([x, dy]);
  });

  it('elu at hand-checked points: elu(-1) = e^-1 - 1, gradient there = e^-1', () => {
    registerNativeKernels();
    const x = tf.tensor1d([-1, 0, 2]);
    const y = tf.elu(x);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.elu(a)))(x);
    const yv = y.dataSync();
    expect(yv[0]).toBeCloseTo(Math.exp(-1) - 1, 6);
    expect(Array.from(yv.slice(1))).toEqual([0, 2]);
    const gv = g.dataSync();
    expect(gv[0]).toBeCloseTo(Math.exp(-1), 6);
    expect(Array.from(gv.slice(1))).toEqual([1, 1]);
    tf.dispose([x, y, g]);
  });
  it('sigmoid, sqrt, abs, neg, squared difference and fill on odd sizes (vector tails), large and small', () => {
    const rng = new Rng(7);
    const before = tf.memory().numTensors;
    for (const shape of [[3, 7, 5, 9, 13], [5], [1, 3]]) {
      const x = tf.tidy(() => tf.mul(randn(rng, shape), 6));
      const y = randn(rng, shape);
      const { ref, nat } = refAndNative(() => [
        tf.sigmoid(x), tf.sqrt(tf.abs(x)), tf.abs(x), tf.neg(x), tf.squaredDifference(x, y),
        tf.squaredDifference(x, tf.scalar(0.5)), tf.ones(shape), tf.fill(shape, -2.5),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(a), y)))(x),
      ]);
      ref.forEach((r, i) => expect(relErr(nat[i], r), `shape ${shape.join('x')} case ${i}`).toBeLessThan(1e-6));
      tf.dispose([x, y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('elu keeps full relative precision near 0, saturates at -1, and propagates NaN and infinities', () => {
    // expm1(-1e-6) = -9.999995e-7: computing exp(x) - 1 in float32 would be off by ~5%.
    const x = tf.tensor1d([-1e-6, -0.3, -0.35, -20, -100, -Infinity, NaN, Infinity, 1e-30, -1e-30, 0, -0, 3]);
    const y = tf.elu(x);
    const v = y.dataSync();
    const expected = [-1e-6, -0.3, -0.35, -20, -100].map((a) => Math.expm1(a));
    expected.forEach((e, i) => expect(Math.abs(v[i] - e) / Math.abs(e), `x ${x.dataSync()[i]}`).toBeLessThan(3e-7));
    expect(v[5]).toBe(-1);
    expect(v[6]).toBeNaN();
    expect(v[7]).toBe(Infinity);
    expect(Math.abs(v[8] - 1e-30) / 1e-30).toBeLessThan(1e-6);
    expect(Math.abs(v[9] + 1e-30) / 1e-30).toBeLessThan(1e-6);
    expect(Array.from(v.slice(10))).toEqual([0, -0, 3]); // -0 >= 0, so elu(-0) = -0 as in tfjs
    const s = tf.sigmoid(tf.tensor1d([NaN, -Infinity, Infinity, 0]));
    const sv = s.dataSync();
    expect(sv[0]).toBeNaN();
    expect(sv[1]).toBeLessThan(1e-38);
    expect(Array.from(sv.slice(2))).toEqual([1, 0.5]);
    tf.dispose([x, y, s]);
  });
  it('sums over leading axes with 1, 2, 4 and 8 columns (interleaved accumulators), odd and threaded sizes', () => {
    const rng = new Rng(8);
    const before = tf.memory().numTensors;
    for (const shape of [[3, 7, 5, 1], [3, 7, 5, 2], [3, 7, 5, 4], [1, 1, 3, 8], [2, 33, 40, 41, 1], [2, 33, 40, 41, 8], [2, 13, 40, 41, 4]]) {
      const x = randn(rng, shape);
      const axes = shape.slice(0, -1).map((_, i) => i);
      const { ref, nat } = refAndNative(() => [tf.sum(x, axes), tf.sum(x, axes, true)]);
      expect(relErr(nat[0], ref[0]), shape.join('x')).toBeLessThan(1e-5);
      expect(relErr(nat[1], ref[1]), shape.join('x')).toBeLessThan(1e-5);
      x.dispose();
    }
    // Hand-checked: columns of [[1, 2], [3, 4], [5, 6]] sum to [9, 12].
    const m = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const c = tf.sum(m, 0);
    expect(Array.from(c.dataSync())).toEqual([9, 12]);
    tf.dispose([m, c]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
