/**
 * Saves the learner whenever the monitored validation quantity improves.
 */
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { Callback, FitState } from '../callback.js';
import { improves, readMonitor, resolveMode } from './monitor.js';

/** Options of {@link BestModelCheckpoint}. */
export interface BestModelCheckpointOptions {
  /** Directory of the checkpoint (replaced atomically on each improvement). Required. */
  dir: string;
  /** 'validLoss', 'trainLoss' or a metric name; default 'validLoss'. */
  monitor?: string;
  /** Whether lower or higher is better; default 'auto' (min for losses and mse). */
  mode?: 'min' | 'max' | 'auto';
}

/** Defaults of {@link BestModelCheckpointOptions}. */
export const DEFAULT_BEST_MODEL_CHECKPOINT = { dir: '', monitor: 'validLoss', mode: 'auto' as 'min' | 'max' | 'auto' };

/**
 * After each epoch that improves the monitored value, saves the learner to
 * `dir` (`Learner.load(dir, source)` brings the best model back).
 * @example new BestModelCheckpoint({ dir: 'runs/best', monitor: 'balancedAccuracy' })
 */
export class BestModelCheckpoint implements Callback {
  readonly name = 'BestModelCheckpoint';
  readonly dir: string;
  private readonly monitor: string;
  private readonly mode: 'min' | 'max';
  best = NaN;
  bestEpoch = -1;

  constructor(options: BestModelCheckpointOptions) {
    rejectUnknownOptions('BestModelCheckpointOptions', options, DEFAULT_BEST_MODEL_CHECKPOINT);
    if (typeof options?.dir !== 'string' || options.dir === '') throw new OptionError('BestModelCheckpointOptions.dir', 'a directory is required');
    this.dir = options.dir;
    this.monitor = options.monitor ?? DEFAULT_BEST_MODEL_CHECKPOINT.monitor;
    this.mode = resolveMode(this.monitor, options.mode ?? DEFAULT_BEST_MODEL_CHECKPOINT.mode);
  }

  beforeFit(state: FitState): void {
    if (state.resumed || state.lrFind) return;
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
    await state.learner.save(this.dir);
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
