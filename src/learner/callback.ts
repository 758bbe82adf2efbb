/**
 * Callbacks: named events of the training loop (fastai style). `fit` and `lrFind` are the same
 * short loop (loop.ts); schedules, validation and history, checkpoints and the lr range test are
 * callbacks run through it, beside the user's. A callback implements any subset of the events; it
 * stops work by throwing `CancelFitError` (ends fit cleanly, `afterFit` still runs; thrown in
 * `afterEpoch`, the other callbacks still see that epoch first) or `CancelBatchError` (skips the
 * rest of the batch: no weight update). Callbacks run by ascending `order`, then in list order.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batch.js';
import type { Learner } from './learner.js';

/**
 * The events, in the order they fire: per fit, per epoch, per batch, and inside a batch
 * `afterPred` (outputs computed, inside the gradient tape: synchronous only), `afterLoss` (loss and
 * gradients computed), `beforeStep` (gradients in `state.grads`, before the optimizer applies them).
 */
export type LearnerEvent = 'beforeFit' | 'beforeEpoch' | 'beforeBatch' | 'afterPred' | 'afterLoss' | 'beforeStep' | 'afterBatch' | 'afterEpoch' | 'afterFit';

/** All events, in firing order. */
export const LEARNER_EVENTS: readonly LearnerEvent[] = ['beforeFit', 'beforeEpoch', 'beforeBatch', 'afterPred', 'afterLoss', 'beforeStep', 'afterBatch', 'afterEpoch', 'afterFit'];

/** `order` of the loop's own callbacks: the schedule first, then the recorder, user callbacks (0), checkpoints last. */
export const CALLBACK_ORDER = { scheduler: -20, recorder: -10, user: 0, checkpoint: 100 } as const;

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
  /**
   * The model outputs of the current batch, in `afterPred` (inside the gradient tape; a callback may
   * replace them with tensors computed from them, e.g. mixup, and the loss then sees those).
   */
  pred?: tf.Tensor[];
  /**
   * The gradients of the current batch by variable name, in `beforeStep`; a callback may replace
   * entries (e.g. clipped), and the optimizer applies what is there. The loop disposes them all.
   */
  grads?: tf.NamedTensorMap;
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
  /** Run position: lower first, ties in list order; default 0 (see {@link CALLBACK_ORDER}). */
  order?: number;
  beforeFit?(state: FitState): void | Promise<void>;
  beforeEpoch?(state: FitState): void | Promise<void>;
  beforeBatch?(state: FitState): void | Promise<void>;
  /** Synchronous: it runs inside the gradient tape. */
  afterPred?(state: FitState): void;
  afterLoss?(state: FitState): void | Promise<void>;
  beforeStep?(state: FitState): void | Promise<void>;
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

/** Callbacks sorted by `order` (stable: equal orders keep their list order). */
export function sortCallbacks(callbacks: readonly Callback[]): Callback[] {
  return callbacks.map((cb, i) => ({ cb, i })).sort((a, b) => (a.cb.order ?? 0) - (b.cb.order ?? 0) || a.i - b.i).map(({ cb }) => cb);
}
