// tfjs' Adam (and AdamW, which calls it) with the native one-kernel update per
// variable (src/backend/native/adam.ts): bit-identical variables and optimizer
// state to tfjs' own op-by-op update over several steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/backend/rng.js';
import { findAddonPath, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native/register.js';
import { adamW } from '../../src/learner/adamw.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { randn } from './native-helpers.js';

const built = findAddonPath() !== undefined;
if (!built) console.warn('native-adam tests skipped: addon not built (run `npm install` or `node native/build.mjs`)');

/**
 * Runs `steps` optimizer steps on fresh variables from a seed, with random gradients of growing
 * scale (one variable has none at step 2; the learning rate changes at step 3, as a scheduler does);
 * returns the variables' and the optimizer state's values.
 */
async function train(makeOpt: () => tf.Optimizer, steps: number): Promise<Float32Array[]> {
  const rng = new Rng(7);
  const shapes = [[3, 3, 3, 2, 5], [5], [37], [4, 4]];
  const vars = shapes.map((s, i) => tf.tidy(() => tf.variable(randn(rng, s), true, `adamtest${i}_${Math.round(rng.uniform(0, 1e9))}`)));
  const opt = makeOpt();
  for (let step = 0; step < steps; step++) {
    if (step === 3) (opt as unknown as { learningRate: number }).learningRate *= 0.37;
    const grads = tf.tidy(() => vars.map((v) => tf.mul(randn(rng, v.shape), 10 ** (step - 2))));
    const named = vars.map((v, i) => ({ name: v.name, tensor: step === 2 && i === 1 ? (null as unknown as tf.Tensor) : grads[i] }));
    opt.applyGradients(named);
    tf.dispose(grads);
  }
  // The optimizer state getWeights() saves: the moments m, v of every variable (and accBeta1/2).
  const o = opt as unknown as { accBeta1: tf.Tensor; accBeta2: tf.Tensor; accumulatedFirstMoment: { variable: tf.Tensor }[]; accumulatedSecondMoment: { variable: tf.Tensor }[] };
  const state = [o.accBeta1, o.accBeta2, ...o.accumulatedFirstMoment.map((m) => m.variable), ...o.accumulatedSecondMoment.map((m) => m.variable)];
  expect(state.length).toBe(2 + 2 * vars.length);
  const out = [...vars, ...state].map((t) => t.dataSync() as Float32Array);
  opt.dispose();
  tf.dispose(vars);
  return out;
}

describe.skipIf(!built)('native Adam update', () => {
  expectNoTensorLeaks();
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => unregisterNativeKernels());

  for (const [label, make] of [
    ['adam', () => tf.train.adam(3e-3)],
    ['adam (beta 0.8 / 0.99, epsilon 1e-4)', () => tf.train.adam(1e-2, 0.8, 0.99, 1e-4)],
    ['adamW', () => adamW(2e-3, { weightDecay: 0.05 })],
  ] as const) {
    it(`${label}: variables and optimizer state bit-identical to tfjs' op-by-op update over 6 steps`, async () => {
      unregisterNativeKernels();
      const ref = await train(make, 6);
      registerNativeKernels();
      const nat = await train(make, 6);
      expect(nat.length).toBe(ref.length);
      nat.forEach((a, i) => {
        const diff = a.findIndex((x, k) => !Object.is(x, ref[i][k]));
        expect(diff, `tensor ${i}`).toBe(-1);
      });
    });
  }

  it('runs one TransmriAdamUpdate kernel per variable instead of tfjs\' ops (none after unregistering)', async () => {
    const v = tf.tidy(() => [tf.variable(tf.ones([4, 3])), tf.variable(tf.zeros([3]))]);
    const opt = tf.train.adam(1e-3);
    const step = async () => {
      const g = v.map((x) => tf.onesLike(x));
      const { kernels } = await tf.profile(() => opt.applyGradients(v.map((x, i) => ({ name: x.name, tensor: g[i] }))));
      tf.dispose(g);
      return (name: string) => kernels.filter((k) => k.name === name).length;
    };
    registerNativeKernels();
    const fused = await step();
    expect(fused('TransmriAdamUpdate')).toBe(2);
    expect(fused('RealDiv')).toBe(0);
    unregisterNativeKernels();
    const plain = await step();
    expect(plain('TransmriAdamUpdate')).toBe(0);
    expect(plain('RealDiv')).toBe(6);
    opt.dispose();
    tf.dispose(v);
  });
});
