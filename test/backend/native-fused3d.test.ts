// Conv3D + bias + activation fused into one native kernel (src/backend/native/fused3d.ts):
// tfjs-layers' Conv3D layers give the same outputs and gradients as with tfjs' own path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/backend/rng.js';
import { findAddonPath, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native/register.js';
import { conv3dBiasAct, fusedConv3dAvailable, type FusedActivation } from '../../src/backend/native/fused3d.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { randn, refAndNative, relErr } from './native-helpers.js';

const built = findAddonPath() !== undefined;
if (!built) console.warn('native-fused3d tests skipped: addon not built (run `npm install` or `node native/build.mjs`)');

interface Case { x: number[]; k: number; filters: number; strides: number; padding: 'same' | 'valid'; activation: FusedActivation; useBias: boolean }

describe.skipIf(!built)('fused Conv3D layers match tfjs', () => {
  expectNoTensorLeaks();
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerNativeKernels();
  });
  afterAll(() => unregisterNativeKernels());

  const cases: Case[] = [
    { x: [2, 5, 6, 7, 1], k: 3, filters: 8, strides: 1, padding: 'same', activation: 'elu', useBias: true },
    { x: [1, 6, 5, 7, 8], k: 3, filters: 1, strides: 1, padding: 'same', activation: 'sigmoid', useBias: true },
    { x: [1, 7, 6, 5, 3], k: 3, filters: 12, strides: 2, padding: 'same', activation: 'relu', useBias: true },
    { x: [2, 6, 6, 6, 16], k: 2, filters: 20, strides: 2, padding: 'valid', activation: 'linear', useBias: false },
    { x: [1, 5, 5, 5, 5], k: 3, filters: 3, strides: 1, padding: 'valid', activation: 'elu', useBias: false },
    // Bias gradients summed in the activation-gradient pass: 24 and 5 channels (not 8- or
    // 16-lane multiples), 32 (two 16-lane vectors); linear layers sum dy with the Sum kernel.
    { x: [1, 6, 5, 7, 3], k: 3, filters: 24, strides: 1, padding: 'same', activation: 'elu', useBias: true },
    { x: [2, 5, 4, 3, 2], k: 2, filters: 5, strides: 1, padding: 'valid', activation: 'sigmoid', useBias: true },
    { x: [1, 4, 6, 5, 4], k: 3, filters: 32, strides: 1, padding: 'same', activation: 'relu', useBias: true },
    { x: [1, 5, 6, 3, 2], k: 3, filters: 7, strides: 1, padding: 'same', activation: 'linear', useBias: true },
  ];
  for (const c of cases) {
    it(`x ${c.x.join('x')} k ${c.k} -> ${c.filters} stride ${c.strides} ${c.padding} ${c.activation}${c.useBias ? ' + bias' : ''}: output and gradients`, () => {
      const rng = new Rng(c.x.reduce((p, v) => p * 7 + v, c.filters));
      const layer = tf.layers.conv3d({ filters: c.filters, kernelSize: c.k, strides: c.strides, padding: c.padding, activation: c.activation,
        useBias: c.useBias, kernelInitializer: 'heNormal', biasInitializer: 'randomNormal', inputShape: c.x.slice(1) });
      const x = randn(rng, c.x);
      const y0 = layer.apply(x) as tf.Tensor; // builds the weights
      const dy = randn(rng, y0.shape);
      y0.dispose();
      const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const loss = (a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a) as tf.Tensor, dy)) as tf.Scalar;
      const { ref, nat } = refAndNative(() => {
        const y = layer.apply(x) as tf.Tensor;
        const dx = tf.grad(loss)(x);
        const { grads } = tf.variableGrads(() => loss(x), weights);
        return [y, dx, ...weights.map((w) => grads[w.name])];
      });
      expect(nat.length).toBe(c.useBias ? 4 : 3);
      ref.forEach((r, i) => expect(relErr(nat[i], r), ['y', 'dx', 'dw', 'db'][i]).toBeLessThan(2e-6));
      tf.dispose([x, dy]);
      layer.dispose();
    });
  }

  it('the layers take the fused kernel while registered and tfjs\' path after unregistering', async () => {
    const x = tf.ones([1, 4, 4, 4, 2]);
    const layer = tf.layers.conv3d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'elu' });
    const fusedCalls = async () => (await tf.profile(() => tf.dispose(layer.apply(x) as tf.Tensor))).kernelNames.filter((k) => k === 'TransmriConv3DBiasAct').length;
    expect(await fusedCalls()).toBe(1);
    unregisterNativeKernels();
    expect(await fusedCalls()).toBe(0);
    registerNativeKernels();
    expect(await fusedCalls()).toBe(1);
    x.dispose();
    layer.dispose();
  });

  it('the bias gradient comes out of the activation-gradient pass (no Sum kernel) unless the layer is linear', async () => {
    const x = tf.ones([1, 4, 4, 4, 2]);
    for (const activation of ['elu', 'relu', 'sigmoid', 'linear'] as const) {
      const layer = tf.layers.conv3d({ filters: 3, kernelSize: 3, padding: 'same', activation, biasInitializer: 'ones' });
      tf.dispose(layer.apply(x) as tf.Tensor);
      const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { kernels } = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, [kernel, bias]);
        tf.dispose([value, grads[kernel.name], grads[bias.name]]);
      });
      const calls = (name: string) => kernels.filter((k) => k.name === name).length;
      expect(calls('Sum'), activation).toBe(activation === 'linear' ? 2 : 1); // 1: the loss's own sum
      expect(calls('TransmriActGrad'), activation).toBe(activation === 'linear' ? 0 : 1);
      layer.dispose();
    }
    x.dispose();
  });

  it('gradients of the fused op agree with central finite differences (every activation)', () => {
    for (const act of ['sigmoid', 'elu', 'relu', 'linear'] as const) {
      const rng = new Rng({ elu: 3, sigmoid: 4, relu: 5, linear: 6 }[act]);
      const x = randn(rng, [1, 3, 4, 3, 2]) as tf.Tensor5D;
      const w = tf.tidy(() => tf.mul(randn(rng, [3, 3, 3, 2, 3]), 0.3)) as tf.Tensor5D;
      const b = randn(rng, [3]) as tf.Tensor1D;
      const dy = randn(rng, [1, 3, 4, 3, 3]);
      expect(fusedConv3dAvailable(x, w, [1, 1, 1], 'same', [1, 1, 1])).toBe(true);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(conv3dBiasAct(xx as tf.Tensor5D, ww as tf.Tensor5D, bb as tf.Tensor1D, [1, 1, 1], 'same', act), dy));
      const grads = tf.grads(f)([x, w, b]);
      // Loss in float64 from float32 forward passes: step 1e-2 (ReLU 1e-3), tolerance 2e-3 relative to the gradient's scale.
      const inputs = [x, w, b];
      inputs.forEach((t, which) => {
        const g = grads[which].dataSync();
        const base = t.dataSync();
        const scale = Math.max(1, ...Array.from(g, Math.abs));
        for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
          const at = (delta: number) => tf.tidy(() => {
            const v = Float32Array.from(base);
            v[i] += delta;
            const args = inputs.map((u, k) => (k === which ? tf.tensor(v, u.shape) : u));
            return f(args[0], args[1], args[2]).dataSync()[0];
          });
          // ReLU: a smaller step, so that no output crosses its kink.
          const h = act === 'relu' ? 1e-3 : 1e-2;
          const fd = (at(h) - at(-h)) / (2 * h);
          expect(Math.abs(fd - g[i]) / scale, `${act} input ${which} element ${i}`).toBeLessThan(2e-3);
        }
      });
      tf.dispose([x, w, b, dy, ...grads]);
    }
  });
});
