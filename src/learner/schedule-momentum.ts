/**
 * Momentum scheduling (oneCycle's moms) on tfjs optimizers: Adam's and AdamW's β1, the
 * momentum optimizer's momentum. Between steps every optimizer keeps its own (base) value, so
 * optimizer state saved in a checkpoint does not depend on the schedule.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../backend/errors.js';
import type { ScheduleSpec } from './schedule.js';
import { disposeOptimizer } from './optim.js';

/** The fields of tfjs' Adam that momentum scheduling touches (protected in its typings). */
interface AdamFields {
  beta1: number;
  accBeta1: tf.Variable;
}

/** The fields of tfjs' momentum optimizer that momentum scheduling touches. */
interface MomentumFields {
  momentum: number;
  m: tf.Scalar;
}

// tfjs' Optimizer overrides Symbol.hasInstance (any optimizer is `instanceof tf.AdamOptimizer`),
// so the kinds are told apart by the fields their updates read.
function isAdam(opt: tf.Optimizer): boolean {
  const o = opt as unknown as Partial<AdamFields>;
  return typeof o.beta1 === 'number' && o.accBeta1 instanceof tf.Tensor;
}

function isMomentum(opt: tf.Optimizer): boolean {
  const o = opt as unknown as Partial<MomentumFields>;
  return typeof o.momentum === 'number' && o.m instanceof tf.Tensor;
}

/** The optimizer's momentum term (Adam/AdamW β1, momentum SGD's momentum), or undefined when it has none. */
export function optimizerMomentum(opt: tf.Optimizer): number | undefined {
  if (isAdam(opt)) return (opt as unknown as AdamFields).beta1;
  if (isMomentum(opt)) return (opt as unknown as MomentumFields).momentum;
  return undefined;
}

/**
 * Runs `apply` (one optimizer step) with the momentum set to `mom`, then puts the optimizer's own
 * value back. An optimizer without momentum just runs `apply`.
 *
 * Adam's bias correction divides the first moment by 1 − Π β1 over the steps taken; tfjs keeps
 * that product in `accBeta1` premultiplied by the current β1 (accBeta1 = Π_{i<t} β1_i · β1 before
 * step t). With a per-step β1 the premultiplied factor is swapped for the step's value before the
 * update and for the base value after it, so the correction is exactly 1 − Π_{i≤t} β1_i (PyTorch's
 * and fastai's Adam use 1 − β1_t^t with the current β1 instead).
 */
export function withMomentum(opt: tf.Optimizer, mom: number, apply: () => void): void {
  if (isAdam(opt)) {
    const o = opt as unknown as AdamFields;
    const base = o.beta1;
    if (mom === base) return apply();
    tf.tidy(() => o.accBeta1.assign(tf.mul(o.accBeta1, mom / base)));
    o.beta1 = mom;
    try {
      apply();
    } finally {
      o.beta1 = base;
      tf.tidy(() => o.accBeta1.assign(tf.mul(o.accBeta1, base / mom)));
    }
    return;
  }
  if (isMomentum(opt)) {
    // tfjs' setMomentum does not update the scalar `m` its update reads, so both are swapped here.
    const o = opt as unknown as MomentumFields;
    const base = o.momentum;
    const baseM = o.m;
    if (mom === base) return apply();
    o.momentum = mom;
    o.m = tf.scalar(mom);
    try {
      apply();
    } finally {
      o.m.dispose();
      o.m = baseM;
      o.momentum = base;
    }
    return;
  }
  apply();
}

/**
 * Throws an OptionError when a schedule's `moms` were given explicitly but the learner's optimizer
 * has no momentum to cycle (the default moms are skipped for such optimizers instead).
 * @param optimizer one of the learner's optimizers (all groups use the same kind), or a factory for a probe that is disposed here
 */
export function checkScheduledMomentum(schedule: Exclude<ScheduleSpec, string>, optimizer: tf.Optimizer | (() => tf.Optimizer)): void {
  if (schedule.kind !== 'oneCycle' || schedule.moms == null) return;
  const opt = typeof optimizer === 'function' ? optimizer() : optimizer;
  try {
    if (optimizerMomentum(opt) === undefined) {
      throw new OptionError('fit.schedule.moms', `the ${opt.getClassName()} optimizer has no momentum to cycle; use 'adam', 'adamw' or 'momentum', or moms: null`);
    }
  } finally {
    if (typeof optimizer === 'function') disposeOptimizer(opt);
  }
}
