/**
 * Named losses of the Learner, resolved to a function of the model outputs.
 * A user function is used as given, never replaced.
 */
import type * as tf from '@tensorflow/tfjs';
import { OptionError, rejectUnknownOptions } from '../backend/errors.js';
import type { Batch } from '../data/batch.js';
import { crossEntropy, l1Loss, l1Sparsity, mseLoss, multitaskLoss } from './losses.js';
import type { ModelKind } from './model-handle.js';

/** What a loss function receives. Tensors are owned by the Learner. */
export interface LossInputs {
  /** Model outputs (always an array, in the model's output order). */
  outputs: tf.Tensor[];
  /** The input batch. */
  x: tf.Tensor;
  /** Labels, int32 [N]. */
  y: tf.Tensor1D;
  /** The batch as plain arrays (ids, views). */
  batch: Batch;
  /** True while training, false during validation. */
  training: boolean;
}

/**
 * A loss: returns a scalar tensor (runs inside the gradient tape). A loss that can train on
 * unlabelled samples (label −1, e.g. the teacher terms of a distillation) says so with
 * `acceptsUnlabelled: true`; otherwise the Learner refuses them with a DataError naming the sample.
 */
export type LossFunction = ((inputs: LossInputs) => tf.Scalar) & { readonly acceptsUnlabelled?: boolean };

/** A named loss, with its parameters, or a function. */
export type LossSpec =
  | ModelKind
  | {
      kind: 'autoencoder';
      /** Reconstruction term; default 'mse'. */
      reconstruction?: 'mse' | 'l1';
      /** Weight of the L1 sparsity penalty on the code activations; default 0. */
      l1Weight?: number;
    }
  | {
      kind: 'classifier';
      /** Class weights of the cross-entropy; default all 1. */
      classWeights?: number[];
      /** Label smoothing ε; default 0. */
      labelSmoothing?: number;
    }
  | {
      kind: 'multitask';
      /** Weight of the reconstruction term; default 0.7. */
      alpha?: number;
      classWeights?: number[];
      labelSmoothing?: number;
    }
  | LossFunction;

const KEYS = {
  autoencoder: { kind: 0, reconstruction: 0, l1Weight: 0 },
  classifier: { kind: 0, classWeights: 0, labelSmoothing: 0 },
  multitask: { kind: 0, alpha: 0, classWeights: 0, labelSmoothing: 0 },
};

/** Whether a loss spec needs class labels. */
export function lossNeedsLabels(spec: LossSpec, kind: ModelKind): boolean {
  if (typeof spec === 'function') return kind !== 'autoencoder';
  const k = typeof spec === 'string' ? spec : spec.kind;
  return k !== 'autoencoder';
}

/**
 * Turns a loss spec into a function, checking it fits the model kind.
 * @example resolveLoss({ kind: 'autoencoder', l1Weight: 1e-3 }, 'autoencoder')
 */
export function resolveLoss(spec: LossSpec, kind: ModelKind): LossFunction {
  if (typeof spec === 'function') return spec;
  const s = (typeof spec === 'string' ? { kind: spec } : spec) as Exclude<LossSpec, ModelKind | LossFunction>;
  const keys = KEYS[s.kind as ModelKind];
  if (keys === undefined) throw new OptionError('LearnerOptions.loss', `unknown loss ${JSON.stringify(s.kind)} (expected autoencoder, classifier, multitask or a function)`);
  rejectUnknownOptions(`loss(${s.kind})`, s, keys);
  if (s.kind !== kind) throw new OptionError('LearnerOptions.loss', `loss "${s.kind}" does not fit a ${kind} model`);
  switch (s.kind) {
    case 'autoencoder': {
      const rec = s.reconstruction ?? 'mse';
      if (rec !== 'mse' && rec !== 'l1') throw new OptionError('loss.reconstruction', `expected mse or l1, got ${JSON.stringify(rec)}`);
      const weight = s.l1Weight ?? 0;
      if (!(weight >= 0)) throw new OptionError('loss.l1Weight', `must be ≥ 0, got ${weight}`);
      return ({ outputs, x }) => {
        const r = rec === 'mse' ? mseLoss(outputs[0], x) : l1Loss(outputs[0], x);
        return weight > 0 ? (r.add(l1Sparsity(outputs[1], weight)) as tf.Scalar) : r;
      };
    }
    case 'classifier': {
      const options = { classWeights: s.classWeights, labelSmoothing: s.labelSmoothing ?? 0 };
      if (options.classWeights === undefined) delete options.classWeights;
      return ({ outputs, y }) => crossEntropy(outputs[0], y, options);
    }
    case 'multitask': {
      const { alpha, classWeights, labelSmoothing } = s;
      return ({ outputs, x, y }) =>
        multitaskLoss({
          reconstruction: outputs[0],
          target: x,
          logits: outputs[2],
          labels: y,
          ...(alpha !== undefined ? { alpha } : {}),
          ...(classWeights !== undefined ? { classWeights } : {}),
          ...(labelSmoothing !== undefined ? { labelSmoothing } : {}),
        });
    }
  }
}
