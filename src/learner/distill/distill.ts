/**
 * `distill`: a Learner for a student trained against a frozen teacher with a weighted sum of
 * distillation losses (Hinton KD, logit matching, DKD, similarity-preserving, batch orthogonality).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, rejectUnknownOptions } from '../../backend/errors.js';
import type { BatchSource } from '../../data/batch.js';
import { DEFAULT_LEARNER, Learner, type LearnerOptions } from '../learner.js';
import type { LossFunction } from '../loss-spec.js';
import type { ModelHandle } from '../model-handle.js';
import { batchOrthogonality, similarityPreserving, type SimilarityPreservingOptions } from './feature-losses.js';
import { checkClassWeights, decoupledKd, hintonKd, logitMatching, type DecoupledKdOptions, type HintonKdOptions } from './logit-losses.js';
import { DistillTeacherCallback, TeacherCache, type TeacherSpec } from './teacher.js';

/** The terms of the distillation loss; the total is their weighted sum. */
export interface DistillLossOptions {
  /** Weight of a plain cross-entropy term (on top of Hinton's own (1−α)·CE); default 0. */
  ce?: number;
  /** Hinton KD (with its own α and T), or false; default {} (T = 4, α = 0.9). */
  hinton?: HintonKdOptions | false;
  /** Weight of logit matching (MSE of logits); default 0. */
  logitMatching?: number;
  /** Decoupled KD with a weight, or false; default false. */
  dkd?: (DecoupledKdOptions & { weight?: number }) | false;
  /** Similarity-preserving loss on student vs teacher features with a weight, or false; default false. */
  similarity?: (SimilarityPreservingOptions & { weight?: number }) | false;
  /** Weight of the batch-orthogonality term on the student features; default 0. */
  orthogonality?: number;
  /**
   * Class weights of every cross-entropy term (the `ce` term and Hinton's (1−α)·CE), one per class,
   * e.g. `bunch.classWeights()` (N / (K·n_k)) so that a rare class is still predicted; the teacher
   * terms are unweighted. Give them here or in `hinton.classWeights`, not both. Default undefined (all 1).
   */
  classWeights?: number[];
}

/** Defaults of {@link DistillLossOptions}. */
export const DEFAULT_DISTILL_LOSS: Required<Omit<DistillLossOptions, 'classWeights'>> & Pick<DistillLossOptions, 'classWeights'> = { ce: 0, hinton: {}, logitMatching: 0, dkd: false, similarity: false, orthogonality: 0, classWeights: undefined };

/** Options of {@link distill}. */
export interface DistillOptions {
  /** The loss terms; default Hinton KD only. */
  loss?: DistillLossOptions;
  /** Cache the teacher outputs per sample id (computed once before training); default true. Turn off when the training stream is augmented. */
  cache?: boolean;
  /** Options of the student's Learner (its loss is the distillation loss); default {}. */
  learner?: Omit<LearnerOptions, 'loss'>;
}

/** Defaults of {@link DistillOptions}. */
export const DEFAULT_DISTILL: Required<DistillOptions> = { loss: DEFAULT_DISTILL_LOSS, cache: true, learner: {} };

/** A distillation: the student's Learner and the frozen teacher runner. */
export interface Distillation {
  learner: Learner;
  teacher: TeacherCache;
}

function weight(where: string, w: unknown): number {
  if (typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w)) throw new OptionError(where, `must be a finite number >= 0, got ${JSON.stringify(w)}`);
  return w;
}

/**
 * The distillation loss as a Learner loss function. Student outputs are [logits, features?];
 * teacher outputs come from `teacher` (cached or computed per batch). Training samples may be
 * unlabelled (label −1, a transfer set): their cross-entropy terms are left out (see `hintonKd`) and
 * the teacher terms kept; with DKD on, every sample needs a label.
 */
export function distillationLoss(teacher: TeacherCache, options: DistillLossOptions = {}): LossFunction {
  rejectUnknownOptions('DistillLossOptions', options, DEFAULT_DISTILL_LOSS);
  const o = { ...DEFAULT_DISTILL_LOSS, ...options };
  const ce = weight('DistillLossOptions.ce', o.ce);
  const lm = weight('DistillLossOptions.logitMatching', o.logitMatching);
  const orth = weight('DistillLossOptions.orthogonality', o.orthogonality);
  const classWeights = o.classWeights;
  if (classWeights !== undefined && o.hinton !== false && o.hinton.classWeights !== undefined) throw new OptionError('DistillLossOptions.classWeights', 'given twice (also hinton.classWeights): give them once');
  if (classWeights !== undefined) checkClassWeights('DistillLossOptions.classWeights', classWeights, classWeights.length);
  const hinton = o.hinton === false ? false : { ...o.hinton, ...(classWeights ? { classWeights } : {}) };
  let dkd: { w: number; opts: DecoupledKdOptions } | undefined;
  if (o.dkd !== false) {
    const { weight: w, ...opts } = o.dkd;
    dkd = { w: weight('DistillLossOptions.dkd.weight', w ?? 1), opts };
  }
  let sim: { w: number; opts: SimilarityPreservingOptions } | undefined;
  if (o.similarity !== false) {
    const { weight: w, ...opts } = o.similarity;
    sim = { w: weight('DistillLossOptions.similarity.weight', w ?? 1), opts };
  }
  if (sim && !teacher.hasFeatures) throw new OptionError('DistillLossOptions.similarity', 'the teacher has no features: set TeacherSpec.features to an output index or a layer name');
  const loss: LossFunction = ({ outputs, y, batch }) => {
    const [logits, features] = outputs;
    if ((sim || orth > 0) && !features) throw new OptionError('DistillLossOptions', 'feature losses need a student with outputs [logits, features]');
    const t = teacher.outputs(batch);
    try {
      return tf.tidy(() => {
        if (t.logits.shape[1] !== logits.shape[1]) throw new ShapeError('distillationLoss: teacher and student must have the same number of classes', logits.shape, t.logits.shape);
        const terms: tf.Tensor[] = [];
        if (ce > 0) terms.push(tf.mul(ce, hintonKd(logits, t.logits, y, { alpha: 0, ...(classWeights ? { classWeights } : {}) })));
        if (hinton !== false) terms.push(hintonKd(logits, t.logits, y, hinton));
        if (lm > 0) terms.push(tf.mul(lm, logitMatching(logits, t.logits)));
        if (dkd) terms.push(tf.mul(dkd.w, decoupledKd(logits, t.logits, y, dkd.opts)));
        if (sim) terms.push(tf.mul(sim.w, similarityPreserving(features, t.features!, sim.opts)));
        if (orth > 0) terms.push(tf.mul(orth, batchOrthogonality(features)));
        if (terms.length === 0) throw new OptionError('DistillLossOptions', 'every loss term is off');
        return tf.addN(terms) as tf.Scalar;
      });
    } finally {
      tf.dispose(t.features ? [t.logits, t.features] : [t.logits]);
    }
  };
  // Unlabelled (transfer-set) samples get the label-free terms; DKD splits on the target class, so it needs every label.
  return Object.assign(loss, { acceptsUnlabelled: dkd === undefined });
}

/**
 * Sets up knowledge distillation: returns a Learner for the student whose loss is the distillation
 * loss against the frozen teacher (inference mode, never trained). With `cache` (default), the teacher
 * runs once per training/validation sample before the first fit (the `DistillTeacher` callback).
 * The student is a classifier whose model outputs [logits, features] (a {@link StudentModel}) or logits only.
 * The 'train' split may hold unlabelled samples (label −1): a transfer set that the student learns
 * from through the teacher alone (Hinton et al. 2015); validation and test samples need labels.
 * @example
 * const student = edgeCnn({}, 4);
 * const { learner } = distill({ model: teacherModel }, student, bunch, { loss: { hinton: { temperature: 1, alpha: 0.5 } } });
 * await learner.fit(30, { lr: 1e-3 });
 */
export function distill(
  teacher: TeacherSpec | tf.LayersModel,
  student: { model: tf.LayersModel } | tf.LayersModel,
  source: BatchSource,
  options: DistillOptions = {},
): Distillation {
  rejectUnknownOptions('DistillOptions', options, DEFAULT_DISTILL);
  const cache = options.cache ?? DEFAULT_DISTILL.cache;
  const learnerOptions = options.learner ?? {};
  if ('loss' in learnerOptions) throw new OptionError('DistillOptions.learner.loss', 'the loss of a distillation is set by DistillOptions.loss');
  const spec: TeacherSpec = teacher instanceof tf.LayersModel ? { model: teacher } : teacher;
  const runner = new TeacherCache(spec, cache);
  const model = student instanceof tf.LayersModel ? student : student.model;
  const handle: ModelHandle = { model, kind: 'classifier' };
  const loss = distillationLoss(runner, options.loss ?? DEFAULT_DISTILL.loss);
  const batchSize = learnerOptions.batchSize ?? DEFAULT_LEARNER.batchSize;
  const callbacks = [new DistillTeacherCallback(runner, source, batchSize), ...(learnerOptions.callbacks ?? [])];
  const learner = new Learner(source, handle, { ...learnerOptions, callbacks, loss });
  return { learner, teacher: runner };
}
