/**
 * The lr and momentum schedule of a fit, as a callback: before each batch, sets every group's
 * learning rate (the scheduled lr × the group's multiplier) and the step's momentum.
 */
import { CALLBACK_ORDER, type Callback, type FitState } from '../callback.js';
import type { FitPlan } from '../checkpoint.js';
import { setLearningRate } from '../optim.js';
import { scheduleLr, scheduleMomentum } from '../schedule.js';

/** Sets `state.lr` (head group) and `state.mom` from the plan's schedule, a pure function of the step. */
export class ParamScheduler implements Callback {
  readonly name = 'ParamScheduler';
  readonly order = CALLBACK_ORDER.scheduler;

  constructor(private readonly plan: FitPlan) {}

  beforeBatch(state: FitState): void {
    const { learner } = state;
    const totalSteps = this.plan.epochs * state.batchesPerEpoch;
    const lr = scheduleLr(this.plan.schedule, this.plan.lr, state.step, totalSteps);
    learner.groups.forEach((_, g) => setLearningRate(learner.optimizer(g), lr * this.plan.groupLr[g]));
    state.lr = lr * this.plan.groupLr[learner.groups.length - 1];
    state.mom = scheduleMomentum(this.plan.schedule, state.step, totalSteps);
  }
}
