/**
 * Callbacks: named events of the training loop (fastai style). A callback
 * implements any subset of the events; it stops work by throwing
 * `CancelFitError` (ends fit cleanly, `afterFit` still runs) or
 * `CancelBatchError` (skips the rest of the batch: no weight update).
 */
import type { Batch } from '../data/batch.js';
import type { Learner } from './learner.js';

/** The events, in the order they fire. */
export type LearnerEvent = 'beforeFit' | 'beforeEpoch' | 'beforeBatch' | 'afterLoss' | 'afterBatch' | 'afterEpoch' | 'afterFit';

/** All events, in firing order. */
export const LEARNER_EVENTS: readonly LearnerEvent[] = ['beforeFit', 'beforeEpoch', 'beforeBatch', 'afterLoss', 'afterBatch', 'afterEpoch', 'afterFit'];

/** One epoch of the history. */
export interface EpochRecord {
  /** 0-based epoch index. */
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  trainLoss: number;
  /** Mean validation loss (NaN without a 'valid' split). */
  validLoss: number;
  /** Validation metrics by name (see LearnerOptions.metrics). */
  metrics: Record<string, number>;
  /** Learning rate of the epoch's last step (head group). */
  lr: number;
  /** Wall time of the epoch (training + validation), seconds. */
  seconds: number;
}

/** What callbacks can read during `fit` (the loop updates it; callbacks should not write to it). */
export interface FitState {
  learner: Learner;
  /** Epochs of this fit (the target total when resuming). */
  epochs: number;
  /** Current epoch, 0-based. */
  epoch: number;
  /** Batch index within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batchesPerEpoch: number;
  /** Global step (epoch · batchesPerEpoch + batch). */
  step: number;
  /** Learning rate of the current step (head group). */
  lr: number;
  /** Momentum of the current step when the schedule sets it (oneCycle's moms); undefined = the optimizer's own. */
  mom?: number;
  /** Loss of the current batch (after `afterLoss`). */
  loss: number;
  /** The current batch (plain arrays). */
  batchData?: Batch;
  /** The record of the epoch just finished (in `afterEpoch`). */
  record?: EpochRecord;
  /** True when this fit continues a checkpoint (callbacks keep their restored state). */
  resumed: boolean;
  /** Why fit stopped early (set when a CancelFitError was caught). */
  stopReason?: string;
  /**
   * True while `learner.lrFind()` runs its mock training: the events fire as in one epoch of
   * `numIt` batches (`batchesPerEpoch` = numIt), `afterEpoch` has no `record`, and the weights are
   * restored afterwards. Callbacks that save, log or stop (checkpoints, early stopping) ignore it.
   */
  lrFind?: boolean;
}

/** A callback: any subset of the events, plus optional state for checkpoints. */
export interface Callback {
  /** Unique name, used as the key of its state in checkpoints; default the class name. */
  name?: string;
  beforeFit?(state: FitState): void | Promise<void>;
  beforeEpoch?(state: FitState): void | Promise<void>;
  beforeBatch?(state: FitState): void | Promise<void>;
  afterLoss?(state: FitState): void | Promise<void>;
  afterBatch?(state: FitState): void | Promise<void>;
  afterEpoch?(state: FitState): void | Promise<void>;
  afterFit?(state: FitState): void | Promise<void>;
  /** JSON-serialisable state saved in checkpoints (for an exact resume). */
  getState?(): unknown;
  /** Restores what `getState` returned. */
  setState?(state: unknown): void;
}

/** The key of a callback in checkpoints. */
export function callbackName(cb: Callback): string {
  return cb.name ?? cb.constructor.name;
}
