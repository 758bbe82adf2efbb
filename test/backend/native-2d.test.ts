import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/backend/rng.js';
import { findAddonPath, registerNativeKernels, setNativeThreads, unregisterNativeKernels } from '../../src/backend/native/register.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { randn, refAndNative, relErr } from './native-helpers.js';

const built = findAddonPath() !== undefined;
if (!built) console.warn('native-2d tests skipped: addon not built (run `npm install` or `node native/build.mjs`)');

/** Central finite differences of a scalar function at a few coordinates of x (float32, so eps is large). */
function finiteDiff(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, coords: number[], eps = 1e-2): number[] {
  const base = x.dataSync() as Float32Array;
  return coords.map((i) => {
    const at = (delta: number) => tf.tidy(() => {
      const v = base.slice();
      v[i] += delta;
      return f(tf.tensor(v, x.shape)).dataSync()[0];
    });
    return (at(eps) - at(-eps)) / (2 * eps);
  });
}

describe.skipIf(!built)('native 2D kernels match tfjs', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerNativeKernels();
  });
  afterAll(() => unregisterNativeKernels());
  expectNoTensorLeaks();

  const pools: { x: [number, number, number, number]; f: number; s: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 8, 10, 3], f: 2, s: 2, pad: 'valid' },
    { x: [2, 9, 7, 3], f: 2, s: 2, pad: 'same' },
    { x: [1, 7, 6, 1], f: 3, s: 2, pad: 'same' },
    { x: [1, 6, 5, 9], f: 3, s: 1, pad: 'valid' },
    { x: [3, 5, 5, 10], f: 2, s: 1, pad: 'same' },
    { x: [16, 64, 64, 3], f: 2, s: 2, pad: 'same' },
  ];
  for (const c of pools) {
    it(`MaxPool ${c.x.join('x')} filter ${c.f} stride ${c.s} ${c.pad}: forward and gradient`, () => {
      const rng = new Rng(c.x[1] * 31 + c.f * 7 + c.s);
      // Rounded values make ties (and ReLU-like zeros) common, so the first-maximum rule is exercised.
      const x = tf.tidy(() => tf.relu(tf.round(tf.mul(randn(rng, c.x), 2)))) as tf.Tensor4D;
      const dy = tf.tidy(() => randn(rng, tf.maxPool(x, c.f, c.s, c.pad).shape));
      const { ref, nat } = refAndNative(() => [
        tf.maxPool(x, c.f, c.s, c.pad),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.f, c.s, c.pad), dy)))(x),
      ]);
      expect(relErr(nat[0], ref[0])).toBe(0);
      expect(relErr(nat[1], ref[1])).toBeLessThan(1e-6);
      tf.dispose([x, dy]);
    });
  }

  it('MaxPool ties send the gradient to the first maximum of the window, like tfjs', () => {
    const x = tf.tensor4d([5, 5, 5, 5, 1, 5, 7, 7], [1, 2, 4, 1]);
    const { ref, nat } = refAndNative(() => [tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(x)]);
    // Windows (5,5 / 1,5) and (5,5 / 7,7): the first 5 (index 0) and the first 7 (index 6).
    expect(Array.from(nat[0])).toEqual([1, 0, 0, 0, 0, 0, 1, 0]);
    expect(Array.from(nat[0])).toEqual(Array.from(ref[0]));
    x.dispose();
  });

  // Stride-1 convolutions with <= 8 output channels take the planar kernels (conv2d_small.cc);
  // W values around the 24-pixel tile exercise the tails.
  const convs: { x: [number, number, number, number]; k: [number, number]; co: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 9, 30, 3], k: [3, 3], co: 3, pad: 'same' },
    { x: [1, 7, 25, 1], k: [3, 3], co: 1, pad: 'same' },
    { x: [3, 6, 50, 5], k: [3, 3], co: 4, pad: 'valid' },
    { x: [1, 5, 23, 3], k: [5, 3], co: 6, pad: 'same' },
    { x: [2, 4, 9, 12], k: [1, 1], co: 8, pad: 'valid' },
    { x: [1, 6, 13, 2], k: [2, 4], co: 7, pad: 'same' },
    { x: [16, 32, 32, 3], k: [3, 3], co: 3, pad: 'same' },
  ];
  for (const c of convs) {
    it(`small-channel conv2d ${c.x.join('x')} k ${c.k.join('x')} -> ${c.co} ${c.pad}: forward, bias+relu, dx, dw`, () => {
      const rng = new Rng(c.x[2] * 13 + c.co);
      const x = randn(rng, c.x) as tf.Tensor4D;
      const w = randn(rng, [...c.k, c.x[3], c.co]) as tf.Tensor4D;
      const b = randn(rng, [c.co]) as tf.Tensor1D;
      const dy = tf.tidy(() => randn(rng, tf.conv2d(x, w, 1, c.pad).shape));
      const { ref, nat } = refAndNative(() => [
        tf.conv2d(x, w, 1, c.pad),
        tf.fused.conv2d({ x, filter: w, strides: 1, pad: c.pad, bias: b, activation: 'relu' }),
        ...tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, c.pad), dy)))([x, w]),
      ]);
      ['conv2d', 'fused relu', 'dx', 'dw'].forEach((name, i) => expect(relErr(nat[i], ref[i]), name).toBeLessThan(1e-5));
      tf.dispose([x, w, b, dy]);
    });
  }

  // Before, each thread summed its half of the rows into one partial, so dw differed in the
  // last bits between 1 and 2 threads; now fixed blocks of rows are added in block order.
  it('the small-channel conv2d filter gradient is bit-identical on 1 and 2 threads', () => {
    // 63 rows (N x H): the old halves split them at row 31, off the 8-row chunks.
    const rng = new Rng(77);
    const x = randn(rng, [7, 9, 64, 3]) as tf.Tensor4D;
    const w = randn(rng, [3, 3, 3, 4]) as tf.Tensor4D;
    const dy = randn(rng, [7, 9, 64, 4]) as tf.Tensor4D;
    const dw = (threads: number) => {
      setNativeThreads(threads);
      return tf.tidy(() => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), dy)))(w).dataSync() as Float32Array);
    };
    const before = setNativeThreads(2) ?? 2;
    try {
      const one = dw(1);
      const two = dw(2);
      const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
      expect(bits(two)).toEqual(bits(one));
    } finally {
      setNativeThreads(before);
      tf.dispose([x, w, dy]);
    }
  });

  it('a small-channel conv + relu + pool net has finite-difference filter gradients', () => {
    const rng = new Rng(11);
    const x = randn(rng, [2, 6, 27, 3]) as tf.Tensor4D;
    const w = randn(rng, [3, 3, 3, 3]);
    const u = randn(rng, [2, 3, 14, 3]);
    const f = (k: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(tf.maxPool(tf.relu(tf.conv2d(x, k as tf.Tensor4D, 1, 'same')), 2, 2, 'same'), u)) as tf.Scalar);
    const g = tf.grad(f)(w);
    const gv = g.dataSync();
    const coords = [0, 4, 13, 26, 40, 80];
    const fd = finiteDiff(f, w, coords, 1e-3);
    coords.forEach((i, k) => expect(Math.abs(gv[i] - fd[k])).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd[k]))));
    tf.dispose([x, w, u, g]);
  });

  it('BatchMatMul with every transpose and batch broadcast, _FusedMatMul with bias and relu, and their gradients', () => {
    const rng = new Rng(12);
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[16, 300], [300, 4], false, false],
      [[300, 16], [300, 4], true, false],
      [[16, 300], [4, 300], false, true],
      [[300, 16], [4, 300], true, true],
      [[1, 5, 7], [3, 7, 4], false, false],
      [[3, 7, 5], [1, 4, 7], true, true],
      [[2, 3, 5, 6], [2, 3, 6, 2], false, false],
      [[2, 1, 5, 6], [1, 3, 6, 2], false, false], // a broadcast the native kernel leaves to tfjs
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const a = randn(rng, sa);
      const b = randn(rng, sb);
      const { ref, nat } = refAndNative(() => [tf.matMul(a, b, ta, tb)]);
      expect(relErr(nat[0], ref[0])).toBeLessThan(1e-5);
      tf.dispose([a, b]);
    }
    const x = randn(rng, [16, 300]);
    const w = randn(rng, [300, 4]);
    const bias = randn(rng, [4]);
    const dy = randn(rng, [16, 4]);
    const { ref, nat } = refAndNative(() => [
      tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' }),
      tf.fused.matMul({ a: x, b: w, bias: tf.reshape(bias, [1, 4]) }),
      ...tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: r }), dy)))([x, w, bias]),
    ]);
    ref.forEach((r, i) => expect(relErr(nat[i], r)).toBeLessThan(1e-5));
    // Hand-checked: [[1, 2]] x [[3], [4]] + 1 = 12; relu of -12 is 0.
    const p = tf.tensor2d([[1, 2]]);
    const q = tf.tensor2d([[3], [4]]);
    const one = tf.tensor1d([1]);
    const mq = tf.neg(q);
    const r1 = tf.fused.matMul({ a: p, b: q, bias: one });
    const r2 = tf.fused.matMul({ a: p, b: mq, activation: 'relu' });
    expect(r1.dataSync()[0]).toBe(12);
    expect(r2.dataSync()[0]).toBe(0);
    tf.dispose([x, w, bias, dy, p, q, one, mq, r1, r2]);
  });

  it('Relu, Step, Square, ReLU gradient at special values (NaN, ±0, ±Inf) and on a large threaded tensor', () => {
    const special = tf.tensor1d([NaN, -0, 0, 1e-30, -1e-30, 3, -2, Infinity, -Infinity]);
    const big = randn(new Rng(3), [12, 64, 64, 3]);
    for (const x of [special, big]) {
      const { ref, nat } = refAndNative(() => [
        tf.relu(x), tf.step(x), tf.step(x, 0.25), tf.square(x),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), tf.onesLike(a).mul(1.5))))(x),
      ]);
      ref.forEach((r, i) => expect(Array.from(nat[i])).toEqual(Array.from(r)));
    }
    // relu(NaN) = NaN, step(NaN) = NaN, step(-2, 0.25) = 0.25.
    const { nat } = refAndNative(() => [tf.relu(special), tf.step(special, 0.25)]);
    expect(nat[0][0]).toBeNaN();
    expect(nat[1][0]).toBeNaN();
    expect(nat[1][6]).toBe(0.25);
    tf.dispose([special, big]);
  });

  it('RealDiv in every broadcast mode', () => {
    const rng = new Rng(5);
    const a = randn(rng, [4, 5, 6, 7]);
    const cases: Array<[tf.Tensor, tf.Tensor]> = [
      [a, tf.tidy(() => tf.add(tf.abs(randn(rng, [4, 5, 6, 7])), 0.5))],
      [a, tf.scalar(3)],
      [tf.scalar(2), tf.add(a, 10)],
      [a, tf.tensor1d([1, 2, 3, 4, 5, 6, 7])],
      [tf.tensor2d([[1, 2, 3, 4, 5, 6, 7]]), tf.add(a, 10)],
      [a, tf.ones([4, 1, 1, 1])], // not a trailing operand: tfjs kernel
    ];
    for (const [p, q] of cases) {
      const { ref, nat } = refAndNative(() => [tf.div(p, q)]);
      expect(Array.from(nat[0])).toEqual(Array.from(ref[0]));
    }
    tf.dispose(cases.flat());
  });

  it('Tile of ranks 1 to 4, including a channel vector tiled over N, H, W', () => {
    const rng = new Rng(6);
    // Also a scalar broadcast to rank 5 (a mean's gradient), a reps of 1 between copies, and zero reps.
    const cases: Array<[number[], number[]]> = [[[5], [3]], [[2, 3], [2, 2]], [[1, 1, 1, 5], [2, 3, 4, 1]], [[3, 1, 2], [1, 4, 2]], [[2, 3, 1, 4], [3, 1, 5, 2]],
      [[1, 1, 1, 1, 1], [4, 6, 5, 7, 1]], [[1, 1, 1, 1, 1], [2, 3, 3, 3, 16]], [[2, 1, 3, 1, 2], [1, 3, 1, 4, 2]], [[3, 2], [0, 2]]];
    for (const [shape, reps] of cases) {
      const x = randn(rng, shape);
      const { ref, nat } = refAndNative(() => [tf.tile(x, reps)]);
      expect(Array.from(nat[0])).toEqual(Array.from(ref[0]));
      x.dispose();
    }
    // Hand-checked: [1, 2] tiled twice is [1, 2, 1, 2].
    const t = tf.tensor1d([1, 2]);
    const tt = tf.tile(t, [2]);
    expect(Array.from(tt.dataSync())).toEqual([1, 2, 1, 2]);
    tf.dispose([t, tt]);
  });

  it('Mean over leading, trailing and other axes (with keepDims), and its gradient', () => {
    const x = randn(new Rng(7), [6, 5, 4, 3]);
    const axesList: Array<number | number[]> = [[0, 1, 2], 0, [2, 3], 3, [0, 2], -1, [1, 2], 1, [1, 2, 3]];
    for (const axis of axesList) {
      for (const keepDims of [false, true]) {
        const { ref, nat } = refAndNative(() => [
          tf.mean(x, axis, keepDims),
          tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.mean(a, axis, keepDims))))(x),
        ]);
        expect(relErr(nat[0], ref[0])).toBeLessThan(1e-6);
        expect(relErr(nat[1], ref[1])).toBeLessThan(1e-6);
      }
    }
    // Large enough for the threaded channel sums (as in a BN layer's moments).
    const big = randn(new Rng(77), [16, 32, 32, 32]);
    const { ref, nat } = refAndNative(() => [tf.mean(big, [0, 1, 2]), tf.moments(big, [0, 1, 2]).variance]);
    expect(relErr(nat[0], ref[0])).toBeLessThan(1e-5);
    expect(relErr(nat[1], ref[1])).toBeLessThan(1e-5);
    big.dispose();
    // Hand-checked: mean of [1, 2, 3, 6] is 3; its gradient is 1/4 everywhere.
    const v = tf.tensor1d([1, 2, 3, 6]);
    const m = tf.mean(v);
    const g = tf.grad((a: tf.Tensor) => tf.mean(a))(v);
    expect(m.dataSync()[0]).toBe(3);
    expect(Array.from(g.dataSync())).toEqual([0.25, 0.25, 0.25, 0.25]);
    tf.dispose([x, v, m, g]);
  });

  // (tfjs cannot differentiate batchNorm without scale or offset: its gradient expects both inputs.)
  it('FusedBatchNorm forward and all five gradients', () => {
    const rng = new Rng(8);
    for (const shape of [[4, 5, 6, 7], [16, 32, 32, 32], [9, 1]]) {
      const c = shape[shape.length - 1];
      const x = randn(rng, shape);
      const mean = randn(rng, [c]);
      const variance = tf.tidy(() => tf.add(tf.abs(randn(rng, [c])), 0.1));
      const scale = randn(rng, [c]);
      const offset = randn(rng, [c]);
      const w = randn(rng, shape);
      const loss = (xx: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(xx, m, v, o, s, 1e-3), w));
      const { ref, nat } = refAndNative(() => [
        tf.batchNorm(x, mean, variance, offset, scale, 1e-3),
        ...tf.grads((xx, m, v, s, o) => loss(xx, m, v, s, o))([x, mean, variance, scale, offset]),
      ]);
      ref.forEach((r, i) => expect(relErr(nat[i], r)).toBeLessThan(2e-5));
      tf.dispose([x, mean, variance, scale, offset, w]);
    }
  });

  it('batch normalisation in training mode (moments of the batch) has the finite-difference gradient', () => {
    const rng = new Rng(9);
    const x = randn(rng, [3, 4, 2, 3]);
    const gamma = tf.tensor1d([1.5, -0.5, 2]);
    const beta = tf.tensor1d([0.1, 0.2, -0.3]);
    const w = randn(rng, [3, 4, 2, 3]);
    // A loss that depends on x through the batch statistics too (as a BN layer in training).
    const f = (a: tf.Tensor) => tf.tidy(() => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.sum(tf.mul(tf.relu(tf.batchNorm(a, mean, variance, beta, gamma, 1e-3)), w)) as tf.Scalar;
    });
    const g = tf.grad(f)(x);
    const gv = g.dataSync();
    const coords = [0, 5, 17, 40, 71];
    const fd = finiteDiff(f, x, coords);
    coords.forEach((i, k) => expect(Math.abs(gv[i] - fd[k])).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd[k]))));
    const { ref, nat } = refAndNative(() => [tf.grad(f)(x)]);
    expect(relErr(nat[0], ref[0])).toBeLessThan(1e-4);
    tf.dispose([x, gamma, beta, w, g]);
  });

  it('max pooling, relu and mean of a small net have finite-difference gradients', () => {
    const rng = new Rng(10);
    const x = randn(rng, [2, 6, 5, 3]);
    const w = randn(rng, [2, 3, 3, 3]);
    const f = (a: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(tf.maxPool(tf.relu(a) as tf.Tensor4D, 2, 2, 'same'), w)).add(tf.mean(tf.square(a))) as tf.Scalar);
    const g = tf.grad(f)(x);
    const gv = g.dataSync();
    const coords = [1, 7, 30, 64, 100, 170];
    const fd = finiteDiff(f, x, coords, 1e-3);
    coords.forEach((i, k) => expect(Math.abs(gv[i] - fd[k])).toBeLessThan(1e-2));
    tf.dispose([x, w, g]);
  });
});
