/**
 * `fit({ checkpoint })` as a callback: after every epoch (after the other callbacks, so their
 * state is saved too), the learner and the fit plan are written to the checkpoint directory.
 */
import { CALLBACK_ORDER, type Callback, type FitState } from '../callback.js';
import type { FitPlan } from '../checkpoint.js';

/** Saves a resumable checkpoint after each epoch (`fit({ resume: dir })` continues from it). */
export class CheckpointSaver implements Callback {
  readonly name = 'CheckpointSaver';
  readonly order = CALLBACK_ORDER.checkpoint;

  constructor(
    private readonly dir: string,
    private readonly plan: FitPlan,
  ) {}

  async afterEpoch(state: FitState): Promise<void> {
    // checkpoint code (node:fs) loads only when used, so the Learner core also runs in a browser
    const { saveCheckpoint } = await import('../checkpoint.js');
    await saveCheckpoint(state.learner, this.dir, { plan: this.plan, epochsDone: state.epoch + 1 });
  }
}
