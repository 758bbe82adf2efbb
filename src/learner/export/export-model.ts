/**
 * exportModel: a trained learner (or a checkpoint directory) as a folder that stock
 * `@tensorflow/tfjs` loads with `tf.loadLayersModel`: model.json (stock layer classes only, one
 * output: the logits of a classifier, the reconstruction of an autoencoder), weights.bin, and
 * transmri.json (classes, input shape, fitted preprocessing; see {@link ExportMeta}).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FormatError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { BatchSource } from '../../data/batch.js';
import type { PipelineJSON } from '../../data/databunch/pipeline.js';
import { readNifti } from '../../data/nifti/reader.js';
import { viewShape, type StudentView } from '../../data/views/volume-views.js';
import { loadModel, readManifest } from '../checkpoint.js';
import type { Learner } from '../learner.js';
import type { ModelKind } from '../model-handle.js';
import { gradcamLayerOf } from '../saliency.js';
import { EXPORT_FORMAT, EXPORT_META_FILE, EXPORT_VERSION, type ExportMeta } from './export-meta.js';
import { TRANSMRI_LAYER_CLASSES, toStockTopology, topologyClassNames } from './stock-topology.js';

/** Options of {@link exportModel}. */
export interface ExportOptions {
  /**
   * How a 2D model sees a preprocessed volume (its middle slices), for a student trained on slices
   * of volumes: recorded so the browser runtime cuts the same view from a dropped NIfTI. Default none.
   */
  view?: StudentView;
  /** Which model output to export; default by kind (classifier 0, multitask 2 = logits; autoencoder 0 = reconstruction). */
  output?: number;
  /** Grid of the training scans (RAS+ shape, spacing in mm); default read from the first training scan of a DataBunch source, else none. */
  grid?: { shape: number[]; spacing: number[] };
  /**
   * The data whose fitted pipeline (and training grid) the export records, when the learner's source is not
   * it, e.g. the DataBunch under the volume views a distilled student trained on; default the learner's source.
   */
  data?: BatchSource;
}

/** Defaults of {@link ExportOptions}. */
export const DEFAULT_EXPORT: Readonly<ExportOptions> = { view: undefined, output: undefined, grid: undefined, data: undefined };

/** What {@link exportModel} wrote. */
export interface ExportResult {
  dir: string;
  meta: ExportMeta;
  /** Bytes of model.json + weights.bin. */
  bytes: number;
}

/**
 * Exports a model for stock tfjs (Node or browser) with its preprocessing.
 * `outDir` is replaced atomically (written beside it, then renamed into place).
 * @param from a Learner, or a checkpoint directory written by `learner.save` / `fit({ checkpoint })`
 * @param outDir the export folder
 * @throws OptionError for a layer with no stock equivalent or a bad option; FormatError for a bad checkpoint
 * @example
 * await exportModel(learner, 'runs/student-export');
 * const model = await tf.loadLayersModel('http://host/student-export/model.json'); // stock tfjs
 */
export async function exportModel(from: Learner | string, outDir: string, options: ExportOptions = {}): Promise<ExportResult> {
  rejectUnknownOptions('ExportOptions', options, DEFAULT_EXPORT);
  if (typeof outDir !== 'string' || outDir === '') throw new OptionError('exportModel.outDir', 'must be a non-empty path');
  if (typeof from === 'string' && options.data) throw new OptionError('ExportOptions.data', 'applies to a Learner; a checkpoint records its own pipeline');
  const src = typeof from === 'string' ? await fromCheckpoint(from) : await fromLearner(from, options.data ?? from.source);
  if (options.grid) src.grid = options.grid;
  try {
    return await writeExport(src, resolve(outDir), options);
  } finally {
    if (typeof from === 'string') src.model.dispose();
  }
}

interface ExportSource {
  model: tf.LayersModel;
  kind: ModelKind;
  classes: string[];
  pipeline?: PipelineJSON;
  grid?: { shape: number[]; spacing: number[] };
}

async function fromLearner(learner: Learner, data: BatchSource): Promise<ExportSource> {
  const raw = (data as { pipeline?: unknown }).pipeline;
  const json = raw && typeof (raw as { toJSON?: unknown }).toJSON === 'function' ? (raw as { toJSON(): unknown }).toJSON() : raw;
  const pipeline = asPipeline(json);
  return { model: learner.model, kind: learner.handle.kind, classes: [...learner.source.classes], pipeline, grid: await trainingGrid(data, pipeline) };
}

/** The RAS+ grid of the first training scan of a DataBunch-like source with a NIfTI pipeline. */
async function trainingGrid(source: unknown, pipeline: PipelineJSON | undefined): Promise<ExportSource['grid']> {
  const samplesOf = (source as { samplesOf?: (split: string) => Array<{ path?: string }> }).samplesOf;
  if (!pipeline || pipeline.input.kind !== 'nifti' || typeof samplesOf !== 'function') return undefined;
  const first = samplesOf.call(source, 'train')[0]?.path;
  if (first === undefined) return undefined;
  const vol = await readNifti(first, { reorient: pipeline.input.reorient ?? true, nonFinite: 'zero' });
  return { shape: [...vol.shape], spacing: [...vol.spacing] };
}

async function fromCheckpoint(dir: string): Promise<ExportSource> {
  const { dir: real, manifest } = await readManifest(dir);
  const model = await loadModel(real);
  return { model, kind: manifest.kind, classes: manifest.classes, pipeline: asPipeline(manifest.pipeline) };
}

/** A pipeline JSON (fitted DataBunch pipeline), or undefined for anything else a source may carry. */
function asPipeline(json: unknown): PipelineJSON | undefined {
  const p = json as Partial<PipelineJSON> | undefined;
  return p && p.formatVersion === 1 && Array.isArray(p.steps) && typeof p.input === 'object' ? (structuredClone(p) as PipelineJSON) : undefined;
}

function defaultOutput(kind: ModelKind): number {
  return kind === 'multitask' ? 2 : 0;
}

async function writeExport(src: ExportSource, dir: string, options: ExportOptions): Promise<ExportResult> {
  const { model, kind } = src;
  const output = options.output ?? defaultOutput(kind);
  if (!Number.isInteger(output) || output < 0 || output >= model.outputs.length) {
    throw new OptionError('ExportOptions.output', `model ${model.name} has ${model.outputs.length} outputs, got ${output}`);
  }
  const task: ExportMeta['task'] = kind === 'autoencoder' || (kind === 'multitask' && output === 0) ? 'reconstruction' : 'classification';
  const inputShape = (model.inputs[0].shape as Array<number | null>).slice(1);
  if (model.inputs.length !== 1 || inputShape.some((d) => d === null)) {
    throw new OptionError('exportModel', `model ${model.name} needs one input of known shape, got ${model.inputs.length} inputs of shape [${inputShape.join(', ')}]`);
  }
  if (options.view) checkView(options.view, inputShape as number[], model.name);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!artifacts || artifacts.modelTopology instanceof ArrayBuffer || !artifacts.modelTopology) throw new FormatError(`model ${model.name} saved no JSON topology`);
  const topology = artifacts.modelTopology as { class_name: string; config: Record<string, unknown> };
  const added = toStockTopology(topology, model);
  const outLayers = topology.config.output_layers as unknown[] | undefined;
  if (Array.isArray(outLayers)) topology.config.output_layers = [outLayers[output]];
  const left = topologyClassNames(topology).filter((c) => (TRANSMRI_LAYER_CLASSES as readonly string[]).includes(c));
  if (left.length > 0) throw new OptionError('exportModel', `layers ${left.join(', ')} were not converted to stock tfjs`);

  const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData === undefined ? [] : (Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData]));
  const extra = added.reduce((n, w) => n + w.data.byteLength, 0);
  const weights = new Uint8Array(data.byteLength + extra);
  weights.set(new Uint8Array(data), 0);
  let offset = data.byteLength;
  for (const w of added) {
    weights.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), offset);
    offset += w.data.byteLength;
  }
  const specs = [...(artifacts.weightSpecs ?? []), ...added.map((w) => w.spec)];
  const modelJson = {
    format: 'layers-model',
    generatedBy: `transmri exportModel (TensorFlow.js tfjs-layers v${tf.version_layers})`,
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  const parameters = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const meta: ExportMeta = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    task,
    classes: task === 'classification' ? [...src.classes] : [],
    inputShape: inputShape as number[],
    ...(src.pipeline ? { pipeline: src.pipeline } : {}),
    ...(src.grid ? { grid: src.grid } : {}),
    ...(options.view ? { view: { ...options.view } } : {}),
    ...(gradcamLayerOf(model) !== undefined ? { gradcamLayer: gradcamLayerOf(model) } : {}),
    parameters,
    weightBytes: weights.byteLength,
    model: { name: model.name, kind },
  };
  const modelText = JSON.stringify(modelJson);
  const tmp = join(dirname(dir), `.${basename(dir)}.export-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    await writeFile(join(tmp, 'weights.bin'), weights);
    await writeFile(join(tmp, 'model.json'), modelText);
    await writeFile(join(tmp, EXPORT_META_FILE), JSON.stringify(meta, null, 1));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  return { dir, meta, bytes: weights.byteLength + Buffer.byteLength(modelText) };
}

/** A view must give the model's input: [h, w, 1] (slice), [h, w, k] (channels), [k, h, w, 1] (sequence). */
function checkView(view: StudentView, inputShape: number[], name: string): void {
  const sequence = view.kind === 'sequence';
  const [h, w] = sequence ? inputShape.slice(1, 3) : inputShape.slice(0, 2);
  // a volume whose slices across view.axis are h × w: viewShape checks kind, axis and count
  const volume = [0, 1, 2].map((a) => (a === view.axis ? Math.max(view.count, 1) : 0));
  const others = [0, 1, 2].filter((a) => a !== view.axis);
  volume[others[0]] = h;
  volume[others[1]] = w;
  const got = viewShape(view, volume);
  if (got.length !== inputShape.length || got.some((d, i) => d !== inputShape[i])) {
    throw new OptionError('ExportOptions.view', `a ${view.kind} view of ${view.count} slice(s) gives inputs [${got.join(', ')}], model ${name} takes [${inputShape.join(', ')}]`);
  }
}
