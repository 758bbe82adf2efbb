/**
 * Learner factories (fastai style): build the model for a source with the
 * models builders, pick the matching loss, and return a Learner.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, rejectUnknownOptions } from '../backend/errors.js';
import type { BatchSource } from '../data/batch.js';
import { buildCae, type CaeOptions } from '../models/cae.js';
import { buildClassifier, buildMultitask, classifierFromEncoder, type BackboneOptions, type HeadOptions } from '../models/classifier.js';
import type { VolumeInputShape } from '../models/building-blocks.js';
import { buildSrcae, type SrcaeOptions } from '../models/srcae.js';
import { DEFAULT_LEARNER, Learner, type LearnerOptions } from './learner.js';
import type { ModelHandle } from './model-handle.js';

/** A backbone without its input shape (taken from the source). */
export type BackboneSpec = ({ architecture: 'cae' } & Omit<CaeOptions, 'inputShape'>) | ({ architecture: 'srcae' } & Omit<SrcaeOptions, 'inputShape'>);

/** Head options without the number of classes (taken from the source). */
export type HeadSpec = Omit<HeadOptions, 'numClasses'>;

/** Options of {@link autoencoderLearner}. */
export interface AutoencoderLearnerOptions {
  /** Architecture and its options; default { architecture: 'cae' } (the paper's CAE); its `seed` defaults to the run seed (`learner.seed`, else the source's). */
  backbone?: BackboneSpec;
  /** Weight of the L1 sparsity penalty on the code; default 0. */
  l1Weight?: number;
  /** Reconstruction loss; default 'mse'. */
  reconstruction?: 'mse' | 'l1';
  /** Learner options (loss is set by the factory); default {}; `seed` defaults to the source's. */
  learner?: Omit<LearnerOptions, 'loss'>;
}

/** Options of {@link classifierLearner} and {@link multitaskLearner}. */
export interface ClassifierLearnerOptions {
  /** Encoder architecture; default { architecture: 'cae' }; its `seed` defaults to the run seed (`learner.seed`, else the source's). */
  backbone?: BackboneSpec;
  /** Head options; default the models' DEFAULT_HEAD, with `seed` = the run seed. */
  head?: HeadSpec;
  /** Class weights of the cross-entropy; default all 1. */
  classWeights?: number[];
  /** Label smoothing; default 0. */
  labelSmoothing?: number;
  /** Multitask only: weight of the reconstruction term; default 0.7. */
  alpha?: number;
  /** Learner options (loss is set by the factory); default {}; `seed` defaults to the source's. */
  learner?: Omit<LearnerOptions, 'loss'>;
}

/** Options of {@link classifierLearnerFromEncoder}. */
export interface TransferLearnerOptions {
  /** Head options; default the models' DEFAULT_HEAD, with `seed` = the run seed (`learner.seed`, else the autoencoder learner's). */
  head?: HeadSpec;
  /** Freeze the transferred encoder (train the head only) first, fastai style; default true. */
  freeze?: boolean;
  classWeights?: number[];
  labelSmoothing?: number;
  /** Learner options (loss is set by the factory); default {}; `seed` defaults to the autoencoder learner's. */
  learner?: Omit<LearnerOptions, 'loss'>;
}

/** Defaults of the factory options. */
export const DEFAULT_FACTORY = {
  backbone: { architecture: 'cae' } as BackboneSpec,
  head: {} as HeadSpec,
  l1Weight: 0,
  reconstruction: 'mse' as 'mse' | 'l1',
  classWeights: undefined as number[] | undefined,
  labelSmoothing: 0,
  alpha: 0.7,
  freeze: true,
  learner: {} as Omit<LearnerOptions, 'loss'>,
};

function backboneFor(source: BatchSource, spec: BackboneSpec = DEFAULT_FACTORY.backbone, seed: number): BackboneOptions {
  if (spec === null || typeof spec !== 'object') throw new OptionError('backbone', 'must be an object like { architecture: "cae" }');
  return { seed, ...spec, inputShape: [...source.sampleShape] as VolumeInputShape } as BackboneOptions;
}

/**
 * The run's seed for a factory: `learner.seed`, else the source's seed (a DataBunch's `seed`), else
 * the Learner default. It seeds the weight initialisation (unless `backbone.seed` / `head.seed` are
 * given) and the Learner (dropout, bootstrap), so one seed drives the run (docs/seeds.md).
 */
function runSeed(source: BatchSource, learner: { seed?: number } | undefined): number {
  return learner?.seed ?? source.seed ?? DEFAULT_LEARNER.seed;
}

function noLoss(learner: object | undefined, where: string): void {
  if (learner && 'loss' in learner) throw new OptionError(`${where}.learner.loss`, 'the factory sets the loss; use new Learner(...) for a custom one');
}

function ceSpec(o: { classWeights?: number[]; labelSmoothing?: number }) {
  return { ...(o.classWeights !== undefined ? { classWeights: o.classWeights } : {}), ...(o.labelSmoothing !== undefined ? { labelSmoothing: o.labelSmoothing } : {}) };
}

/**
 * An autoencoder Learner (CAE or SRCAE) for the source's sample shape.
 * @example const ae = autoencoderLearner(bunch, { backbone: { architecture: 'cae', widths: [8, 16] }, l1Weight: 1e-3 });
 */
export function autoencoderLearner(source: BatchSource, options: AutoencoderLearnerOptions = {}): Learner {
  rejectUnknownOptions('AutoencoderLearnerOptions', options, { backbone: 0, l1Weight: 0, reconstruction: 0, learner: 0 });
  noLoss(options.learner, 'AutoencoderLearnerOptions');
  const seed = runSeed(source, options.learner);
  const { architecture, ...rest } = backboneFor(source, options.backbone, seed);
  const ae = architecture === 'srcae' ? buildSrcae(rest as SrcaeOptions) : architecture === 'cae' ? buildCae(rest as CaeOptions) : undefined;
  if (!ae) throw new OptionError('AutoencoderLearnerOptions.backbone.architecture', `must be 'cae' or 'srcae', got ${String(architecture)}`);
  const loss = { kind: 'autoencoder' as const, l1Weight: options.l1Weight ?? 0, reconstruction: options.reconstruction ?? 'mse' };
  return new Learner(source, ae, { ...options.learner, seed, loss });
}

/**
 * A classifier Learner trained from scratch: a fresh encoder + head, numClasses from the source.
 * @example const clf = classifierLearner(bunch, { backbone: { architecture: 'cae', widths: [8, 16] } });
 */
export function classifierLearner(source: BatchSource, options: ClassifierLearnerOptions = {}): Learner {
  rejectUnknownOptions('ClassifierLearnerOptions', options, { backbone: 0, head: 0, classWeights: 0, labelSmoothing: 0, learner: 0 });
  noLoss(options.learner, 'ClassifierLearnerOptions');
  const seed = runSeed(source, options.learner);
  const clf = buildClassifier({ backbone: backboneFor(source, options.backbone, seed), numClasses: source.classes.length, seed, ...options.head });
  return new Learner(source, clf, { ...options.learner, seed, loss: { kind: 'classifier', ...ceSpec(options) } });
}

/**
 * A classifier on a copy of a trained autoencoder's encoder, for a target
 * source (e.g. another site); the encoder is frozen first unless `freeze: false`.
 * Fine-tune later with `learner.unfreeze()` and `fit(n, { groupLr: [0.1, 1] })`.
 * @example
 * const clf = classifierLearnerFromEncoder(aeLearner, siteB, { head: { dropout: 0.25 } });
 * await clf.fit(5); clf.unfreeze(); await clf.fit(5, { groupLr: [0.1, 1] });
 */
export function classifierLearnerFromEncoder(aeLearner: Learner, targetSource: BatchSource, options: TransferLearnerOptions = {}): Learner {
  rejectUnknownOptions('TransferLearnerOptions', options, { head: 0, freeze: 0, classWeights: 0, labelSmoothing: 0, learner: 0 });
  noLoss(options.learner, 'TransferLearnerOptions');
  const encoder = aeLearner.handle.encoder ?? encoderFromNames(aeLearner.handle);
  if (!encoder) throw new OptionError('classifierLearnerFromEncoder.aeLearner', `the learner's ${aeLearner.handle.kind} model has no encoder`);
  const seed = options.learner?.seed ?? aeLearner.options.seed;
  const clf = classifierFromEncoder(encoder, { numClasses: targetSource.classes.length, seed, ...options.head });
  const learner = new Learner(targetSource, clf, { ...options.learner, seed, loss: { kind: 'classifier', ...ceSpec(options) } });
  if (options.freeze ?? DEFAULT_FACTORY.freeze) learner.freeze();
  return learner;
}

/**
 * The encoder of a model whose handle names its encoder layers but holds no encoder model (a learner
 * loaded from a checkpoint): the model cut after its last encoder layer, sharing its weights.
 */
function encoderFromNames(handle: ModelHandle): tf.LayersModel | undefined {
  const names = new Set(handle.encoderLayerNames ?? []);
  const last = handle.model.layers.filter((l) => names.has(l.name)).pop();
  return last === undefined ? undefined : tf.model({ inputs: handle.model.inputs, outputs: last.output as tf.SymbolicTensor, name: `${handle.model.name}_encoder` });
}

/**
 * A multitask Learner: autoencoder + head on the code sharing the encoder,
 * loss α·MSE + (1−α)·CE.
 * @example const mt = multitaskLearner(bunch, { alpha: 0.7 });
 */
export function multitaskLearner(source: BatchSource, options: ClassifierLearnerOptions = {}): Learner {
  rejectUnknownOptions('MultitaskLearnerOptions', options, { backbone: 0, head: 0, classWeights: 0, labelSmoothing: 0, alpha: 0, learner: 0 });
  noLoss(options.learner, 'MultitaskLearnerOptions');
  const seed = runSeed(source, options.learner);
  const mt = buildMultitask({ backbone: backboneFor(source, options.backbone, seed), numClasses: source.classes.length, seed, ...options.head });
  const loss = { kind: 'multitask' as const, ...ceSpec(options), ...(options.alpha !== undefined ? { alpha: options.alpha } : {}) };
  return new Learner(source, mt, { ...options.learner, seed, loss });
}
