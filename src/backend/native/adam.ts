/**
 * tfjs' Adam step as one native kernel per variable.
 *
 * tfjs' AdamOptimizer.applyGradients runs 14 small kernels per variable (mul,
 * add, square, div, sqrt, ...); for the CAE's 16 variables that is ~220 kernel
 * calls a step, whose per-call overhead outweighs their arithmetic. While the
 * native kernels are active, {@link patchAdam} makes AdamOptimizer (and so
 * AdamW, which calls it after its weight decay) do each variable's update in one
 * kernel, `TransmriAdamUpdate`, that computes the same float32 operations in the
 * same order: results, optimizer state (`getWeights`) and serialisation are
 * bit-identical to tfjs' own. Other backends and dtypes keep tfjs' code.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, type CpuBackendLike, type KernelArgs } from './addon.js';
import type { NativeKernel } from './kernel-config.js';

export const ADAM_UPDATE = 'TransmriAdamUpdate';

interface AdamAttrs { beta1: number; beta2: number; epsilon: number; learningRate: number }

/**
 * Kernel `TransmriAdamUpdate`: inputs x, m, v, g (same size) and the scalars
 * oneMinusAccBeta1, oneMinusAccBeta2; attrs beta1, beta2, epsilon, learningRate.
 * Returns [x', m', v'].
 */
export const adamUpdateKernel: NativeKernel = {
  kernelName: ADAM_UPDATE,
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x, m, v, g, oneMinusAccBeta1, oneMinusAccBeta2 } = args.inputs;
    const { beta1, beta2, epsilon, learningRate } = args.attrs as unknown as AdamAttrs;
    const [xv, mv, vv, gv, o1, o2] = [x, m, v, g, oneMinusAccBeta1, oneMinusAccBeta2].map((t) => f32(backend, t));
    const n = xv?.length ?? 0;
    if (x === undefined || xv === undefined || mv?.length !== n || vv?.length !== n || gv?.length !== n || o1?.length !== 1 || o2?.length !== 1) {
      throw new Error(`${ADAM_UPDATE}: x, m, v, g must be float32 tensors of one size and the bias corrections float32 scalars, on the cpu backend`);
    }
    // As tfjs turns the numbers into float32 scalars: 1 - beta1 and -lr in double, then rounded.
    const p = Float32Array.of(beta1, 1 - beta1, beta2, 1 - beta2, o1[0], o2[0], epsilon, -learningRate);
    const [xo, mo, vo] = [ctx.alloc(n), ctx.alloc(n), ctx.alloc(n)];
    ctx.addon.adamUpdate(xv, mv, vv, gv, p, xo, mo, vo, n);
    return [xo, mo, vo].map((a) => backend.makeTensorInfo(x.shape, 'float32', a));
  },
};

/** The members of tfjs' AdamOptimizer its applyGradients uses. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  incrementIterations(): void;
}
type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];
type ApplyFn = (this: AdamInternals, variableGradients: Gradients) => void;

/** Undo information of {@link patchAdam}. */
export interface AdamPatch { restore(): void }

/**
 * Makes tfjs' AdamOptimizer.applyGradients use `TransmriAdamUpdate` on the cpu backend while the
 * kernel is registered (tfjs 4.22's code otherwise, or for a variable that is not float32);
 * returns how to undo it.
 */
export function patchAdam(): AdamPatch {
  const proto = tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyFn };
  const original = proto.applyGradients;
  proto.applyGradients = function (this: AdamInternals, variableGradients: Gradients) {
    if (tf.getBackend() !== 'cpu' || tf.getKernel(ADAM_UPDATE, 'cpu') === undefined) {
      original.call(this, variableGradients);
      return;
    }
    // tfjs 4.22's AdamOptimizer.applyGradients with the update of a variable in one kernel.
    const varNames = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, this.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, this.accBeta2);
      varNames.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        const first = this.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const second = this.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = first.variable;
        const v = second.variable;
        if (value.dtype !== 'float32' || gradient.dtype !== 'float32' || gradient.size !== value.size) {
          const newM = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
          const newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
          const mHat = tf.div(newM, oneMinusAccBeta1);
          const vHat = tf.div(newV, oneMinusAccBeta2);
          m.assign(newM);
          v.assign(newV);
          value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), -this.learningRate), value));
          return;
        }
        const attrs = { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate };
        const [x1, m1, v1] = tf.engine().runKernel(ADAM_UPDATE, { x: value, m, v, g: gradient, oneMinusAccBeta1, oneMinusAccBeta2 },
          attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(m1);
        v.assign(v1);
        value.assign(x1);
      });
      this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
    });
    this.incrementIterations();
  };
  return {
    restore() {
      proto.applyGradients = original;
    },
  };
}
