// The recycler of native output buffers (src/backend/native/memory.ts): buffers
// go back to the addon's pool when tfjs disposes their tensors, but never one
// that user code read or that another tensor shares.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/backend/rng.js';
import { findAddonPath, nativeMemoryStats, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native/register.js';
import { f32, type CpuBackendLike } from '../../src/backend/native/addon.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { randn } from './native-helpers.js';

const built = findAddonPath() !== undefined;
if (!built) console.warn('native-memory tests skipped: addon not built (run `npm install` or `node native/build.mjs`)');

const backendValues = (t: tf.Tensor) => f32(tf.backend() as unknown as CpuBackendLike, t) as Float32Array;

describe.skipIf(!built)('native output buffers are recycled safely', () => {
  expectNoTensorLeaks();
  beforeAll(async () => {
    await tf.setBackend('cpu');
    unregisterNativeKernels();
    const st = registerNativeKernels();
    if (!st.active) throw new Error(st.reason);
  });
  afterAll(() => unregisterNativeKernels());

  it('a disposed intermediate is detached and its memory reused by the next output of that size', () => {
    const x = randn(new Rng(1), [4, 1000]);
    const a = tf.elu(x);
    const inner = backendValues(a);
    expect(inner.length).toBe(4000);
    const s0 = nativeMemoryStats()!;
    a.dispose();
    const s1 = nativeMemoryStats()!;
    expect(s1.recycler!.recycled).toBe(s0.recycler!.recycled + 1);
    expect(inner.length).toBe(0); // detached: a stale reference reads nothing, never reused memory
    const b = tf.elu(x);
    expect(nativeMemoryStats()!.pool.reused).toBe(s1.pool.reused + 1);
    tf.dispose([x, b]);
  });

  it('an array read with dataSync stays valid after its tensor is disposed and the memory is busy again', () => {
    const x = tf.tensor1d([-1, 0, 2, -3]);
    const y = tf.elu(x);
    const seen = y.dataSync();
    const kept0 = nativeMemoryStats()!.recycler!.keptExposed;
    y.dispose();
    expect(nativeMemoryStats()!.recycler!.keptExposed).toBe(kept0 + 1);
    const z = tf.tidy(() => tf.elu(tf.mul(x, 5))); // same size: would reuse a recycled block
    // elu(-1) = e^-1 - 1 = -0.63212056, elu(-3) = e^-3 - 1 = -0.95021293
    expect(Array.from(seen).map((v) => +v.toFixed(6))).toEqual([-0.632121, 0, 2, -0.950213]);
    tf.dispose([x, z]);
  });

  it('a slice sharing the buffer keeps its values after the sliced tensor is disposed', () => {
    const x = randn(new Rng(2), [6, 500]);
    const y = tf.elu(x);
    const s = tf.slice(y, [2, 0], [1, 500]); // a simple slice: a subarray of y's buffer
    const e = tf.tidy(() => tf.elu(tf.slice(x, [2, 0], [1, 500])));
    const expected = e.arraySync();
    e.dispose();
    const shared0 = nativeMemoryStats()!.recycler!.keptShared;
    y.dispose();
    expect(nativeMemoryStats()!.recycler!.keptShared).toBe(shared0 + 1);
    const busy = tf.tidy(() => tf.elu(tf.mul(x, -1)));
    expect(s.arraySync()).toEqual(expected);
    tf.dispose([x, s, busy]);
  });

  it('a reshape (shared data id) is recycled only when the last tensor goes', () => {
    const x = randn(new Rng(3), [3, 40]);
    const y = tf.sigmoid(x);
    const r = tf.reshape(y, [120]);
    const before = nativeMemoryStats()!.recycler!.recycled;
    y.dispose();
    expect(nativeMemoryStats()!.recycler!.recycled).toBe(before);
    const ref = 1 / (1 + Math.exp(-x.dataSync()[7]));
    expect(r.dataSync()[7]).toBeCloseTo(ref, 6);
    r.dispose(); // r was read: kept, not recycled
    expect(nativeMemoryStats()!.recycler!.recycled).toBe(before);
    x.dispose();
  });

  it('a synchronous training loop keeps the pool bounded (no growth per step)', () => {
    const rng = new Rng(4);
    const x = randn(rng, [2, 8, 8, 8, 1]);
    const w0 = tf.tidy(() => randn(rng, [3, 3, 3, 1, 8]).mul(0.1));
    const w = tf.variable(w0);
    w0.dispose();
    const opt = tf.train.adam(1e-3);
    const step = () => opt.minimize(() => tf.mean(tf.square(tf.sub(tf.sum(tf.elu(tf.conv3d(x as tf.Tensor5D, w as unknown as tf.Tensor5D, 1, 'same')), -1, true), x))) as tf.Scalar);
    step();
    step();
    const s0 = nativeMemoryStats()!.pool;
    for (let i = 0; i < 5; i++) step();
    const s1 = nativeMemoryStats()!.pool;
    expect(s1.allocs - s0.allocs).toBeGreaterThan(0);
    // Every allocation of the later steps is served from the pool, and nothing piles up.
    expect(s1.reused - s0.reused).toBe(s1.allocs - s0.allocs);
    expect(s1.liveBytes + s1.freeBytes).toBeLessThanOrEqual(s0.liveBytes + s0.freeBytes);
    opt.dispose();
    tf.dispose([x, w]);
  });
  it('TRANSMRI_POOL_MB sets the limit of the free list; a bad value is an OptionError naming it', () => {
    unregisterNativeKernels();
    try {
      process.env.TRANSMRI_POOL_MB = '64';
      registerNativeKernels();
      expect(nativeMemoryStats()!.pool.limit).toBe(64 * 2 ** 20);
      unregisterNativeKernels();
      process.env.TRANSMRI_POOL_MB = 'lots';
      expect(() => registerNativeKernels()).toThrow(/TRANSMRI_POOL_MB.*"lots"/);
      expect(nativeMemoryStats()).toBeUndefined();
      process.env.TRANSMRI_POOL_MB = '1024';
      registerNativeKernels();
      expect(nativeMemoryStats()!.pool.limit).toBe(2 ** 30);
    } finally {
      delete process.env.TRANSMRI_POOL_MB;
    }
  });
});
