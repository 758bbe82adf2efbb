/**
 * Gradient clipping by global norm (PyTorch's clip_grad_norm_), as a `beforeStep` callback: when
 * the L2 norm of all gradients together exceeds `maxNorm`, every gradient is scaled by
 * maxNorm / (norm + 1e-6) before the optimizer applies it.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { Callback, FitState } from '../callback.js';

/** Options of {@link GradientClipping}. */
export interface GradientClippingOptions {
  /** Largest global L2 norm of the gradients; required, > 0. */
  maxNorm: number;
}

/** Defaults of {@link GradientClippingOptions} (maxNorm has none: it is required). */
export const DEFAULT_GRADIENT_CLIPPING: Required<GradientClippingOptions> = { maxNorm: NaN };

/**
 * Scales the step's gradients so that their global L2 norm is at most `maxNorm`; `lastNorm` holds
 * the norm before clipping of the latest step.
 * @example new Learner(bunch, model, { callbacks: [new GradientClipping({ maxNorm: 1 })] })
 */
export class GradientClipping implements Callback {
  readonly name = 'GradientClipping';
  readonly maxNorm: number;
  /** Global gradient norm of the latest step, before clipping. */
  lastNorm = NaN;

  constructor(options: GradientClippingOptions) {
    rejectUnknownOptions('GradientClippingOptions', options, DEFAULT_GRADIENT_CLIPPING);
    if (!(typeof options?.maxNorm === 'number' && options.maxNorm > 0 && Number.isFinite(options.maxNorm))) {
      throw new OptionError('GradientClippingOptions.maxNorm', `must be a finite number > 0, got ${options?.maxNorm}`);
    }
    this.maxNorm = options.maxNorm;
  }

  beforeStep(state: FitState): void {
    const grads = state.grads!;
    const names = Object.keys(grads).filter((k) => grads[k] != null);
    const norm = tf.tidy(() => tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]))))).dataSync()[0]);
    this.lastNorm = norm;
    const coef = this.maxNorm / (norm + 1e-6);
    if (!(coef < 1)) return;
    // the loop disposes the replaced gradients and these
    for (const k of names) grads[k] = tf.mul(grads[k], coef);
  }
}
