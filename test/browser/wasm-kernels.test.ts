/**
 * The wasm backend's replacement MaxPool3D kernels (src/browser/wasm-kernels.ts), run in Node on
 * tfjs-backend-wasm: tfjs 4.22's compiled kernel gives FLT_MIN for an all-negative window; the replacements
 * give the cpu backend's values and gradients (and finite differences for a non-cubic window).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { maxPool3dArgmax, patchWasmMaxPool3D } from '../../src/browser/wasm-kernels.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

type Pool = { filter: [number, number, number]; strides: [number, number, number]; pad: 'valid' | 'same'; shape: [number, number, number, number, number] };
const POOLS: Pool[] = [
  { filter: [2, 2, 2], strides: [2, 2, 2], pad: 'valid', shape: [2, 6, 5, 4, 3] },
  { filter: [2, 2, 2], strides: [2, 2, 2], pad: 'same', shape: [1, 5, 7, 3, 2] },
  { filter: [3, 3, 3], strides: [1, 2, 1], pad: 'same', shape: [1, 4, 5, 4, 1] },
];

/** Values mostly below zero (mean −1.5), so many windows hold only negative values. */
const input = (shape: Pool['shape'], seed: number) => tf.randomNormal(shape, -1.5, 1, 'float32', seed) as tf.Tensor5D;

async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

describe('MaxPool3D on the wasm backend', () => {
  expectNoTensorLeaks();

  it('the stock wasm kernel gives FLT_MIN for an all-negative window; the replacement gives the maximum, and cpu values and gradients', async () => {
    const x = tf.tensor5d([-3, -1, -2, -4, -5, -6, -7, -0.5], [1, 2, 2, 2, 1]);
    // tfjs-backend-wasm 4.22.0 as shipped (when this fails, tfjs fixed it and the patch may go)
    expect(await on('wasm', () => tf.tidy(() => Array.from(tf.maxPool3d(x, 2, 2, 'valid').dataSync())))).toEqual([1.1754943508222875e-38]);
    patchWasmMaxPool3D();
    patchWasmMaxPool3D(); // idempotent
    expect(await on('wasm', () => tf.tidy(() => Array.from(tf.maxPool3d(x, 2, 2, 'valid').dataSync())))).toEqual([-0.5]);
    // gradient: all of it at the maximum (the last element)
    expect(await on('wasm', () => tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool3d(t as tf.Tensor5D, 2, 2, 'valid')))(x).dataSync())))).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    x.dispose();

    for (const [k, p] of POOLS.entries()) {
      const results: Record<string, { y: Float32Array; g: Float32Array }> = {};
      for (const backend of ['cpu', 'wasm']) {
        results[backend] = await on(backend, () =>
          tf.tidy(() => {
            const xs = input(p.shape, k + 1);
            const y = tf.maxPool3d(xs, p.filter, p.strides, p.pad);
            const w = tf.randomNormal(y.shape, 0, 1, 'float32', 50 + k);
            const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool3d(t as tf.Tensor5D, p.filter, p.strides, p.pad), w)))(xs);
            return { y: y.dataSync() as Float32Array, g: g.dataSync() as Float32Array };
          }),
        );
      }
      const where = JSON.stringify(p);
      expect(Array.from(results.wasm.y), where).toEqual(Array.from(results.cpu.y));
      expect(results.wasm.y.some((v) => v < 0), where).toBe(true);
      if (p.filter.every((f) => f === p.filter[0]) && p.strides.every((s, i) => s === p.filter[i])) {
        expect(Array.from(results.wasm.g), where).toEqual(Array.from(results.cpu.g));
      }
    }
  });

  it('the gradient equals finite differences (overlapping 3×3×3 windows)', async () => {
    patchWasmMaxPool3D();
    const p = POOLS[2];
    const { values, grad, weights } = await on('wasm', () =>
      tf.tidy(() => {
        const xs = input(p.shape, 9);
        const w = tf.randomNormal(tf.maxPool3d(xs, p.filter, p.strides, p.pad).shape, 0, 1, 'float32', 10);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool3d(t as tf.Tensor5D, p.filter, p.strides, p.pad), w)))(xs);
        return { values: xs.dataSync() as Float32Array, grad: g.dataSync() as Float32Array, weights: w.dataSync() as Float32Array };
      }),
    );
    const f = (v: Float32Array) =>
      tf.tidy(() => {
        const y = tf.maxPool3d(tf.tensor5d(v, p.shape), p.filter, p.strides, p.pad).dataSync();
        let s = 0;
        for (let i = 0; i < y.length; i++) s += y[i] * weights[i];
        return s;
      });
    const eps = 1e-3;
    let nonzero = 0;
    for (let i = 0; i < values.length; i++) {
      const up = values.slice();
      const down = values.slice();
      up[i] += eps;
      down[i] -= eps;
      const fd = (f(up) - f(down)) / (2 * eps);
      expect(grad[i]).toBeCloseTo(fd, 2);
      if (grad[i] !== 0) nonzero++;
    }
    expect(nonzero).toBeGreaterThan(5);
    await tf.setBackend('cpu');
  });

  it('maxPool3dArgmax: last maximum among ties, −1 never for valid windows', () => {
    const info = tf.backend_util.computePool3DInfo([1, 2, 2, 2, 1], 2, 2, 1, 'valid');
    expect(Array.from(maxPool3dArgmax([1, 5, 5, 0, 0, 0, 0, 0], info))).toEqual([2]);
    expect(Array.from(maxPool3dArgmax([-1, -1, -1, -1, -1, -1, -1, -1], info))).toEqual([7]);
  });
});
