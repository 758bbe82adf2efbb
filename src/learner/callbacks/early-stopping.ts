/**
 * Early stopping on a validation quantity.
 */
import { CancelFitError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { Callback, FitState } from '../callback.js';
import { improves, readMonitor, resolveMode } from './monitor.js';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** 'validLoss', 'trainLoss' or a metric name; default 'validLoss'. */
  monitor?: string;
  /** Whether lower or higher is better; default 'auto' (min for losses and mse). */
  mode?: 'min' | 'max' | 'auto';
  /** Epochs without improvement before stopping; default 3. */
  patience?: number;
  /** Smallest change that counts as an improvement; default 0. */
  minDelta?: number;
}

/** Defaults of {@link EarlyStoppingOptions}. */
export const DEFAULT_EARLY_STOPPING: Required<EarlyStoppingOptions> = { monitor: 'validLoss', mode: 'auto', patience: 3, minDelta: 0 };

/**
 * Stops `fit` (CancelFitError) when the monitored value has not improved for
 * `patience` epochs. Its state is saved in checkpoints, so a resumed fit stops
 * where the uninterrupted one would.
 * @example new Learner(source, model, { callbacks: [new EarlyStopping({ monitor: 'balancedAccuracy', patience: 5 })] })
 */
export class EarlyStopping implements Callback {
  readonly name = 'EarlyStopping';
  private readonly o: Required<EarlyStoppingOptions>;
  private readonly mode: 'min' | 'max';
  best = NaN;
  bestEpoch = -1;
  wait = 0;

  constructor(options: EarlyStoppingOptions = {}) {
    rejectUnknownOptions('EarlyStoppingOptions', options, DEFAULT_EARLY_STOPPING);
    this.o = { ...DEFAULT_EARLY_STOPPING, ...options };
    if (!(Number.isInteger(this.o.patience) && this.o.patience >= 1)) throw new OptionError('EarlyStoppingOptions.patience', `must be an integer ≥ 1, got ${this.o.patience}`);
    if (!['min', 'max', 'auto'].includes(this.o.mode)) throw new OptionError('EarlyStoppingOptions.mode', `expected min, max or auto, got ${JSON.stringify(this.o.mode)}`);
    this.mode = resolveMode(this.o.monitor, this.o.mode);
  }

  beforeFit(state: FitState): void {
    if (state.resumed || state.lrFind) return;
    this.best = NaN;
    this.bestEpoch = -1;
    this.wait = 0;
  }

  afterEpoch(state: FitState): void {
    if (state.lrFind) return;
    const value = readMonitor(state.record!, this.o.monitor, 'EarlyStoppingOptions');
    if (this.bestEpoch < 0 || improves(value, this.best, this.mode, this.o.minDelta)) {
      if (!Number.isNaN(value)) {
        this.best = value;
        this.bestEpoch = state.epoch;
        this.wait = 0;
        return;
      }
    }
    this.wait++;
    if (this.wait >= this.o.patience) {
      throw new CancelFitError(`early stopping at epoch ${state.epoch}: ${this.o.monitor} has not improved for ${this.o.patience} epochs (best ${this.best} at epoch ${this.bestEpoch})`);
    }
  }

  getState(): unknown {
    return { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  setState(s: unknown): void {
    const v = s as { best: number | null; bestEpoch: number; wait: number };
    this.best = v.best ?? NaN;
    this.bestEpoch = v.bestEpoch;
    this.wait = v.wait;
  }
}
