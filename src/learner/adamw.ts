/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), as a tfjs optimizer.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, rejectUnknownOptions } from '../backend/errors.js';

/** Options of {@link adamW}. */
export interface AdamWOptions {
  /** Exponential decay of the first moment; default 0.9. */
  beta1?: number;
  /** Exponential decay of the second moment; default 0.999. */
  beta2?: number;
  /** Added to √v̂; default 1e-8 (PyTorch's). */
  epsilon?: number;
  /** Decoupled weight decay λ; default 0.01 (PyTorch's). */
  weightDecay?: number;
}

/** Defaults of {@link AdamWOptions}. */
export const DEFAULT_ADAMW: Required<AdamWOptions> = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's AdamW):
 * each step first shrinks every variable that has a gradient, w ← w·(1 − lr·λ),
 * then applies the plain Adam update computed from the gradient. Optimizer
 * state (`getWeights`/`setWeights`) is Adam's.
 */
export class AdamWOptimizer extends tf.AdamOptimizer {
  /** Decoupled weight decay λ. */
  readonly weightDecay: number;

  static override get className(): string {
    return 'AdamW';
  }

  constructor(learningRate: number, beta1: number, beta2: number, epsilon: number, weightDecay: number) {
    super(learningRate, beta1, beta2, epsilon);
    this.weightDecay = weightDecay;
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (this.weightDecay > 0) {
      const entries: Array<[string, tf.Tensor | null | undefined]> = Array.isArray(variableGradients)
        ? variableGradients.map((v) => [v.name, v.tensor])
        : Object.entries(variableGradients);
      const factor = 1 - this.learningRate * this.weightDecay;
      tf.tidy(() => {
        for (const [name, grad] of entries) {
          if (grad == null) continue;
          const variable = tf.engine().registeredVariables[name];
          variable.assign(tf.mul(variable, factor));
        }
      });
    }
    super.applyGradients(variableGradients);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config.learningRate, config.beta1, config.beta2, config.epsilon, config.weightDecay);
  }
}
tf.serialization.registerClass(AdamWOptimizer);

/**
 * Creates an {@link AdamWOptimizer}.
 * @param lr learning rate
 * @example const opt = adamW(1e-3, { weightDecay: 1e-2 });
 */
export function adamW(lr: number, options: AdamWOptions = {}): AdamWOptimizer {
  rejectUnknownOptions('AdamWOptions', options, DEFAULT_ADAMW);
  const o = { ...DEFAULT_ADAMW, ...options };
  if (!(lr > 0) || !Number.isFinite(lr)) throw new OptionError('adamW.lr', `must be a finite number > 0, got ${lr}`);
  if (!(o.weightDecay >= 0)) throw new OptionError('AdamWOptions.weightDecay', `must be ≥ 0, got ${o.weightDecay}`);
  for (const key of ['beta1', 'beta2'] as const) {
    if (!(o[key] >= 0 && o[key] < 1)) throw new OptionError(`AdamWOptions.${key}`, `must be in [0, 1), got ${o[key]}`);
  }
  if (!(o.epsilon > 0)) throw new OptionError('AdamWOptions.epsilon', `must be > 0, got ${o.epsilon}`);
  return new AdamWOptimizer(lr, o.beta1, o.beta2, o.epsilon, o.weightDecay);
}
