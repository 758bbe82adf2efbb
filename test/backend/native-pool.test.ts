import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/backend/rng.js';
import { findAddonPath, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native/register.js';
import { upSampling3d } from '../../src/backend/ops/upsample3d.js';
import { randn, refAndNative, relErr } from './native-helpers.js';

const built = findAddonPath() !== undefined;
if (!built) console.warn('native-pool tests skipped: addon not built (run `npm install` or `node native/build.mjs`)');

describe.skipIf(!built)('native MaxPool3D kernels match tfjs', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerNativeKernels();
  });
  afterAll(() => unregisterNativeKernels());

  const cases: { x: number[]; f: number; s: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 8, 6, 10, 3], f: 2, s: 2, pad: 'valid' },
    { x: [1, 7, 5, 9, 1], f: 2, s: 2, pad: 'same' },
    { x: [1, 6, 7, 5, 9], f: 3, s: 2, pad: 'same' },
    { x: [2, 5, 5, 5, 4], f: 3, s: 1, pad: 'valid' },
    // Channels multiples of 8 take the vectorised gradient; odd sizes leave cells outside every window.
    { x: [2, 6, 4, 8, 8], f: 2, s: 2, pad: 'valid' },
    { x: [1, 7, 5, 6, 16], f: 2, s: 2, pad: 'valid' },
    { x: [1, 5, 7, 3, 24], f: 2, s: 2, pad: 'same' },
    { x: [1, 6, 6, 6, 8], f: 2, s: 3, pad: 'valid' },
  ];
  for (const c of cases) {
    it(`x ${c.x.join('x')} filter ${c.f} stride ${c.s} ${c.pad}: forward and gradient`, () => {
      const before = tf.memory().numTensors;
      const rng = new Rng(c.x[1] * 17 + c.f);
      const x = randn(rng, c.x) as tf.Tensor5D;
      const y0 = tf.maxPool3d(x, c.f, c.s, c.pad);
      const dy = randn(rng, y0.shape);
      y0.dispose();
      const { ref, nat } = refAndNative(() => [
        tf.maxPool3d(x, c.f, c.s, c.pad),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool3d(a as tf.Tensor5D, c.f, c.s, c.pad), dy)))(x),
      ]);
      expect(relErr(nat[0], ref[0])).toBe(0);
      expect(relErr(nat[1], ref[1])).toBeLessThan(1e-6);
      tf.dispose([x, dy]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('ties with 8 channels (vectorised path) also go to the last maximum', () => {
    // Channel c of every cell is c (all tied) except channel 3, whose maximum 5 sits at (0, 1, 0) = position 2.
    const v = new Float32Array(64);
    for (let p = 0; p < 8; p++) for (let c = 0; c < 8; c++) v[p * 8 + c] = c === 3 ? (p === 2 ? 5 : 0) : c;
    const x = tf.tensor5d(v, [1, 2, 2, 2, 8]);
    const { ref, nat } = refAndNative(() => [tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool3d(a as tf.Tensor5D, 2, 2, 'valid')))(x)]);
    const expected = new Float32Array(64);
    for (let c = 0; c < 8; c++) expected[(c === 3 ? 2 : 7) * 8 + c] = 1;
    expect(Array.from(nat[0])).toEqual(Array.from(expected));
    expect(Array.from(ref[0])).toEqual(Array.from(expected));
    x.dispose();
  });

  it('ties send the gradient to the last maximum of the window, like tfjs', () => {
    // One 2x2x2 window of equal values: tfjs' maxPool3dPositions keeps the last (d, h, w) = (1, 1, 1).
    const x = tf.ones([1, 2, 2, 2, 1]) as tf.Tensor5D;
    const { ref, nat } = refAndNative(() => [tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool3d(a as tf.Tensor5D, 2, 2, 'valid')))(x)]);
    expect(Array.from(nat[0])).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(nat[0])).toEqual(Array.from(ref[0]));
    x.dispose();
  });
});

describe('upSampling3d', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => unregisterNativeKernels());

  const paths = built ? ['tf ops', 'native'] : ['tf ops'];
  for (const path of paths) {
    it(`nearest (${path}): values, block-sum gradient and no leaks`, () => {
      if (path === 'native') registerNativeKernels(); else unregisterNativeKernels();
      const before = tf.memory().numTensors;
      // x[d,h,w] = 1, 2 along w (shape 1x1x1x2x1), size [2, 1, 3]:
      // y has shape [1,2,1,6,1] = [[1,1,1,2,2,2],[1,1,1,2,2,2]].
      const x = tf.tensor5d([1, 2], [1, 1, 1, 2, 1]);
      const y = upSampling3d(x, [2, 1, 3]);
      expect(y.shape).toEqual([1, 2, 1, 6, 1]);
      expect(Array.from(y.dataSync())).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
      // d/dx sum(y * dy) with dy = 0..11: x0 gets 0+1+2+6+7+8 = 24, x1 gets 3+4+5+9+10+11 = 42.
      const dy = tf.tensor5d(Array.from({ length: 12 }, (_, i) => i), [1, 2, 1, 6, 1]);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(upSampling3d(a as tf.Tensor5D, [2, 1, 3]), dy)))(x);
      expect(Array.from(g.dataSync())).toEqual([24, 42]);
      tf.dispose([x, y, dy, g]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it.skipIf(!built)('native nearest matches the tf-ops path on a random multi-channel volume', () => {
    const rng = new Rng(11);
    const x = randn(rng, [2, 3, 4, 5, 3]) as tf.Tensor5D;
    const dy = randn(rng, [2, 6, 8, 5, 3]);
    const { ref, nat } = refAndNative(() => [
      upSampling3d(x, [2, 2, 1]),
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(upSampling3d(a as tf.Tensor5D, [2, 2, 1]), dy)))(x),
    ]);
    expect(relErr(nat[0], ref[0])).toBe(0);
    expect(relErr(nat[1], ref[1])).toBeLessThan(1e-6);
    tf.dispose([x, dy]);
  });

  it('trilinear follows align_corners=false (PyTorch) and its gradient matches finite differences', () => {
    unregisterNativeKernels();
    // 1D along w: [0, 4] upsampled x2 -> sources -0.25, 0.25, 0.75, 1.25 clamped to [0, 1]:
    // [0, 1, 3, 4].
    const x = tf.tensor5d([0, 4], [1, 1, 1, 2, 1]);
    const y = upSampling3d(x, [1, 1, 2], 'trilinear');
    expect(Array.from(y.dataSync())).toEqual([0, 1, 3, 4]);
    // Gradient of sum(y * [1,2,3,4]) wrt x: x0 weights 1, .75, .25, 0 -> 1 + 1.5 + .75 = 3.25;
    // x1 weights 0, .25, .75, 1 -> .5 + 2.25 + 4 = 6.75.
    const dy = tf.tensor5d([1, 2, 3, 4], [1, 1, 1, 4, 1]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(upSampling3d(a as tf.Tensor5D, [1, 1, 2], 'trilinear'), dy)))(x);
    expect(Array.from(g.dataSync())).toEqual([3.25, 6.75]);
    const x3 = tf.tensor5d([0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 2, 2, 1]);
    const y3 = upSampling3d(x3, [2, 2, 2], 'trilinear');
    expect(y3.shape).toEqual([1, 4, 4, 4, 1]);
    // Corner voxels copy the corners; the mean is preserved by symmetric weights: 3.5.
    expect(y3.dataSync()[0]).toBeCloseTo(0, 6);
    expect(y3.dataSync()[63]).toBeCloseTo(7, 6);
    expect(tf.mean(y3).dataSync()[0]).toBeCloseTo(3.5, 5);
    tf.dispose([x, y, dy, g, x3, y3]);
  });

  it('rejects bad input with errors that name the op', () => {
    const x = tf.zeros([2, 2, 2, 1]);
    expect(() => upSampling3d(x as unknown as tf.Tensor5D, [2, 2, 2])).toThrow(/upSampling3d: x: expected shape/);
    const x5 = tf.zeros([1, 2, 2, 2, 1]) as tf.Tensor5D;
    expect(() => upSampling3d(x5, [2, 0, 2])).toThrow(/upSampling3d size/);
    expect(() => upSampling3d(x5, [2, 2, 2], 'cubic' as 'nearest')).toThrow(/upSampling3d method/);
    tf.dispose([x, x5]);
  });
});
