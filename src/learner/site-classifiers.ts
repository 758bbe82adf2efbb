/**
 * Pretraining on one site and classifiers on another, one function per variant (the demo's 3D
 * models, shared by the transfer-seeds and kd-synthetic experiments). Every classifier trains for
 * the same number of epochs, `clfEpochs + ceil(clfEpochs / 3)` ({@link classifierEpochs}):
 *
 * - `pretrainCae`: the CAE on site A, unsupervised (MSE + 1e-4 L1 on the code), lr 3e-3 one-cycle;
 * - `pretrainMultitask`: the same CAE plus a head on site A's labels, loss 0.7·MSE + 0.3·CE;
 * - `trainTransfer`: a copy of a pretrained encoder, frozen, and a new head trained on site B, lr 3e-3;
 * - `trainUnfrozen`: the same, the head first for a third of the epochs, then every layer with
 *   discriminative learning rates (encoder `encoderLr` × the head's, head 1×), lr 1e-3;
 * - `trainScratch`: the same architecture with fresh weights, every layer trained, lr 1e-3.
 */
import type * as tf from '@tensorflow/tfjs';
import { rejectUnknownOptions } from '../backend/errors.js';
import type { BatchSource } from '../data/batch.js';
import type { ClassifierModel } from '../models/building-blocks.js';
import { buildCae } from '../models/cae.js';
import { buildClassifier, buildMultitask, classifierFromEncoder } from '../models/classifier.js';
import { Learner, type LearnerOptions, type Prediction } from './learner.js';

/** Settings of the site-A pretraining and site-B classifiers. */
export interface SiteClassifierConfig {
  /** Seed of the weights, batch order and dropout of every model. */
  seed: number;
  /** [size, size, size, 1]. */
  inputShape: [number, number, number, number];
  /** Epochs of pretraining on site A. */
  aeEpochs: number;
  /** Base epochs of the classifiers on site B (each trains clfEpochs + ceil(clfEpochs / 3)). */
  clfEpochs: number;
  batchSize: number;
  /** Bootstrap resamples of the test metrics' intervals. */
  bootstrap: number;
  /** `trainUnfrozen`: learning rate of the encoder after unfreezing, as a fraction of the head's; default 0.1. */
  encoderLr?: number;
  /** Batch norm in the CAE (CaeOptions.batchNorm) of every variant; default false. */
  batchNorm?: boolean;
}

/** Defaults of the optional {@link SiteClassifierConfig} fields. */
export const DEFAULT_SITE_CLASSIFIER = { encoderLr: 0.1, batchNorm: false } as const;

/** A trained classifier: its Learner, model and test predictions. The caller disposes the learner and the model. */
export interface TrainedClassifier {
  learner: Learner;
  model: tf.LayersModel;
  test: Prediction;
  /** Balanced accuracy on site B's validation split. */
  validBa: number;
}

/** A pretrained site-A encoder (CAE or multitask), with its validation reconstruction MSE per epoch. */
export interface PretrainedEncoder {
  encoder: tf.LayersModel;
  validMse: number[];
  /** Frees the pretraining model (the encoder too). */
  dispose(): void;
}

function checked(cfg: SiteClassifierConfig): Required<SiteClassifierConfig> {
  rejectUnknownOptions('SiteClassifierConfig', cfg, { ...DEFAULT_SITE_CLASSIFIER, seed: 0, inputShape: 0, aeEpochs: 0, clfEpochs: 0, batchSize: 0, bootstrap: 0 });
  return { ...cfg, encoderLr: cfg.encoderLr ?? DEFAULT_SITE_CLASSIFIER.encoderLr, batchNorm: cfg.batchNorm ?? DEFAULT_SITE_CLASSIFIER.batchNorm };
}

function learnerOptions(cfg: SiteClassifierConfig): LearnerOptions {
  return { seed: cfg.seed, batchSize: cfg.batchSize, bootstrap: cfg.bootstrap };
}

/** Total epochs of each classifier: clfEpochs + ceil(clfEpochs / 3) (e.g. 12 → 16). */
export function classifierEpochs(clfEpochs: number): number {
  return clfEpochs + Math.ceil(clfEpochs / 3);
}

/**
 * Unsupervised CAE pretraining on site A (MSE + 1e-4 L1 on the code, lr 3e-3 one-cycle).
 * @example
 * const cfg: SiteClassifierConfig = { seed: 0, inputShape: [32, 32, 32, 1], aeEpochs: 10, clfEpochs: 12, batchSize: 4, bootstrap: 1000 };
 * const ae = await pretrainCae(siteA, cfg);
 * const clf = await trainTransfer(ae.encoder, siteB, cfg); // then clf.learner.dispose(), clf.model.dispose(), ae.dispose()
 */
export async function pretrainCae(siteA: BatchSource, config: SiteClassifierConfig): Promise<PretrainedEncoder> {
  const cfg = checked(config);
  const ae = buildCae({ inputShape: cfg.inputShape, outputActivation: 'linear', seed: cfg.seed, batchNorm: cfg.batchNorm });
  const learner = new Learner(siteA, ae, { ...learnerOptions(cfg), loss: { kind: 'autoencoder', l1Weight: 1e-4 } });
  const history = await learner.fit(cfg.aeEpochs, { lr: 3e-3, schedule: 'oneCycle' });
  learner.dispose();
  return { encoder: ae.encoder, validMse: history.map((r) => r.validLoss), dispose: () => ae.model.dispose() };
}

/** Multitask pretraining on site A: the CAE and a head on site A's labels, 0.7·MSE + 0.3·CE; also site A's validation balanced accuracy. */
export async function pretrainMultitask(siteA: BatchSource, config: SiteClassifierConfig): Promise<PretrainedEncoder & { siteAValidBa: number }> {
  const cfg = checked(config);
  const mt = buildMultitask({ backbone: { architecture: 'cae', inputShape: cfg.inputShape, outputActivation: 'linear', seed: cfg.seed, batchNorm: cfg.batchNorm }, numClasses: siteA.classes.length, seed: cfg.seed });
  const learner = new Learner(siteA, mt, { ...learnerOptions(cfg), loss: { kind: 'multitask', alpha: 0.7 } });
  const history = await learner.fit(cfg.aeEpochs, { lr: 3e-3, schedule: 'oneCycle' });
  const siteAValidBa = (await learner.validate('valid')).metrics.balancedAccuracy;
  learner.dispose();
  return { encoder: mt.encoder, validMse: history.map((r) => r.metrics.mse ?? r.validLoss), siteAValidBa, dispose: () => mt.model.dispose() };
}

async function finish(learner: Learner, clf: ClassifierModel): Promise<TrainedClassifier> {
  const test = await learner.predict('test');
  const validBa = (await learner.validate('valid')).metrics.balancedAccuracy;
  return { learner, model: clf.model, test, validBa };
}

/** A copy of the pretrained encoder, frozen, and a new head trained on site B for classifierEpochs(clfEpochs) at lr 3e-3 one-cycle. The source encoder is not changed. */
export async function trainTransfer(encoder: tf.LayersModel, siteB: BatchSource, config: SiteClassifierConfig): Promise<TrainedClassifier> {
  const cfg = checked(config);
  const clf = classifierFromEncoder(encoder, { numClasses: siteB.classes.length, seed: cfg.seed });
  const learner = new Learner(siteB, clf, learnerOptions(cfg));
  learner.freeze();
  await learner.fit(classifierEpochs(cfg.clfEpochs), { lr: 3e-3, schedule: 'oneCycle' });
  return finish(learner, clf);
}

/** A copy of the pretrained encoder fine-tuned: the head only for ceil(clfEpochs / 3) epochs (lr 3e-3), then every layer for clfEpochs (lr 1e-3) with groupLr [encoderLr, 1]. */
export async function trainUnfrozen(encoder: tf.LayersModel, siteB: BatchSource, config: SiteClassifierConfig): Promise<TrainedClassifier> {
  const cfg = checked(config);
  const clf = classifierFromEncoder(encoder, { numClasses: siteB.classes.length, seed: cfg.seed });
  const learner = new Learner(siteB, clf, learnerOptions(cfg));
  learner.freeze();
  await learner.fit(Math.ceil(cfg.clfEpochs / 3), { lr: 3e-3, schedule: 'oneCycle' });
  learner.unfreeze();
  await learner.fit(cfg.clfEpochs, { lr: 1e-3, schedule: 'oneCycle', groupLr: [cfg.encoderLr, 1] });
  return finish(learner, clf);
}

/** The same classifier (CAE encoder + head) with fresh weights, every layer trained on site B for classifierEpochs(clfEpochs) at lr 1e-3 one-cycle. */
export async function trainScratch(siteB: BatchSource, config: SiteClassifierConfig): Promise<TrainedClassifier> {
  const cfg = checked(config);
  const clf = buildClassifier({ backbone: { architecture: 'cae', inputShape: cfg.inputShape, seed: cfg.seed, batchNorm: cfg.batchNorm }, numClasses: siteB.classes.length, seed: cfg.seed });
  const learner = new Learner(siteB, clf, learnerOptions(cfg));
  await learner.fit(classifierEpochs(cfg.clfEpochs), { lr: 1e-3, schedule: 'oneCycle' });
  return finish(learner, clf);
}
