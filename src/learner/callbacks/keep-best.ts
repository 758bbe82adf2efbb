/**
 * Keeps the best epoch: whenever the monitored validation quantity improves, saves the learner to
 * a directory (`dir`), keeps a copy of the weights in memory to put back after fit (`restore`), or both.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { Callback, FitState } from '../callback.js';
import { improves, readMonitor, resolveMode } from './monitor.js';

/** Options of {@link BestModelCheckpoint}. */
export interface BestModelCheckpointOptions {
  /** Directory of the checkpoint, replaced atomically on each improvement; default undefined (nothing written). */
  dir?: string;
  /** 'validLoss', 'trainLoss' or a metric name; default 'validLoss'. */
  monitor?: string;
  /** Whether lower or higher is better; default 'auto' (min for losses and mse). */
  mode?: 'min' | 'max' | 'auto';
  /**
   * Keep the best epoch's weights (trainable and not, e.g. batch-norm statistics) in memory and
   * set them back into the model when fit ends; default false. A resumed fit whose best epoch came
   * before the interruption reads them back from `dir`.
   */
  restore?: boolean;
}

/** Defaults of {@link BestModelCheckpointOptions}. */
export const DEFAULT_BEST_MODEL_CHECKPOINT = { dir: undefined as string | undefined, monitor: 'validLoss', mode: 'auto' as 'min' | 'max' | 'auto', restore: false };

/**
 * After each epoch that improves the monitored value, saves the learner to `dir`
 * (`Learner.load(dir, source)` brings the best model back) and/or, with `restore`, keeps its
 * weights and puts them back into the model after fit (the epoch's best, not its last, is what
 * `predict` then sees). At least one of `dir` and `restore` is required.
 * @example new BestModelCheckpoint({ dir: 'runs/best', monitor: 'balancedAccuracy' })
 * @example new BestModelCheckpoint({ monitor: 'accuracy', restore: true }) // keep the best epoch in memory
 */
export class BestModelCheckpoint implements Callback {
  readonly name = 'BestModelCheckpoint';
  readonly dir: string | undefined;
  readonly restore: boolean;
  private readonly monitor: string;
  private readonly mode: 'min' | 'max';
  best = NaN;
  bestEpoch = -1;
  /** The best epoch's weights (with `restore`), owned by this callback until fit ends. */
  private weights: tf.Tensor[] = [];

  constructor(options: BestModelCheckpointOptions) {
    rejectUnknownOptions('BestModelCheckpointOptions', options, DEFAULT_BEST_MODEL_CHECKPOINT);
    if (options?.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) throw new OptionError('BestModelCheckpointOptions.dir', `must be a non-empty path, got ${JSON.stringify(options.dir)}`);
    this.dir = options?.dir;
    this.restore = options?.restore ?? DEFAULT_BEST_MODEL_CHECKPOINT.restore;
    if (this.dir === undefined && !this.restore) throw new OptionError('BestModelCheckpointOptions.dir', 'give a directory, restore: true, or both (otherwise the best epoch is kept nowhere)');
    this.monitor = options.monitor ?? DEFAULT_BEST_MODEL_CHECKPOINT.monitor;
    this.mode = resolveMode(this.monitor, options.mode ?? DEFAULT_BEST_MODEL_CHECKPOINT.mode);
  }

  beforeFit(state: FitState): void {
    if (state.lrFind) return;
    this.dropWeights();
    if (state.resumed) return;
    this.best = NaN;
    this.bestEpoch = -1;
  }

  async afterEpoch(state: FitState): Promise<void> {
    if (state.lrFind) return;
    const value = readMonitor(state.record!, this.monitor, 'BestModelCheckpointOptions');
    if (Number.isNaN(value)) return;
    if (this.bestEpoch >= 0 && !improves(value, this.best, this.mode, 0)) return;
    this.best = value;
    this.bestEpoch = state.epoch;
    if (this.restore) {
      this.dropWeights();
      this.weights = state.learner.model.getWeights().map((w) => w.clone());
    }
    if (this.dir !== undefined) await state.learner.save(this.dir);
  }

  async afterFit(state: FitState): Promise<void> {
    if (state.lrFind || !this.restore || this.bestEpoch < 0) return;
    if (this.weights.length === 0) {
      // resumed, and the best epoch came before the interruption: only `dir` holds it
      if (this.dir === undefined) throw new OptionError('BestModelCheckpointOptions.dir', `the best epoch (${this.bestEpoch}) came before this resumed fit and its weights were kept in memory only: give a dir to restore it`);
      const { loadModel } = await import('../checkpoint.js');
      const saved = await loadModel(this.dir);
      try {
        state.learner.model.setWeights(saved.getWeights());
      } finally {
        saved.dispose();
      }
      return;
    }
    state.learner.model.setWeights(this.weights);
    this.dropWeights();
  }

  private dropWeights(): void {
    tf.dispose(this.weights);
    this.weights = [];
  }

  getState(): unknown {
    return { best: this.best, bestEpoch: this.bestEpoch };
  }

  setState(s: unknown): void {
    const v = s as { best: number | null; bestEpoch: number };
    this.best = v.best ?? NaN;
    this.bestEpoch = v.bestEpoch;
  }
}
