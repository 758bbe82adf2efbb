/**
 * The Learner: holds a model, its layer groups and optimizers, and fits (through the training loop
 * of loop.ts), validates, predicts and encodes. Everything else (schedule, validation history,
 * checkpoints, early stopping, progress, logging, the lr range test) is a callback.
 */
import * as tf from '@tensorflow/tfjs';
import { DataError, OptionError, rejectUnknownOptions } from '../backend/errors.js';
import { Rng } from '../backend/rng.js';
import type { Batch, BatchSource, SplitName } from '../data/batch.js';
import { callbackName, type Callback, type EpochRecord, type FitState } from './callback.js';
import { CheckpointSaver } from './callbacks/checkpoint-saver.js';
import { ParamScheduler } from './callbacks/param-scheduler.js';
import { Recorder } from './callbacks/recorder.js';
import type { FitPlan } from './checkpoint.js';
import { encodeSplit, predictSplit, runInference, DEFAULT_ENCODE, type EncodeOptions, type Encoding, type InferenceContext, type Prediction } from './inference.js';
import { lossNeedsLabels, resolveLoss, type LossFunction } from './loss-spec.js';
import { epochMetrics, type MetricName } from './metrics/epoch.js';
import { checkSourceFits, codeFunction, layerGroups, leafLayers, setGroupTrainable, toHandle, type LayerGroup, type ModelHandle } from './model-handle.js';
import { disposeOptimizer, makeOptimizer } from './optim.js';
import { normalizeSchedule } from './schedule.js';
import { checkScheduledMomentum } from './schedule-momentum.js';
import { reinitializeLayer } from './reinit.js';
import { getDropoutSeeds, setDropoutSeeds } from './dropout.js';
import { lrFind, type LrFindOptions, type LrFindResult } from './lr-find.js';
import { runLoop } from './loop.js';
import { DEFAULT_LEARNER, DEFAULT_FIT, type LearnerOptions, type FitOptions } from './learner-options.js';

export type { Prediction } from './inference.js';
export { DEFAULT_LEARNER, DEFAULT_FIT } from './learner-options.js';
export type { LearnerOptions, FitOptions } from './learner-options.js';

/**
 * Fits, validates, predicts and encodes.
 * @example
 * const learner = new Learner(source, tinyClassifier, { loss: 'classifier', seed: 1 });
 * await learner.fit(5, { lr: 1e-3, schedule: 'oneCycle' });
 * const { metrics } = await learner.predict('test');
 */
export class Learner {
  readonly source: BatchSource;
  readonly handle: ModelHandle;
  readonly options: Readonly<typeof DEFAULT_LEARNER>;
  readonly lossFn: LossFunction;
  /** Layer groups (encoder/body first, head last). */
  readonly groups: LayerGroup[];
  /** One optimizer per group (created on first use). */
  optimizers: Array<tf.Optimizer | undefined>;
  /** Per-epoch records of every fit so far. */
  history: EpochRecord[] = [];
  /** Callbacks, in call order. */
  callbacks: Callback[];
  private readonly needsLabels: boolean;

  constructor(source: BatchSource, model: tf.LayersModel | ModelHandle, options: LearnerOptions = {}) {
    rejectUnknownOptions('LearnerOptions', options, DEFAULT_LEARNER);
    this.source = source;
    this.handle = toHandle(model);
    // One seed drives a run: without its own seed, the Learner takes its source's (docs/seeds.md).
    const o = { ...DEFAULT_LEARNER, ...options, seed: options.seed ?? source.seed ?? DEFAULT_LEARNER.seed };
    if (!Number.isFinite(o.seed)) throw new OptionError('LearnerOptions.seed', `must be a finite number, got ${o.seed}`);
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new OptionError('LearnerOptions.batchSize', `must be an integer ≥ 1, got ${o.batchSize}`);
    this.options = o;
    const loss = o.loss ?? this.handle.kind;
    this.lossFn = resolveLoss(loss, this.handle.kind);
    this.needsLabels = lossNeedsLabels(loss, this.handle.kind);
    this.callbacks = [...o.callbacks];
    this.groups = layerGroups(this.handle);
    this.optimizers = this.groups.map(() => undefined);
    checkSourceFits(this.handle, this.source, this.needsLabels);
  }

  /** The tf model. */
  get model(): tf.LayersModel {
    return this.handle.model;
  }

  /**
   * Throws a DataError naming the sample when a label is missing or out of range. With
   * `allowUnlabelled` (training with a loss that accepts them), −1 passes.
   */
  checkLabels(batch: Batch, allowUnlabelled = false): void {
    if (!this.needsLabels) return;
    const c = this.source.classes.length;
    batch.y.forEach((label, i) => {
      if (allowUnlabelled && label === -1) return;
      if (!(label >= 0 && label < c)) {
        const why = label === -1 ? `unlabelled (-1), and this loss needs a label for every sample (a distillation takes unlabelled training samples)` : `label ${label} out of range [0, ${c})`;
        throw new DataError(`${why} (classes ${this.source.classes.join(', ')})`, { file: `sample ${batch.ids[i]}` });
      }
    });
  }

  private get ctx(): InferenceContext {
    return { handle: this.handle, source: this.source, batchSize: this.options.batchSize, lossFn: this.lossFn, checkLabels: (b) => this.checkLabels(b) };
  }

  /** Batches per training epoch (of the shuffled stream: an oversampled epoch is longer than the split). */
  get batchesPerEpoch(): number {
    return Math.ceil((this.source.epochSize?.('train') ?? this.source.size('train')) / this.options.batchSize);
  }

  /** The optimizer of a group, created on first use. */
  optimizer(group: number): tf.Optimizer {
    this.optimizers[group] ??= makeOptimizer(this.options.optimizer, DEFAULT_FIT.lr, this.options.weightDecay);
    return this.optimizers[group]!;
  }

  /**
   * Trains for `epochs` epochs (or up to `epochs` in total when resuming): the training loop
   * (loop.ts) with the schedule, the recorder (validation, history) and, with `checkpoint`, the
   * checkpoint saver as callbacks before and after the learner's own.
   * @returns the history of all epochs so far
   */
  async fit(epochs: number, options: FitOptions = {}): Promise<EpochRecord[]> {
    rejectUnknownOptions('FitOptions', options, DEFAULT_FIT);
    if (!Number.isInteger(epochs) || epochs < 0) throw new OptionError('fit.epochs', `must be an integer ≥ 0, got ${epochs}`);
    const plan: FitPlan = { epochs, lr: options.lr ?? DEFAULT_FIT.lr, schedule: normalizeSchedule(options.schedule ?? DEFAULT_FIT.schedule), groupLr: options.groupLr ?? this.groups.map(() => 1) };
    if (!(plan.lr > 0)) throw new OptionError('fit.lr', `must be > 0, got ${plan.lr}`);
    if (plan.groupLr.length !== this.groups.length) throw new OptionError('fit.groupLr', `needs one multiplier per layer group (${this.groups.length}), got ${plan.groupLr.length}`);
    if (this.source.size('train') === 0) throw new OptionError('fit', "the source's 'train' split is empty");
    checkScheduledMomentum(plan.schedule, this.optimizers.find((o) => o !== undefined) ?? (() => makeOptimizer(this.options.optimizer, plan.lr, this.options.weightDecay)));
    // Checkpoint code (node:fs) loads only when used, so the Learner core also runs in a browser.
    const start = options.resume !== undefined ? await (await import('./checkpoint.js')).loadCheckpointInto(this, options.resume, plan, { allowDataChange: options.allowDataChange ?? false }) : 0;
    const state: FitState = { learner: this, epochs, epoch: start, batch: 0, batchesPerEpoch: this.batchesPerEpoch, step: 0, lr: plan.lr, loss: NaN, resumed: options.resume !== undefined };
    const callbacks: Callback[] = [new ParamScheduler(plan), new Recorder(), ...(options.checkpoint !== undefined ? [new CheckpointSaver(options.checkpoint, plan)] : [])];
    const progress = await this.progressReporter();
    if (progress) callbacks.push(progress);
    // Batch order and dropout masks follow the learner's epoch count (history), so a second fit
    // (e.g. after unfreezing) sees new orders, and a resumed fit (history restored) the same ones.
    let dataEpoch = this.history.length;
    const batches = (): AsyncIterable<Batch> => {
      dataEpoch = this.history.length;
      return this.source.batches('train', { batchSize: this.options.batchSize, epoch: dataEpoch, shuffle: true });
    };
    await runLoop(this, { start, state, callbacks, batches, dropoutKey: (_, b) => `${dataEpoch}/${b}` });
    return this.history;
  }

  /** The default progress reporter of a fit (see LearnerOptions.progress), loaded only when used (Node only). */
  private async progressReporter(): Promise<Callback | undefined> {
    const p = this.options.progress;
    if (typeof p !== 'boolean' && (p === null || typeof p !== 'object')) throw new OptionError('LearnerOptions.progress', `expected true, false or ProgressReporterOptions, got ${JSON.stringify(p)}`);
    if (p === false || typeof process === 'undefined' || !process.stdout) return undefined;
    if (this.callbacks.some((cb) => ['ProgressBar', 'ProgressReporter'].includes(callbackName(cb)))) return undefined;
    const { ProgressReporter } = await import('./callbacks/progress-reporter.js');
    return new ProgressReporter(p === true ? {} : p);
  }

  /** Metrics recorded each epoch. */
  get metricNames(): MetricName[] {
    if (this.options.metrics) return this.options.metrics;
    return this.handle.kind === 'autoencoder' ? ['mse'] : this.handle.kind === 'classifier' ? ['accuracy', 'balancedAccuracy'] : ['mse', 'accuracy', 'balancedAccuracy'];
  }

  /** @internal the current seeds of the dropout layers */
  dropoutSeeds(): Array<number | undefined> {
    return getDropoutSeeds(this.model);
  }

  /** @internal puts back what dropoutSeeds() returned */
  restoreDropoutSeeds(seeds: Array<number | undefined>): void {
    setDropoutSeeds(this.model, seeds);
  }

  /** The learning-rate range test; see {@link lrFind}. */
  lrFind(options: LrFindOptions = {}): Promise<LrFindResult> {
    return lrFind(this, options);
  }

  /** Mean loss and metrics on a split (default 'valid'). */
  async validate(split: SplitName = 'valid'): Promise<{ loss: number; metrics: Record<string, number>; nonFinite?: { id: string; inputValues: number } }> {
    const r = await runInference(this.ctx, split, true);
    return { loss: r.loss ?? NaN, metrics: epochMetrics(this.metricNames, r, this.source.classes.length), ...(r.nonFinite ? { nonFinite: r.nonFinite } : {}) };
  }

  /** Predictions on a split in sample order, with metrics over the labelled samples (seeded bootstrap CIs). */
  async predict(split: SplitName = 'test'): Promise<Prediction> {
    return predictSplit(this.ctx, split, { bootstrap: this.options.bootstrap, seed: this.options.seed });
  }

  /** Bottleneck vectors of a split: the code output (autoencoder, multitask) or the encoder (classifier). */
  async encode(split: SplitName = 'test', options: EncodeOptions = {}): Promise<Encoding> {
    rejectUnknownOptions('EncodeOptions', options, DEFAULT_ENCODE);
    const pooling = options.pooling ?? DEFAULT_ENCODE.pooling;
    if (pooling !== 'flatten' && pooling !== 'avg') throw new OptionError('EncodeOptions.pooling', `expected flatten or avg, got ${JSON.stringify(pooling)}`);
    return encodeSplit(this.ctx, split, codeFunction(this.handle), pooling);
  }

  /** Freezes all groups but the last (the head). */
  freeze(): void {
    this.freezeTo(-1);
  }

  /** Makes every group trainable. */
  unfreeze(): void {
    this.freezeTo(0);
  }

  /** Freezes groups [0, n) and unfreezes the rest; a negative n counts from the end (fastai's freeze_to). */
  freezeTo(n: number): void {
    if (!Number.isInteger(n)) throw new OptionError('freezeTo.n', `must be an integer, got ${n}`);
    const cut = n < 0 ? Math.max(0, this.groups.length + n) : Math.min(n, this.groups.length);
    this.groups.forEach((g, i) => setGroupTrainable(g, i >= cut));
  }

  /** Trainable flag of each group (true = every weight trains). */
  get trainableGroups(): boolean[] {
    return this.groups.map((g) => g.variables.every((v) => v.trainable));
  }

  /**
   * Re-initialises the head (last group), or every group with `{ all: true }`,
   * from the layers' initializers seeded by the learner seed, and drops those
   * groups' optimizer state. Saved checkpoints are never touched.
   */
  reset(options: { all?: boolean } = {}): void {
    rejectUnknownOptions('ResetOptions', options, { all: false });
    const targets = options.all ? this.groups.map((_, i) => i) : [this.groups.length - 1];
    const rng = new Rng(this.options.seed).fork(`reset/${this.history.length}`);
    for (const g of targets) {
      this.groups[g].layers.flatMap(leafLayers).forEach((layer, i) => reinitializeLayer(layer, rng.fork(`${g}/${i}`)));
      const old = this.optimizers[g];
      if (old) disposeOptimizer(old);
      this.optimizers[g] = undefined;
    }
  }

  /** Saves model, optimizer state, history, label map, pipeline and seed into `dir` (atomically). */
  async save(dir: string): Promise<void> {
    const { saveCheckpoint } = await import('./checkpoint.js');
    await saveCheckpoint(this, dir);
  }

  /**
   * Loads a learner saved by {@link Learner.save} or a fit checkpoint: the model
   * (topology and weights), freezing, optimizer state, history and callback state.
   * Options default to the saved loss, optimizer (with its saved hyper-parameters: AdamW's weight decay,
   * betas, epsilon; `options.weightDecay` overrides the decay) and seed; inference needs none. A custom loss function is
   * not saved: such a checkpoint predicts, and fit or validate asks for it again as `options.loss`.
   */
  static async load(dir: string, source: BatchSource, options: LearnerOptions = {}): Promise<Learner> {
    const { loadLearner } = await import('./checkpoint.js');
    return loadLearner(dir, source, options, (h, o) => new Learner(source, h, o));
  }

  /** Releases the optimizers' state (the model belongs to the caller). */
  dispose(): void {
    for (const opt of this.optimizers) if (opt) disposeOptimizer(opt);
    this.optimizers = this.groups.map(() => undefined);
  }

  /** Names of the callbacks (checkpoint keys). */
  get callbackNames(): string[] {
    return this.callbacks.map(callbackName);
  }
}
