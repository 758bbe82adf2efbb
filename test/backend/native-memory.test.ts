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

for (const mode of ['arrays', 'detach'] as const) describe.skipIf(!built)(`native output buffers are recycled safely (TRANSMRI_RECYCLE=${mode})`, () => {
  expectNoTensorLeaks();
  beforeAll(async () => {
    await tf.setBackend('cpu');
    unregisterNativeKernels();
    process.env.TRANSMRI_RECYCLE = mode;
    try {
      const st = registerNativeKernels();
      if (!st.active) throw new Error(st.reason);
    } finally {
      delete process.env.TRANSMRI_RECYCLE;
    }
  });
  afterAll(() => unregisterNativeKernels());

  it('a disposed intermediate is reused by the next output of that size', () => {
    const x = randn(new Rng(1), [4, 1000]);
    const a = tf.elu(x);
    const inner = backendValues(a);
    expect(inner.length).toBe(4000);
    const s0 = nativeMemoryStats()!;
    a.dispose();
    const s1 = nativeMemoryStats()!;
    expect(s1.recycler!.recycled).toBe(s0.recycler!.recycled + 1);
    const b = tf.elu(x);
    if (mode === 'arrays') {
      // The same array, handed out again.
      expect(backendValues(b)).toBe(inner);
      expect(nativeMemoryStats()!.recycler!.reusedArrays).toBe(s1.recycler!.reusedArrays + 1);
    } else {
      expect(inner.length).toBe(0); // detached: a stale reference reads nothing, never reused memory
      expect(nativeMemoryStats()!.pool.reused).toBe(s1.pool.reused + 1);
    }
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
    const s0 = nativeMemoryStats()!;
    for (let i = 0; i < 5; i++) step();
    const s1 = nativeMemoryStats()!;
    if (mode === 'arrays') {
      // Later steps allocate nothing new: every output is a recycled array.
      expect(s1.pool.allocs).toBe(s0.pool.allocs);
      expect(s1.recycler!.reusedArrays - s0.recycler!.reusedArrays).toBeGreaterThan(20);
    } else {
      // Every allocation of the later steps is served from the pool.
      expect(s1.pool.allocs - s0.pool.allocs).toBeGreaterThan(20);
      expect(s1.pool.reused - s0.pool.reused).toBe(s1.pool.allocs - s0.pool.allocs);
    }
    // Nothing piles up.
    expect(s1.pool.liveBytes + s1.pool.freeBytes).toBeLessThanOrEqual(s0.pool.liveBytes + s0.pool.freeBytes);
    opt.dispose();
    tf.dispose([x, w]);
  });
});

describe.skipIf(!built)('native memory options', () => {
  afterAll(() => unregisterNativeKernels());

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

  it('TRANSMRI_RECYCLE accepts 0, arrays, detach; anything else is an OptionError naming it', () => {
    unregisterNativeKernels();
    try {
      process.env.TRANSMRI_RECYCLE = '0';
      registerNativeKernels();
      expect(nativeMemoryStats()!.recycler).toBeUndefined();
      unregisterNativeKernels();
      process.env.TRANSMRI_RECYCLE = 'yes';
      expect(() => registerNativeKernels()).toThrow(/TRANSMRI_RECYCLE.*"yes"/);
    } finally {
      delete process.env.TRANSMRI_RECYCLE;
    }
  });
});
