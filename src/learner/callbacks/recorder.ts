/**
 * Validation and history, as a callback: sums the training loss over the epoch's batches, then
 * after the epoch validates on 'valid' (when the source has one) and appends the epoch's record
 * to `learner.history` (and `state.record`, which the callbacks after it read). A non-finite
 * validation loss stops the fit with a NonFiniteValidationError naming the epoch and first sample.
 */
import { NonFiniteValidationError } from '../../backend/errors.js';
import { CALLBACK_ORDER, type Callback, type EpochRecord, type FitState } from '../callback.js';

/** Records each epoch of a fit: mean training loss, validation loss and metrics, lr, wall time. */
export class Recorder implements Callback {
  readonly name = 'Recorder';
  readonly order = CALLBACK_ORDER.recorder;
  private sum = 0;
  private count = 0;
  private t0 = 0;

  beforeEpoch(): void {
    this.sum = 0;
    this.count = 0;
    this.t0 = performance.now();
  }

  afterBatch(state: FitState): void {
    const n = state.batchData!.y.length;
    this.sum += state.loss * n;
    this.count += n;
  }

  async afterEpoch(state: FitState): Promise<void> {
    const { learner } = state;
    const valid = learner.source.size('valid') > 0 ? await learner.validate('valid') : undefined;
    if (valid?.nonFinite) {
      const n = valid.nonFinite.inputValues;
      const why = n > 0 ? `whose input holds ${n} NaN or infinite value${n === 1 ? '' : 's'}` : 'whose output is not finite from a finite input (the model diverged)';
      throw new NonFiniteValidationError('valid', state.epoch, valid.nonFinite.id, why);
    }
    const record: EpochRecord = {
      epoch: state.epoch,
      trainLoss: this.count ? this.sum / this.count : NaN,
      validLoss: valid?.loss ?? NaN,
      metrics: valid?.metrics ?? {},
      lr: state.lr,
      seconds: (performance.now() - this.t0) / 1000,
    };
    learner.history.push(record);
    state.record = record;
  }
}
