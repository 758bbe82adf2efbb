/**
 * Optimizers of the Learner: one per layer group, so each group has its own
 * learning rate (discriminative learning rates) and a frozen group's state
 * (and Adam's step count) does not advance. Scaling gradients would not
 * work here: Adam's step is invariant to the gradient's scale.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../backend/errors.js';
import { adamW } from './adamw.js';

type NamedTensor = { name: string; tensor: tf.Tensor };

/** An optimizer by name, or a factory from a learning rate. */
export type OptimizerSpec = 'adam' | 'adamw' | 'sgd' | 'momentum' | ((lr: number) => tf.Optimizer);

/** Creates an optimizer from its spec. */
export function makeOptimizer(spec: OptimizerSpec, lr: number, weightDecay: number): tf.Optimizer {
  if (typeof spec === 'function') return spec(lr);
  switch (spec) {
    case 'adam':
      return tf.train.adam(lr);
    case 'adamw':
      return adamW(lr, { weightDecay });
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, 0.9);
    default:
      throw new OptionError('LearnerOptions.optimizer', `unknown optimizer ${JSON.stringify(spec)} (expected adam, adamw, sgd, momentum or a factory)`);
  }
}

/**
 * Disposes an optimizer and everything it holds. tfjs 4.22's MomentumOptimizer.dispose()
 * leaves its learning-rate scalar (`c`, created by SGDOptimizer) behind: one leaked tensor
 * per optimizer without this.
 */
export function disposeOptimizer(opt: tf.Optimizer): void {
  opt.dispose();
  const lr = (opt as unknown as { c?: unknown }).c;
  if (lr instanceof tf.Tensor && !lr.isDisposed) lr.dispose();
}

/** Sets an optimizer's learning rate for the next step. */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else if (typeof o.learningRate === 'number') o.learningRate = lr;
  else throw new OptionError('LearnerOptions.optimizer', `cannot set the learning rate of ${opt.getClassName()}`);
}

/**
 * Scalar variables an optimizer keeps outside getWeights (Adam's β^t
 * accumulators). Restored as saved, since recomputing them with pow() can
 * differ from the running product in the last bit and break an exact resume.
 */
function scalarState(opt: tf.Optimizer): Array<[string, tf.Variable]> {
  return Object.entries(opt).filter(([, v]) => v instanceof tf.Variable && v.rank === 0) as Array<[string, tf.Variable]>;
}

/** Serialisable optimizer state: named tensors (copies, owned by the caller) and scalar fields. */
export interface OptimizerState {
  className: string;
  weights: NamedTensor[];
  scalars: Record<string, number>;
}

/** Reads an optimizer's state; the returned tensors are copies the caller disposes. */
export async function getOptimizerState(opt: tf.Optimizer): Promise<OptimizerState> {
  const weights = await opt.getWeights();
  const scalars: Record<string, number> = {};
  for (const [key, v] of scalarState(opt)) scalars[key] = (await v.data())[0];
  // getWeights returns the live variables plus a fresh iterations scalar: copy the variables.
  const copies = weights.map((w, i) => ({ name: `${i}:${w.name}`, tensor: i === 0 ? w.tensor : w.tensor.clone() }));
  return { className: opt.getClassName(), weights: copies, scalars };
}

/** Restores a state read by {@link getOptimizerState}; does not dispose `state.weights`. */
export async function setOptimizerState(opt: tf.Optimizer, state: OptimizerState): Promise<void> {
  if (state.className !== opt.getClassName()) {
    throw new OptionError('optimizer', `checkpoint optimizer is ${state.className}, the learner uses ${opt.getClassName()}`);
  }
  const named = state.weights.map((w) => ({ name: w.name.replace(/^\d+:/, ''), tensor: w.tensor }));
  // tfjs' setWeights wraps (not copies) what it gets in new variables: give it clones.
  const clones = named.map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
  await opt.setWeights(clones);
  tf.dispose(clones.map((c) => c.tensor));
  const fields = new Map(scalarState(opt));
  for (const [key, value] of Object.entries(state.scalars)) {
    const v = fields.get(key);
    if (v !== undefined) tf.tidy(() => v.assign(tf.scalar(value, v.dtype)));
  }
}

/** An optimizer's hyper-parameters, as saved in a checkpoint: its config without the learning rate (the schedule sets that each step). */
export type OptimizerHyperParameters = Record<string, number | boolean | string>;

/** The hyper-parameters of an optimizer (AdamW's weightDecay, Adam's beta1/beta2/epsilon, momentum ...): its `getConfig()` less `learningRate`, JSON-safe values only. */
export function optimizerHyperParameters(opt: tf.Optimizer): OptimizerHyperParameters {
  const out: OptimizerHyperParameters = {};
  for (const [key, value] of Object.entries(opt.getConfig())) {
    if (key === 'learningRate') continue;
    if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || typeof value === 'string') out[key] = value;
  }
  return out;
}

/**
 * A new optimizer of `opt`'s class with `hyper` over `opt`'s config, built by the class's registered
 * `fromConfig` (every tfjs optimizer and AdamW); undefined for a class tf.serialization does not know.
 * The caller disposes `opt` when it keeps the new one.
 */
export function withHyperParameters(opt: tf.Optimizer, hyper: OptimizerHyperParameters): tf.Optimizer | undefined {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[opt.getClassName()];
  if (!entry) return undefined;
  const [cls, fromConfig] = entry;
  return fromConfig(cls, { ...opt.getConfig(), ...hyper }) as tf.Optimizer;
}
