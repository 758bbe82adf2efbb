/**
 * Learning-rate schedules: pure functions of the step.
 */
import { OptionError, rejectUnknownOptions } from '../backend/errors.js';

/** A schedule by name, or with its parameters. */
export type ScheduleSpec =
  | 'constant'
  | 'step'
  | 'cosine'
  | 'oneCycle'
  | { kind: 'constant' }
  | { kind: 'step'; /** Multiply by this every `every` steps; default 0.1. */ gamma?: number; /** Steps between drops; default ceil(totalSteps / 3). */ every?: number }
  | { kind: 'cosine'; /** Final lr as a fraction of the peak; default 0. */ minFactor?: number }
  | {
      kind: 'oneCycle';
      /** Fraction of the steps spent warming up; default 0.25 (fastai). */
      pctStart?: number;
      /** Starting lr = lr / div; default 25 (fastai). */
      div?: number;
      /** Final lr = lr / divFinal; default 1e5 (fastai). */
      divFinal?: number;
      /**
       * Momentum (Adam's and AdamW's β1, the momentum optimizer's momentum) cycled inversely to the lr:
       * [start, at the lr peak, end], cosine in both phases; null keeps the optimizer's own value.
       * Default [0.95, 0.85, 0.95] (fastai's moms); an optimizer without momentum ('sgd') skips the
       * default, and throws when moms are given explicitly.
       */
      moms?: [number, number, number] | null;
    };

/** Defaults of the schedule parameters. */
export const DEFAULT_SCHEDULE = { gamma: 0.1, minFactor: 0, pctStart: 0.25, div: 25, divFinal: 1e5, moms: [0.95, 0.85, 0.95] as [number, number, number] };

const KEYS: Record<string, object> = {
  constant: { kind: 0 },
  step: { kind: 0, gamma: 0, every: 0 },
  cosine: { kind: 0, minFactor: 0 },
  oneCycle: { kind: 0, pctStart: 0, div: 0, divFinal: 0, moms: 0 },
};

/** Cosine interpolation from `start` (pos 0) to `end` (pos 1), as fastai's SchedCos. */
function cosineBetween(start: number, end: number, pos: number): number {
  return start + ((1 + Math.cos(Math.PI * (1 - pos))) * (end - start)) / 2;
}

/** Checks a schedule spec and returns it in object form. */
export function normalizeSchedule(spec: ScheduleSpec): Exclude<ScheduleSpec, string> {
  const obj = typeof spec === 'string' ? ({ kind: spec } as Exclude<ScheduleSpec, string>) : spec;
  const keys = KEYS[obj?.kind as string];
  if (keys === undefined) throw new OptionError('schedule', `unknown schedule ${JSON.stringify(obj?.kind ?? spec)} (expected constant, step, cosine, oneCycle)`);
  rejectUnknownOptions(`schedule(${obj.kind})`, obj, keys);
  if (obj.kind === 'oneCycle' && obj.moms != null) {
    const m = obj.moms;
    if (!(Array.isArray(m) && m.length === 3 && m.every((v) => typeof v === 'number' && v >= 0 && v < 1))) {
      throw new OptionError('schedule(oneCycle).moms', `expected [start, mid, end] with each in [0, 1), or null; got ${JSON.stringify(m)}`);
    }
  }
  return obj;
}

/** Position of the step in [0, 1]. */
function position(step: number, totalSteps: number): number {
  return totalSteps > 0 ? Math.min(Math.max(step / totalSteps, 0), 1) : 0;
}

/**
 * Learning rate at `step` (0-based) of a run of `totalSteps` steps with peak `lr`.
 *
 * - constant: lr.
 * - step: lr · gamma^floor(step / every).
 * - cosine: from lr down to lr·minFactor along a half cosine.
 * - oneCycle (fastai): cosine warm-up from lr/div to lr over pctStart of the
 *   steps, then cosine annealing down to lr/divFinal.
 * @example scheduleLr('cosine', 1e-3, 50, 100) // 5e-4
 */
export function scheduleLr(spec: ScheduleSpec, lr: number, step: number, totalSteps: number): number {
  const s = normalizeSchedule(spec);
  const pos = position(step, totalSteps);
  switch (s.kind) {
    case 'constant':
      return lr;
    case 'step': {
      const gamma = s.gamma ?? DEFAULT_SCHEDULE.gamma;
      const every = s.every ?? Math.max(1, Math.ceil(totalSteps / 3));
      if (!(every >= 1)) throw new OptionError('schedule.every', `must be ≥ 1, got ${every}`);
      return lr * gamma ** Math.floor(step / every);
    }
    case 'cosine':
      return cosineBetween(lr, lr * (s.minFactor ?? DEFAULT_SCHEDULE.minFactor), pos);
    case 'oneCycle': {
      const pct = s.pctStart ?? DEFAULT_SCHEDULE.pctStart;
      if (!(pct > 0 && pct < 1)) throw new OptionError('schedule.pctStart', `must be in (0, 1), got ${pct}`);
      const start = lr / (s.div ?? DEFAULT_SCHEDULE.div);
      const end = lr / (s.divFinal ?? DEFAULT_SCHEDULE.divFinal);
      return pos < pct ? cosineBetween(start, lr, pos / pct) : cosineBetween(lr, end, (pos - pct) / (1 - pct));
    }
  }
}

/**
 * Momentum at `step` of a run of `totalSteps` steps, or undefined when the schedule leaves the
 * optimizer's momentum alone (every schedule but oneCycle, and oneCycle with `moms: null`).
 * oneCycle (fastai's fit_one_cycle): cosine from moms[0] to moms[1] over pctStart of the steps
 * (while the lr rises), then cosine from moms[1] back to moms[2].
 * @example scheduleMomentum('oneCycle', 25, 100) // 0.85, at the lr peak
 */
export function scheduleMomentum(spec: ScheduleSpec, step: number, totalSteps: number): number | undefined {
  const s = normalizeSchedule(spec);
  if (s.kind !== 'oneCycle' || s.moms === null) return undefined;
  const [start, mid, end] = s.moms ?? DEFAULT_SCHEDULE.moms;
  const pct = s.pctStart ?? DEFAULT_SCHEDULE.pctStart;
  if (!(pct > 0 && pct < 1)) throw new OptionError('schedule.pctStart', `must be in (0, 1), got ${pct}`);
  const pos = position(step, totalSteps);
  return pos < pct ? cosineBetween(start, mid, pos / pct) : cosineBetween(mid, end, (pos - pct) / (1 - pct));
}
