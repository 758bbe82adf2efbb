/**
 * The learning-rate range test (fastai's lr_find): a callback run through the training loop that
 * trains with an exponentially growing lr, records the smoothed loss, stops when it diverges,
 * then puts the weights and optimizer state back as they were.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, rejectUnknownOptions } from '../backend/errors.js';
import type { Batch } from '../data/batch.js';
import { CALLBACK_ORDER, type Callback, type FitState } from './callback.js';
import { canonicalWeights } from './model-handle.js';
import type { Learner } from './learner.js';
import { runLoop } from './loop.js';
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
 * The range test as a callback of the training loop: saves the weights, optimizer state and
 * dropout seeds before the other callbacks' `beforeFit`, sets an exponentially growing lr before
 * each batch, records the smoothed loss after it, stops the batches once the loss diverges, and
 * puts everything back first thing in `afterFit` (and in {@link LrFinder.restore} after an error).
 */
export class LrFinder implements Callback {
  readonly name = 'LrFinder';
  readonly order = CALLBACK_ORDER.scheduler;
  readonly lrs: number[] = [];
  /** Smoothed (bias-corrected) losses. */
  readonly losses: number[] = [];
  /** Set once the smoothed loss exceeds 4 × its minimum (with stopDiv). */
  diverged = false;
  private avg = 0;
  private best = Infinity;
  private saved?: { weights: Array<{ w: tf.LayerVariable; value: tf.Tensor }>; optimizers: Array<tf.Optimizer | undefined>; seeds: Array<number | undefined> };

  constructor(
    private readonly learner: Learner,
    private readonly o: Required<LrFindOptions>,
  ) {}

  /** The lr of step `step`: startLr · (endLr / startLr)^(step / (numIt − 1)). */
  lrAt(step: number): number {
    return this.o.startLr * (this.o.endLr / this.o.startLr) ** (step / (this.o.numIt - 1));
  }

  /** The training batches of the test: passes over 'train' until numIt steps ran or the loss diverged. */
  async *batches(): AsyncIterable<Batch> {
    const { learner } = this;
    let step = 0;
    for (let pass = 0; ; pass++) {
      for await (const batch of learner.source.batches('train', { batchSize: learner.options.batchSize, epoch: pass, shuffle: true })) {
        if (this.diverged || step >= this.o.numIt) return;
        step++;
        yield batch;
      }
    }
  }

  beforeFit(): void {
    const { learner } = this;
    this.saved = { weights: canonicalWeights(learner.model).map((w) => ({ w, value: tf.clone(w.read()) })), optimizers: learner.optimizers, seeds: learner.dropoutSeeds() };
    learner.optimizers = learner.groups.map(() => undefined);
  }

  beforeBatch(state: FitState): void {
    const lr = this.lrAt(state.step);
    this.learner.optimizers.forEach((_, g) => setLearningRate(this.learner.optimizer(g), lr));
    state.lr = lr;
  }

  afterBatch(state: FitState): void {
    const { beta } = this.o;
    this.avg = beta * this.avg + (1 - beta) * state.loss;
    const smooth = this.avg / (1 - beta ** (this.lrs.length + 1));
    this.lrs.push(state.lr);
    this.losses.push(smooth);
    this.best = Math.min(this.best, smooth);
    this.diverged = this.o.stopDiv && smooth > 4 * this.best;
  }

  afterFit(): void {
    this.restore();
  }

  /** Puts back the weights, optimizers and dropout seeds saved in beforeFit (once). */
  restore(): void {
    const saved = this.saved;
    if (!saved) return;
    this.saved = undefined;
    for (const { w, value } of saved.weights) {
      w.write(value);
      value.dispose();
    }
    for (const opt of this.learner.optimizers) if (opt) disposeOptimizer(opt);
    this.learner.optimizers = saved.optimizers;
    this.learner.restoreDropoutSeeds(saved.seeds);
  }
}

/**
 * Runs the range test on the learner's 'train' split through the training loop with an
 * {@link LrFinder} callback; weights, optimizer state and dropout seeds are restored afterwards.
 * The callbacks see one epoch of `numIt` batches with `state.lrFind` set (beforeFit, beforeEpoch,
 * then the batch events per step, afterEpoch without a record, afterFit), so a ProgressBar shows
 * progress while checkpoints and early stopping ignore it. A callback's CancelFitError ends the
 * test early (the curve so far is kept); a CancelBatchError skips that step's update and its point.
 * @example const { suggestion } = await learner.lrFind(); await learner.fit(5, { lr: suggestion });
 */
export async function lrFind(learner: Learner, options: LrFindOptions = {}): Promise<LrFindResult> {
  rejectUnknownOptions('LrFindOptions', options, DEFAULT_LR_FIND);
  const o = { ...DEFAULT_LR_FIND, ...options };
  if (!(o.startLr > 0 && o.endLr > o.startLr)) throw new OptionError('LrFindOptions', `need 0 < startLr < endLr, got ${o.startLr}, ${o.endLr}`);
  if (!(Number.isInteger(o.numIt) && o.numIt >= 2)) throw new OptionError('LrFindOptions.numIt', `must be an integer ≥ 2, got ${o.numIt}`);
  if (learner.source.size('train') === 0) throw new OptionError('lrFind', "the source's 'train' split is empty");
  const finder = new LrFinder(learner, o);
  const state: FitState = { learner, epochs: 1, epoch: 0, batch: 0, batchesPerEpoch: o.numIt, step: 0, lr: o.startLr, loss: NaN, resumed: false, lrFind: true };
  try {
    await runLoop(learner, { start: 0, state, callbacks: [finder], batches: () => finder.batches(), dropoutKey: (_, b) => `lrFind/${b}`, stopOnNonFinite: true });
  } finally {
    finder.restore();
  }
  return suggest(finder.lrs, finder.losses, o.suggest);
}

/** The suggestions of a recorded curve (like fastai, the first tenth and the last five points are ignored). */
function suggest(lrs: number[], losses: number[], which: LrFindOptions['suggest'] & string): LrFindResult {
  const lo = Math.floor(lrs.length / 10);
  const hi = lrs.length - lo > 10 ? lrs.length - 5 : lrs.length;
  const l = lrs.slice(lo, hi);
  const s = losses.slice(lo, hi);
  let argmin = 0;
  s.forEach((v, i) => {
    if (v < s[argmin]) argmin = i;
  });
  const suggestions = l.length ? { valley: l[valleyIndex(s)], steep: l[steepestIndex(l, s)], minimum: l[argmin] / 10 } : { valley: NaN, steep: NaN, minimum: NaN };
  return { lrs, losses, suggestion: suggestions[which], suggestions };
}
