/**
 * The learning-rate range test (fastai's lr_find): train with an
 * exponentially growing lr, record the smoothed loss, stop when it diverges,
 * then put the weights and optimizer state back as they were.
 */
import * as tf from '@tensorflow/tfjs';
import { CancelBatchError, CancelFitError, NonFiniteLossError, OptionError, rejectUnknownOptions } from '../backend/errors.js';
import type { FitState } from './callback.js';
import { canonicalWeights } from './model-handle.js';
import type { Learner } from './learner.js';
import { disposeOptimizer, setLearningRate } from './optim.js';

/** Options of {@link lrFind}. */
export interface LrFindOptions {
  /** First learning rate; default 1e-7. */
  startLr?: number;
  /** Last learning rate; default 10. */
  endLr?: number;
  /** Number of steps; default 100. */
  numIt?: number;
  /** Stop once the smoothed loss exceeds 4 × its minimum; default true. */
  stopDiv?: boolean;
  /** Smoothing factor of the exponential moving average; default 0.98. */
  beta?: number;
  /** Which suggestion to return as `suggestion`; default 'valley'. */
  suggest?: 'valley' | 'steep' | 'minimum';
}

/** Defaults of {@link LrFindOptions}. */
export const DEFAULT_LR_FIND: Required<LrFindOptions> = { startLr: 1e-7, endLr: 10, numIt: 100, stopDiv: true, beta: 0.98, suggest: 'valley' };

/** The recorded curve and suggested learning rates. */
export interface LrFindResult {
  lrs: number[];
  /** Smoothed (bias-corrected) losses. */
  losses: number[];
  suggestion: number;
  suggestions: { valley: number; steep: number; minimum: number };
}

/** Index of the steepest descent of loss against log(lr). */
export function steepestIndex(lrs: number[], losses: number[]): number {
  let best = 0;
  let bestSlope = Infinity;
  for (let i = 0; i + 1 < losses.length; i++) {
    const slope = (losses[i + 1] - losses[i]) / (Math.log(lrs[i + 1]) - Math.log(lrs[i]));
    if (slope < bestSlope) {
      bestSlope = slope;
      best = i;
    }
  }
  return best;
}

/**
 * The "valley" heuristic (after fastai): find the longest decreasing
 * subsequence of the losses, from index `start` to `end`, and pick the point
 * about half-way along it: start + ⌊(end−start)/3⌋ + ⌊(end−start)/6⌋.
 */
export function valleyIndex(losses: number[]): number {
  const n = losses.length;
  if (n === 0) return 0;
  const len = new Array<number>(n).fill(1);
  const first = Array.from({ length: n }, (_, i) => i);
  let end = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i] < losses[j] && len[j] + 1 > len[i]) {
        len[i] = len[j] + 1;
        first[i] = first[j];
      }
    }
    if (len[i] > len[end]) end = i;
  }
  const start = first[end];
  const third = (end - start) / 3;
  return start + Math.floor(third) + Math.floor(third / 2);
}

/**
 * Runs the range test on the learner's 'train' split; weights, optimizer state and dropout
 * seeds are restored afterwards. The callbacks see one epoch of `numIt` batches with
 * `state.lrFind` set (beforeFit, beforeEpoch, then beforeBatch, afterLoss, afterBatch per step,
 * afterEpoch without a record, afterFit), so a ProgressBar shows progress while checkpoints and
 * early stopping ignore it. A callback's CancelFitError ends the test early (the curve so far is
 * kept); a CancelBatchError skips that step's update and its point.
 * @example const { suggestion } = await learner.lrFind(); await learner.fit(5, { lr: suggestion });
 */
export async function lrFind(learner: Learner, options: LrFindOptions = {}): Promise<LrFindResult> {
  rejectUnknownOptions('LrFindOptions', options, DEFAULT_LR_FIND);
  const o = { ...DEFAULT_LR_FIND, ...options };
  if (!(o.startLr > 0 && o.endLr > o.startLr)) throw new OptionError('LrFindOptions', `need 0 < startLr < endLr, got ${o.startLr}, ${o.endLr}`);
  if (!(Number.isInteger(o.numIt) && o.numIt >= 2)) throw new OptionError('LrFindOptions.numIt', `must be an integer ≥ 2, got ${o.numIt}`);
  if (learner.source.size('train') === 0) throw new OptionError('lrFind', "the source's 'train' split is empty");

  const saved = canonicalWeights(learner.model).map((w) => ({ w, value: tf.clone(w.read()) }));
  const savedOptimizers = learner.optimizers;
  const savedSeeds = learner.dropoutSeeds();
  learner.optimizers = learner.groups.map(() => undefined);
  const lrs: number[] = [];
  const losses: number[] = [];
  const state: FitState = { learner, epochs: 1, epoch: 0, batch: 0, batchesPerEpoch: o.numIt, step: 0, lr: o.startLr, loss: NaN, resumed: false, lrFind: true };
  try {
    await learner.event('beforeFit', state);
    await learner.event('beforeEpoch', state);
    let avg = 0;
    let best = Infinity;
    let step = 0;
    outer: for (let pass = 0; step < o.numIt; pass++) {
      for await (const batch of learner.source.batches('train', { batchSize: learner.options.batchSize, epoch: pass, shuffle: true })) {
        const lr = o.startLr * (o.endLr / o.startLr) ** (step / (o.numIt - 1));
        learner.optimizers.forEach((_, g) => setLearningRate(learner.optimizer(g), lr));
        Object.assign(state, { batch: step, step, lr, batchData: batch });
        let diverged = false;
        try {
          await learner.event('beforeBatch', state);
          const loss = await learner.trainStep(batch, state, { dropoutKey: `lrFind/${step}`, events: true });
          avg = o.beta * avg + (1 - o.beta) * loss;
          const smooth = avg / (1 - o.beta ** (lrs.length + 1));
          lrs.push(lr);
          losses.push(smooth);
          best = Math.min(best, smooth);
          diverged = o.stopDiv && smooth > 4 * best;
          await learner.event('afterBatch', state);
        } catch (error) {
          if (error instanceof NonFiniteLossError) break outer;
          if (!(error instanceof CancelBatchError)) throw error;
        }
        step++;
        if (diverged || step >= o.numIt) break outer;
      }
    }
    state.batchData = undefined;
    await learner.event('afterEpoch', state);
  } catch (error) {
    if (!(error instanceof CancelFitError)) throw error;
    state.stopReason = error.message;
  } finally {
    for (const { w, value } of saved) {
      w.write(value);
      value.dispose();
    }
    for (const opt of learner.optimizers) if (opt) disposeOptimizer(opt);
    learner.optimizers = savedOptimizers;
    learner.restoreDropoutSeeds(savedSeeds);
  }
  await learner.event('afterFit', state);
  // Like fastai, ignore the first tenth and the last five points when suggesting.
  const lo = Math.floor(lrs.length / 10);
  const hi = lrs.length - lo > 10 ? lrs.length - 5 : lrs.length;
  const l = lrs.slice(lo, hi);
  const s = losses.slice(lo, hi);
  let argmin = 0;
  s.forEach((v, i) => {
    if (v < s[argmin]) argmin = i;
  });
  const suggestions = l.length ? { valley: l[valleyIndex(s)], steep: l[steepestIndex(l, s)], minimum: l[argmin] / 10 } : { valley: NaN, steep: NaN, minimum: NaN };
  return { lrs, losses, suggestion: suggestions[o.suggest], suggestions };
}
