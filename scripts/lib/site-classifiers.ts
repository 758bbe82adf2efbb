/**
 * The demo's 3D models on the two synthetic sites, one function per variant, shared by
 * scripts/transfer-seeds.ts and scripts/kd-synthetic.ts. Every classifier trains for the same
 * number of epochs, `clfEpochs + ceil(clfEpochs / 3)` (the demo's count), with the demo's learning rates:
 *
 * - `pretrainCae`: the CAE on site A, unsupervised (MSE + 1e-4 L1 on the code), lr 3e-3 one-cycle;
 * - `pretrainMultitask`: the same CAE plus a head on site A's labels, loss 0.7·MSE + 0.3·CE;
 * - `trainTransfer`: a copy of a pretrained encoder, frozen, and a new head trained on site B, lr 3e-3;
 * - `trainUnfrozen`: the same, the head first for a third of the epochs, then every layer with
 *   discriminative learning rates (encoder 0.1×, head 1×), lr 1e-3;
 * - `trainScratch`: the same architecture with fresh weights, every layer trained, lr 1e-3.
 */
import { Learner, buildCae, buildClassifier, buildMultitask, classifierFromEncoder } from '../../src/index.js';
import type { BatchSource, ClassifierModel, LearnerOptions, Prediction } from '../../src/index.js';
import type * as tf from '@tensorflow/tfjs';

/** Settings of the 3D models. */
export interface SiteClassifierConfig {
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

/** A trained classifier: its Learner, model and test predictions. */
export interface TrainedClassifier {
  learner: Learner;
  model: tf.LayersModel;
  test: Prediction;
  /** Balanced accuracy on site B's validation split. */
  validBa: number;
}

/** A pretrained site-A encoder (CAE or multitask), with its validation reconstruction MSE per epoch. */
export interface Pretrained {
  encoder: tf.LayersModel;
  validMse: number[];
  /** Frees the pretraining model (the encoder too). */
  dispose(): void;
}

function learnerOptions(cfg: SiteClassifierConfig): LearnerOptions {
  return { seed: cfg.seed, batchSize: cfg.batchSize, bootstrap: cfg.bootstrap };
}

/** Total epochs of each classifier: the demo's clfEpochs + ceil(clfEpochs / 3). */
export function classifierEpochs(clfEpochs: number): number {
  return clfEpochs + Math.ceil(clfEpochs / 3);
}

/** Unsupervised CAE pretraining on site A (the demo's step 3). */
export async function pretrainCae(siteA: BatchSource, cfg: SiteClassifierConfig): Promise<Pretrained> {
  const ae = buildCae({ inputShape: cfg.inputShape, outputActivation: 'linear', seed: cfg.seed, batchNorm: cfg.batchNorm ?? false });
  const learner = new Learner(siteA, ae, { ...learnerOptions(cfg), loss: { kind: 'autoencoder', l1Weight: 1e-4 } });
  const history = await learner.fit(cfg.aeEpochs, { lr: 3e-3, schedule: 'oneCycle' });
  learner.dispose();
  return { encoder: ae.encoder, validMse: history.map((r) => r.validLoss), dispose: () => ae.model.dispose() };
}

/** Multitask pretraining on site A: the CAE and a head on site A's labels, 0.7·MSE + 0.3·CE. */
export async function pretrainMultitask(siteA: BatchSource, cfg: SiteClassifierConfig): Promise<Pretrained & { siteAValidBa: number }> {
  const mt = buildMultitask({ backbone: { architecture: 'cae', inputShape: cfg.inputShape, outputActivation: 'linear', seed: cfg.seed, batchNorm: cfg.batchNorm ?? false }, numClasses: siteA.classes.length, seed: cfg.seed });
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

/** Frozen pretrained encoder + new head trained on site B (the demo's step 4). */
export async function trainTransfer(encoder: tf.LayersModel, siteB: BatchSource, cfg: SiteClassifierConfig): Promise<TrainedClassifier> {
  const clf = classifierFromEncoder(encoder, { numClasses: siteB.classes.length, seed: cfg.seed });
  const learner = new Learner(siteB, clf, learnerOptions(cfg));
  learner.freeze();
  await learner.fit(classifierEpochs(cfg.clfEpochs), { lr: 3e-3, schedule: 'oneCycle' });
  return finish(learner, clf);
}

/** Pretrained encoder fine-tuned: head only for ceil(clfEpochs / 3) epochs, then every layer for clfEpochs with groupLr [encoderLr (default 0.1), 1]. */
export async function trainUnfrozen(encoder: tf.LayersModel, siteB: BatchSource, cfg: SiteClassifierConfig): Promise<TrainedClassifier> {
  const clf = classifierFromEncoder(encoder, { numClasses: siteB.classes.length, seed: cfg.seed });
  const learner = new Learner(siteB, clf, learnerOptions(cfg));
  learner.freeze();
  await learner.fit(Math.ceil(cfg.clfEpochs / 3), { lr: 3e-3, schedule: 'oneCycle' });
  learner.unfreeze();
  await learner.fit(cfg.clfEpochs, { lr: 1e-3, schedule: 'oneCycle', groupLr: [cfg.encoderLr ?? 0.1, 1] });
  return finish(learner, clf);
}

/** The same classifier from scratch on site B (the demo's step 5). */
export async function trainScratch(siteB: BatchSource, cfg: SiteClassifierConfig): Promise<TrainedClassifier> {
  const clf = buildClassifier({ backbone: { architecture: 'cae', inputShape: cfg.inputShape, seed: cfg.seed, batchNorm: cfg.batchNorm ?? false }, numClasses: siteB.classes.length, seed: cfg.seed });
  const learner = new Learner(siteB, clf, learnerOptions(cfg));
  await learner.fit(classifierEpochs(cfg.clfEpochs), { lr: 1e-3, schedule: 'oneCycle' });
  return finish(learner, clf);
}
