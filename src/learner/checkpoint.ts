/**
 * Checkpoints: a directory with the model (topology + weights, through
 * fileSystemHandler), each layer group's optimizer state, the epoch, the
 * history, the label map, the source's pipeline, the seed, callback state and
 * a format version. Written into a temporary sibling directory, then swapped
 * in by rename, so a killed process leaves either the old or the new one.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FormatError, OptionError } from '../backend/errors.js';
import { fileSystemHandler } from '../backend/file-io.js';
import { callbackName, type Callback, type EpochRecord } from './callback.js';
import type { Learner, LearnerOptions } from './learner.js';
import type { BatchSource } from '../data/batch.js';
import type { LossFunction, LossSpec } from './loss-spec.js';
import { canonicalWeights, setGroupTrainable, type ModelHandle, type ModelKind } from './model-handle.js';
import { disposeOptimizer, getOptimizerState, optimizerHyperParameters, setOptimizerState, withHyperParameters, type OptimizerHyperParameters, type OptimizerSpec, type OptimizerState } from './optim.js';
import type { ScheduleSpec } from './schedule.js';
import { checksumFiles, listFiles, removeCheckpointLeftovers, verifyCheckpointFiles, type CheckpointFiles } from './checkpoint-files.js';
import { dataDifferences, dataFingerprint, modelDifference, modelSignature, type DataFingerprint, type LayerSignature } from './fingerprint.js';

/** Format version written; checkpoints with a higher one are refused. */
export const CHECKPOINT_VERSION = 1;
const FORMAT = 'transmri-checkpoint';

/** What a resumed fit must repeat exactly. */
export interface FitPlan {
  epochs: number;
  lr: number;
  schedule: Exclude<ScheduleSpec, string>;
  groupLr: number[];
}

/** The manifest.json of a checkpoint. */
export interface CheckpointManifest {
  format: typeof FORMAT;
  version: number;
  kind: ModelKind;
  seed: number;
  /** Samples per training batch of the fit (absent in checkpoints written before it was recorded). */
  batchSize?: number;
  /** Completed epochs. */
  epochsDone: number;
  /** The fit this checkpoint belongs to (absent for `learner.save`). */
  plan?: FitPlan;
  history: EpochRecord[];
  classes: string[];
  pipeline?: unknown;
  /** Model weights in canonical order (leaf layers in model order). */
  weights: Array<{ name: string; shape: number[] }>;
  encoderLayerNames?: string[];
  modelConfig?: unknown;
  /** Trainable flag per layer group. */
  trainableGroups: boolean[];
  /** The loss spec, or 'function' for a user function (not serialisable). */
  loss: Exclude<LossSpec, (...args: never[]) => unknown> | 'function';
  /**
   * Each group's optimizer state; `hyper` holds its hyper-parameters (AdamW's weightDecay, betas, epsilon ...;
   * absent in checkpoints written before they were saved), restored on resume and by `Learner.load`.
   */
  optimizers: Array<{ group: number; className: string; hyper?: OptimizerHyperParameters; scalars: Record<string, number>; specs: tf.io.WeightsManifestEntry[]; file: string } | null>;
  callbacks: Record<string, unknown>;
  /** Size and CRC-32 of every other file of the checkpoint, checked before loading (absent in checkpoints written before they existed). */
  files?: CheckpointFiles;
  /** Split assignment and sample ids of the source, compared on resume (absent when the source does not list its ids). */
  data?: DataFingerprint;
  /** Class and config of each leaf layer, compared on resume. */
  layers?: LayerSignature[];
}

/**
 * Writes the learner's state into `dir` atomically.
 * @param fit the fit plan and completed epochs (omit for a plain save)
 */
export async function saveCheckpoint(learner: Learner, dir: string, fit?: { plan: FitPlan; epochsDone: number }): Promise<void> {
  await removeCheckpointLeftovers(dir);
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    await learner.model.save(fileSystemHandler(join(tmp, 'model')));
    const optimizers: CheckpointManifest['optimizers'] = [];
    for (let g = 0; g < learner.optimizers.length; g++) {
      const opt = learner.optimizers[g];
      if (!opt) {
        optimizers.push(null);
        continue;
      }
      const state = await getOptimizerState(opt);
      try {
        const { data, specs } = await tf.io.encodeWeights(state.weights);
        const file = `optimizer-${g}.bin`;
        await writeFile(join(tmp, file), new Uint8Array(data));
        optimizers.push({ group: g, className: state.className, hyper: optimizerHyperParameters(opt), scalars: state.scalars, specs, file });
      } finally {
        tf.dispose(state.weights.map((w) => w.tensor));
      }
    }
    const callbacks: Record<string, unknown> = {};
    for (const cb of learner.callbacks) if (cb.getState) callbacks[callbackName(cb)] = cb.getState();
    const loss = learner.options.loss ?? learner.handle.kind;
    const pipeline = (learner.source as { pipeline?: unknown }).pipeline;
    const manifest: CheckpointManifest = {
      format: FORMAT,
      version: CHECKPOINT_VERSION,
      kind: learner.handle.kind,
      seed: learner.options.seed,
      batchSize: learner.options.batchSize,
      epochsDone: fit?.epochsDone ?? learner.history.length,
      ...(fit ? { plan: fit.plan } : {}),
      history: learner.history,
      classes: [...learner.source.classes],
      ...(pipeline !== undefined ? { pipeline } : {}),
      weights: canonicalWeights(learner.model).map((w) => ({ name: w.originalName, shape: w.shape as number[] })),
      ...(learner.handle.encoderLayerNames ? { encoderLayerNames: learner.handle.encoderLayerNames } : {}),
      ...(learner.handle.config !== undefined ? { modelConfig: learner.handle.config } : {}),
      trainableGroups: learner.trainableGroups,
      loss: typeof loss === 'function' ? 'function' : loss,
      optimizers,
      callbacks,
    };
    const data = dataFingerprint(learner.source);
    Object.assign(manifest, { files: await checksumFiles(tmp, await listFiles(tmp)), ...(data ? { data } : {}), layers: modelSignature(learner.model) });
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1));
    const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}-${Date.now()}`);
    if (existsSync(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** The checkpoint directory to read: `dir`, or the old copy left by a swap that was interrupted. */
function resolveDir(dir: string): string {
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  const parent = dirname(dir);
  const prefix = `.${basename(dir)}.old-`;
  const olds = existsSync(parent) ? readdirSync(parent).filter((f) => f.startsWith(prefix) && existsSync(join(parent, f, 'manifest.json'))).sort() : [];
  if (olds.length > 0) return join(parent, olds[olds.length - 1]);
  throw new FormatError('no checkpoint here (manifest.json missing)', dir);
}

/** Loads the model (topology and weights) of a checkpoint directory, after checking its files against the manifest (FormatError naming a damaged file). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  // the model files' checksums, when the manifest lists them (FormatError naming a damaged file)
  const manifest = await readFile(join(dir, 'manifest.json'), 'utf8').then((t) => JSON.parse(t) as Partial<CheckpointManifest>, () => undefined);
  await verifyCheckpointFiles(dir, manifest?.files, (f) => f.startsWith('model/'));
  return tf.loadLayersModel(fileSystemHandler(join(dir, 'model')));
}

/** Reads and checks a checkpoint's manifest. */
export async function readManifest(dir: string): Promise<{ dir: string; manifest: CheckpointManifest }> {
  const real = resolveDir(dir);
  const file = join(real, 'manifest.json');
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(await readFile(file, 'utf8')) as CheckpointManifest;
  } catch (error) {
    throw new FormatError(`unreadable manifest: ${(error as Error).message}`, file);
  }
  if (manifest.format !== FORMAT) throw new FormatError(`not a transmri checkpoint (format ${JSON.stringify(manifest.format)})`, file);
  if (!(Number.isInteger(manifest.version) && manifest.version >= 1)) throw new FormatError(`bad format version ${manifest.version}`, file);
  if (manifest.version > CHECKPOINT_VERSION) {
    throw new FormatError(`written by a newer transmri (format version ${manifest.version}; this version reads up to ${CHECKPOINT_VERSION})`, file);
  }
  return { dir: real, manifest };
}

/** Checks that a checkpoint fits a learner's model and classes. */
function checkCompatible(learner: Learner, manifest: CheckpointManifest, dir: string): void {
  const mine = canonicalWeights(learner.model);
  const where = join(dir, 'manifest.json');
  if (manifest.kind !== learner.handle.kind) throw new FormatError(`checkpoint of a ${manifest.kind} model, the learner has a ${learner.handle.kind}`, where);
  if (mine.length !== manifest.weights.length) {
    throw new FormatError(`checkpoint of another architecture: ${manifest.weights.length} weight tensors, model ${learner.model.name} has ${mine.length}`, where);
  }
  mine.forEach((w, i) => {
    const saved = manifest.weights[i].shape;
    if (saved.length !== w.shape.length || saved.some((d, k) => d !== w.shape[k])) {
      throw new FormatError(`checkpoint of another architecture: weight ${i} (${manifest.weights[i].name}) has shape [${saved}], model ${learner.model.name} has [${w.shape}] (${w.originalName})`, where);
    }
  });
  const classes = [...learner.source.classes];
  if (JSON.stringify(classes) !== JSON.stringify(manifest.classes)) {
    throw new FormatError(`checkpoint classes [${manifest.classes.join(', ')}] differ from the source's [${classes.join(', ')}]`, where);
  }
}

/** How {@link restoreState} treats the saved optimizer hyper-parameters. */
export interface HyperRestore {
  /** Rebuild each saved group's optimizer with the saved hyper-parameters (when its class is the saved one); default true. */
  restore: boolean;
  /** Values that win over the saved ones (e.g. a weightDecay given to `Learner.load`). */
  overrides?: OptimizerHyperParameters;
}

/**
 * Loads weights (by canonical position), optimizer state and hyper-parameters, freezing, history and
 * callback state into a learner.
 */
export async function restoreState(learner: Learner, dir: string, manifest: CheckpointManifest, hyper: HyperRestore = { restore: true }): Promise<void> {
  checkCompatible(learner, manifest, dir);
  const artifacts = await fileSystemHandler(join(dir, 'model')).load!();
  if (!artifacts.weightData || !artifacts.weightSpecs) throw new FormatError('model weights missing', join(dir, 'model'));
  const byName = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  try {
    canonicalWeights(learner.model).forEach((w, i) => {
      const t = byName[manifest.weights[i].name];
      if (!t) throw new FormatError(`weight ${manifest.weights[i].name} missing from the saved model`, join(dir, 'model'));
      w.write(t);
    });
  } finally {
    tf.dispose(Object.values(byName));
  }
  manifest.trainableGroups.forEach((t, g) => setGroupTrainable(learner.groups[g], t));
  learner.dispose();
  for (const entry of manifest.optimizers) {
    if (!entry) continue;
    const data = await readFile(join(dir, entry.file));
    const named = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), entry.specs);
    const weights = entry.specs.map((s) => ({ name: s.name, tensor: named[s.name] }));
    const state: OptimizerState = { className: entry.className, scalars: entry.scalars, weights };
    try {
      let opt = learner.optimizer(entry.group);
      // the saved hyper-parameters (a class mismatch is left to setOptimizerState, which names both)
      if (hyper.restore && entry.hyper && entry.className === opt.getClassName()) {
        const rebuilt = withHyperParameters(opt, { ...entry.hyper, ...hyper.overrides });
        if (rebuilt) {
          disposeOptimizer(opt);
          learner.optimizers[entry.group] = rebuilt;
          opt = rebuilt;
        }
      }
      await setOptimizerState(opt, state);
    } finally {
      tf.dispose(Object.values(named));
    }
  }
  learner.history = manifest.history.map((r) => ({ ...r }));
  for (const cb of learner.callbacks) {
    const saved = manifest.callbacks[callbackName(cb)];
    if (saved !== undefined && cb.setState) cb.setState(saved);
  }
}

/**
 * Resumes a fit: removes leftovers of interrupted writes, checks the checkpoint belongs to the
 * same fit plan, model and data (unless `allowDataChange`) and that its files are intact,
 * restores everything (the optimizers with their saved hyper-parameters, e.g. AdamW's weight decay,
 * whatever the learner was built with: a resumed fit repeats the original), and returns the number
 * of completed epochs.
 */
export async function loadCheckpointInto(learner: Learner, dir: string, plan: FitPlan, options: { allowDataChange?: boolean } = {}): Promise<number> {
  await removeCheckpointLeftovers(dir);
  const { dir: real, manifest } = await readManifest(dir);
  if (!manifest.plan) throw new OptionError('fit.resume', `${dir} was written by save(), not by fit({ checkpoint }): it has no fit to resume`);
  for (const key of ['epochs', 'lr', 'schedule', 'groupLr'] as const) {
    if (JSON.stringify(manifest.plan[key]) !== JSON.stringify(plan[key])) {
      throw new OptionError(`fit.${key}`, `resuming ${dir} needs the same ${key} as the original fit (${JSON.stringify(manifest.plan[key])}), got ${JSON.stringify(plan[key])}`);
    }
  }
  if (manifest.seed !== learner.options.seed) throw new OptionError('LearnerOptions.seed', `resuming ${dir} needs the original seed ${manifest.seed}, got ${learner.options.seed}`);
  if (manifest.batchSize !== undefined && manifest.batchSize !== learner.options.batchSize) {
    throw new OptionError('LearnerOptions.batchSize', `resuming ${dir} needs the original batch size ${manifest.batchSize} (another one changes the batches, the steps per epoch and the schedule), got ${learner.options.batchSize}`);
  }
  checkCompatible(learner, manifest, real);
  const model = manifest.layers ? modelDifference(manifest.layers, learner.model) : undefined;
  if (model !== undefined) throw new FormatError(`checkpoint of another model: ${model}`, join(real, 'manifest.json'));
  const data = dataDifferences(manifest, learner.source);
  if (data.length > 0 && !options.allowDataChange) {
    throw new OptionError('fit.resume', `resuming ${dir} on another dataset than the checkpoint's: ${data.join('; ')} (pass allowDataChange: true to fine-tune on changed data)`);
  }
  await verifyCheckpointFiles(real, manifest.files);
  await restoreState(learner, real, manifest);
  return manifest.epochsDone;
}

/**
 * Rebuilds a learner from a checkpoint directory (see `Learner.load`).
 * @param make constructs the Learner (passed in to keep the import one-way)
 */
export async function loadLearner(
  dir: string,
  source: BatchSource,
  options: LearnerOptions,
  make: (handle: ModelHandle, options: LearnerOptions) => Learner,
): Promise<Learner> {
  const { dir: real, manifest } = await readManifest(dir);
  await verifyCheckpointFiles(real, manifest.files, (f) => !f.startsWith('model/'));
  const model = await loadModel(real);
  const handle: ModelHandle = { model, kind: manifest.kind };
  if (manifest.modelConfig !== undefined) handle.config = manifest.modelConfig;
  if (manifest.encoderLayerNames) handle.encoderLayerNames = manifest.encoderLayerNames;
  // Inference needs no training options: a custom loss function (not serialisable) becomes one that
  // explains itself when training or validation asks for it; the optimizer defaults to the saved one.
  const custom = manifest.loss === 'function' && options.loss === undefined;
  const loss = custom ? inferenceOnlyLoss(dir) : manifest.loss === 'function' ? undefined : manifest.loss;
  const optimizer = savedOptimizer(manifest);
  // AdamW's decay, so that an optimizer created later (after reset, or for a group saved without state) has it too
  const saved = manifest.optimizers.find((o) => o !== null)?.hyper;
  const weightDecay = optimizer === 'adamw' && typeof saved?.weightDecay === 'number' ? saved.weightDecay : undefined;
  const callbacks = custom ? [customLossGuard(dir), ...(options.callbacks ?? [])] : options.callbacks;
  const learner = make(handle, {
    ...(loss !== undefined ? { loss } : {}),
    ...(optimizer !== undefined ? { optimizer } : {}),
    ...(weightDecay !== undefined ? { weightDecay } : {}),
    seed: manifest.seed,
    ...options,
    ...(callbacks !== undefined ? { callbacks } : {}),
  });
  // the saved hyper-parameters, unless another optimizer (a factory, another name) is asked for; a weightDecay given here wins
  await restoreState(learner, real, manifest, { restore: options.optimizer === undefined || options.optimizer === optimizer, overrides: options.weightDecay !== undefined ? { weightDecay: options.weightDecay } : {} });
  return learner;
}

function customLossError(dir: string): OptionError {
  return new OptionError('LearnerOptions.loss', `${dir} was trained with a custom loss function (not saved): pass it again as options.loss to train or validate`);
}

/** The loss of a checkpoint trained with a custom function: predict works, validate throws naming the option. */
function inferenceOnlyLoss(dir: string): LossFunction {
  const fn = (): tf.Scalar => {
    throw customLossError(dir);
  };
  return Object.assign(fn, { acceptsUnlabelled: true });
}

/** Stops fit and lrFind before their first step (a loss throwing inside the gradient tape would strand its tensors). */
function customLossGuard(dir: string): Callback {
  return {
    name: 'CustomLossGuard',
    beforeFit: () => {
      throw customLossError(dir);
    },
  };
}

const OPTIMIZER_NAMES: Record<string, OptimizerSpec> = { Adam: 'adam', AdamW: 'adamw', SGD: 'sgd', Momentum: 'momentum' };

/** The optimizer name of a checkpoint's saved state (undefined when none was saved or it came from a factory). */
function savedOptimizer(manifest: CheckpointManifest): OptimizerSpec | undefined {
  const saved = manifest.optimizers.find((o) => o !== null);
  return saved ? OPTIMIZER_NAMES[saved.className] : undefined;
}
