/**
 * Options of the Learner and of fit, with their defaults.
 */
import type { Callback } from './callback.js';
import type { ProgressReporterOptions } from './callbacks/progress-reporter.js';
import type { MetricName } from './metrics/epoch.js';
import type { LossSpec } from './loss-spec.js';
import type { OptimizerSpec } from './optim.js';
import type { ScheduleSpec } from './schedule.js';

/** Options of {@link Learner}. */
export interface LearnerOptions {
  /** Loss: a named spec or a function; default the model's kind ('autoencoder' = MSE, 'classifier' = CE, 'multitask' = α·MSE + (1−α)·CE). */
  loss?: LossSpec;
  /** Optimizer, one instance per layer group; default 'adam'. */
  optimizer?: OptimizerSpec;
  /** Decoupled weight decay of 'adamw'; default 0.01. */
  weightDecay?: number;
  /** Validation metrics recorded each epoch; default by kind (classifier: accuracy, balancedAccuracy; autoencoder: mse). */
  metrics?: MetricName[];
  /** Callbacks, called in order; default none. */
  callbacks?: Callback[];
  /** Seed of dropout masks and bootstrap (and, through the factories, of weight initialisation); default the source's `seed` (a DataBunch's run seed), else 0. */
  seed?: number;
  /** Samples per batch; default 8. */
  batchSize?: number;
  /** Bootstrap resamples of predict's confidence intervals; default 1000. */
  bootstrap?: number;
  /**
   * Progress of `fit` (a `ProgressReporter` added to each fit): the bar in a terminal, one line
   * per epoch (losses, metrics, time, ETA) otherwise; options pick the stream or mode; `false` is
   * silent. Default true (in Node; none when a ProgressBar or ProgressReporter is among `callbacks`).
   */
  progress?: boolean | ProgressReporterOptions;
}

/** Defaults of {@link LearnerOptions}. */
export const DEFAULT_LEARNER = {
  loss: undefined as LossSpec | undefined,
  optimizer: 'adam' as OptimizerSpec,
  weightDecay: 0.01,
  metrics: undefined as MetricName[] | undefined,
  callbacks: [] as Callback[],
  seed: 0,
  batchSize: 8,
  bootstrap: 1000,
  progress: true as boolean | ProgressReporterOptions,
};

/** Options of {@link Learner.fit}. */
export interface FitOptions {
  /** Peak learning rate (of the head group); default 1e-3. */
  lr?: number;
  /** Learning-rate schedule over the whole fit; default 'constant'. */
  schedule?: ScheduleSpec;
  /** Learning-rate multiplier per layer group (e.g. [0.1, 1]: encoder at a tenth of the head); default all 1. */
  groupLr?: number[];
  /** Write a resumable checkpoint to this directory after every epoch; default none. */
  checkpoint?: string;
  /** Continue the fit saved in this checkpoint directory (same epochs, lr, schedule; the optimizers take the checkpoint's hyper-parameters, e.g. AdamW's weight decay); default none. */
  resume?: string;
  /**
   * Let `resume` continue on data that differs from the checkpoint's (pipeline, split assignment or
   * sample ids), e.g. to fine-tune on a changed dataset; a changed model is always refused. Default false.
   */
  allowDataChange?: boolean;
}

/** Defaults of {@link FitOptions}. */
export const DEFAULT_FIT = { lr: 1e-3, schedule: 'constant' as ScheduleSpec, groupLr: undefined as number[] | undefined, checkpoint: undefined as string | undefined, resume: undefined as string | undefined, allowDataChange: false };
