/**
 * The one training loop, shared by `fit` and `lrFind`: epochs of batches wrapped in events.
 * Everything that is not forward, loss, gradients and the optimizer step is a callback: the
 * lr/momentum schedule (ParamScheduler), validation and history (Recorder), checkpoints
 * (CheckpointSaver), the lr range test (LrFinder), early stopping, clipping, ...
 *
 *   beforeFit
 *   for each epoch:  beforeEpoch
 *     for each batch:  beforeBatch → forward → afterPred → loss, gradients → afterLoss → beforeStep → step → afterBatch
 *     afterEpoch
 *   afterFit
 */
import * as tf from '@tensorflow/tfjs';
import { CancelBatchError, CancelFitError, NonFiniteLossError, OptionError } from '../backend/errors.js';
import type { Batch } from '../data/batch.js';
import { sortCallbacks, type Callback, type FitState, type LearnerEvent } from './callback.js';
import { seedDropout } from './dropout.js';
import { asArray, batchTensors } from './inference.js';
import type { Learner } from './learner.js';
import { optimizerMomentum, withMomentum } from './schedule-momentum.js';

/** What one run of the loop needs besides the learner. */
export interface LoopSpec {
  /** Epochs to run: from `start` (a resumed fit) up to `epochs`. */
  start: number;
  /** The state callbacks read (the loop updates epoch, batch, step, batchData, loss, pred, grads). */
  state: FitState;
  /** The loop's own callbacks for this run (scheduler, recorder, ...), merged with the learner's by order. */
  callbacks: readonly Callback[];
  /** The training batches of an epoch. */
  batches: (epoch: number) => AsyncIterable<Batch>;
  /** Key of the dropout masks of batch `b` of `epoch`. */
  dropoutKey: (epoch: number, b: number) => string;
  /** A non-finite loss ends the epoch's batches (the lr range test) instead of throwing; default false. */
  stopOnNonFinite?: boolean;
}

/**
 * Runs the loop. A CancelFitError from any event ends it (reason in `state.stopReason`) and
 * `afterFit` still fires; thrown in `afterEpoch`, it waits until every callback saw the epoch.
 */
export async function runLoop(learner: Learner, spec: LoopSpec): Promise<void> {
  const { state } = spec;
  const callbacks = sortCallbacks([...spec.callbacks, ...learner.callbacks]);
  for (const cb of callbacks) {
    // checked before any step: a callback throwing inside the gradient tape would strand its tensors
    if (cb.afterPred?.constructor.name === 'AsyncFunction') throw new OptionError(`${cb.name ?? cb.constructor.name}.afterPred`, 'runs inside the gradient tape and must be synchronous (it is an async function)');
  }
  const seeds = learner.dropoutSeeds();
  try {
    await fire(callbacks, 'beforeFit', state);
    for (let epoch = spec.start; epoch < state.epochs; epoch++) {
      state.epoch = epoch;
      await fire(callbacks, 'beforeEpoch', state);
      await runEpoch(learner, callbacks, spec, epoch);
      await fire(callbacks, 'afterEpoch', state, { deferCancel: true });
    }
  } catch (error) {
    if (!(error instanceof CancelFitError)) throw error;
    state.stopReason = error.message;
  } finally {
    learner.restoreDropoutSeeds(seeds);
  }
  await fire(callbacks, 'afterFit', state);
}

async function runEpoch(learner: Learner, callbacks: Callback[], spec: LoopSpec, epoch: number): Promise<void> {
  const { state } = spec;
  let b = 0;
  for await (const batch of spec.batches(epoch)) {
    Object.assign(state, { batch: b, step: epoch * state.batchesPerEpoch + b, batchData: batch });
    try {
      await fire(callbacks, 'beforeBatch', state);
      await trainStep(learner, callbacks, state, batch, spec.dropoutKey(epoch, b));
      await fire(callbacks, 'afterBatch', state);
    } catch (error) {
      if (spec.stopOnNonFinite && error instanceof NonFiniteLossError) break;
      if (!(error instanceof CancelBatchError)) throw error;
    }
    b++;
  }
  state.batchData = undefined;
}

/** One step: forward, afterPred, loss and gradients, afterLoss, beforeStep, apply. Sets `state.loss`. */
async function trainStep(learner: Learner, callbacks: Callback[], state: FitState, batch: Batch, dropoutKey: string): Promise<void> {
  learner.checkLabels(batch, learner.lossFn.acceptsUnlabelled === true);
  seedDropout(learner.model, learner.options.seed, dropoutKey);
  const variables = learner.groups.flatMap((g) => g.variables).filter((v) => v.trainable).map((v) => v.read() as tf.Variable);
  if (variables.length === 0) throw new OptionError('fit', 'every layer group is frozen: nothing to train (call unfreeze())');
  const { x, y } = batchTensors(batch);
  const owned: tf.Tensor[] = [x, y];
  try {
    const { value, grads } = tf.variableGrads(() => {
      state.pred = asArray(learner.model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
      fireSync(callbacks, 'afterPred', state);
      return learner.lossFn({ outputs: state.pred, x, y, batch, training: true });
    }, variables);
    state.pred = undefined;
    owned.push(value, ...Object.values(grads));
    const loss = (await value.data())[0];
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(state.epoch, state.batch, `loss = ${loss}; the weights of this step were not applied`);
    state.loss = loss;
    await fire(callbacks, 'afterLoss', state);
    state.grads = { ...grads };
    await fire(callbacks, 'beforeStep', state);
    owned.push(...Object.values(state.grads));
    applyGradients(learner, state.grads, state.mom);
  } finally {
    state.pred = undefined;
    state.grads = undefined;
    tf.dispose(owned.filter((t) => t != null));
  }
}

/** Each group's optimizer gets its variables in a fixed order (frozen ones without a gradient); `mom` is the step's scheduled momentum. */
function applyGradients(learner: Learner, grads: tf.NamedTensorMap, mom?: number): void {
  learner.groups.forEach((group, g) => {
    if (!group.variables.some((v) => v.trainable)) return;
    const map: Record<string, tf.Tensor> = {};
    for (const v of group.variables) {
      const name = (v.read() as tf.Variable).name;
      map[name] = grads[name];
    }
    const opt = learner.optimizer(g);
    if (mom !== undefined && optimizerMomentum(opt) !== undefined) withMomentum(opt, mom, () => opt.applyGradients(map));
    else opt.applyGradients(map);
  });
}

/** Fires an event on every callback in order; with `deferCancel`, a CancelFitError is rethrown after the others ran. */
async function fire(callbacks: readonly Callback[], name: Exclude<LearnerEvent, 'afterPred'>, state: FitState, o: { deferCancel?: boolean } = {}): Promise<void> {
  let cancel: CancelFitError | undefined;
  for (const cb of callbacks) {
    try {
      await cb[name]?.(state);
    } catch (error) {
      if (!(o.deferCancel && error instanceof CancelFitError)) throw error;
      cancel ??= error;
    }
  }
  if (cancel) throw cancel;
}

function fireSync(callbacks: readonly Callback[], name: 'afterPred', state: FitState): void {
  for (const cb of callbacks) {
    const result = cb[name]?.(state) as unknown;
    if (result instanceof Promise) throw new OptionError(`${cb.name ?? cb.constructor.name}.${name}`, 'runs inside the gradient tape and must be synchronous (it returned a Promise)');
  }
}
