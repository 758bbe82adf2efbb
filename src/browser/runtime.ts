/// <reference lib="dom" />
/**
 * The browser runtime (ESM bundle `transmri-runtime.mjs`, no Node APIs): loads a model written by
 * `exportModel` with stock tfjs, turns a dropped file into its input with the exported preprocessing
 * (PNG/JPEG decoded by the browser, NIfTI by nifti-reader-js with the Node reader's RAS reorientation
 * and scaling: the same pure functions), and returns class probabilities and saliency maps.
 * @example
 * import { loadExport, readFile, classify } from './transmri-runtime.mjs';
 * const loaded = await loadExport('student-export/');
 * const result = await classify(loaded, await readFile(file.name, new Uint8Array(await file.arrayBuffer()), loaded.meta));
 * // backends: webgl, then wasm (its .wasm binaries in wasm/ beside the page), then cpu
 * const { backend, notes } = await selectBackend({ wasmPaths: 'wasm/' });
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { DataError, FormatError, OptionError, ShapeError, TransmriError } from '../backend/errors.js';
import type { InputSpec } from '../data/databunch/pipeline.js';
import { imageVolumeFromPixels } from '../data/image-pixels.js';
import { decodeNifti } from '../data/nifti/decode.js';
import { modelInput, preprocessVolume } from '../data/preprocess.js';
import type { Volume } from '../data/volume.js';
import { checkExportMeta, EXPORT_META_FILE, type ExportMeta } from '../learner/export/export-meta.js';
import { saliency, type SaliencyMap, type SaliencyOptions } from '../learner/saliency.js';
import { patchWasmMaxPool3D } from './wasm-kernels.js';

export { DataError, FormatError, OptionError, ShapeError, TransmriError, checkExportMeta, saliency };
export type { ExportMeta, SaliencyMap, SaliencyOptions, Volume };

/** The tfjs backends the runtime offers, in the order it tries them by default. */
export const BACKENDS = ['webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The three binaries of @tensorflow/tfjs-backend-wasm (plain, SIMD, threaded SIMD). */
export const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;
export type WasmFileMap = Record<(typeof WASM_BINARIES)[number], string>;

/** Options of {@link selectBackend}. */
export interface BackendOptions {
  /** The backend wanted; when it does not start, the others are tried in {@link BACKENDS} order. Default: that order (webgl, wasm, cpu). */
  backend?: BackendName;
  /**
   * Where the wasm backend finds its binaries: a folder URL (resolved against the page, default `'wasm/'`),
   * a map of binary name to URL (e.g. blob: URLs of embedded bytes, for pages opened from file://, where
   * fetch() of file: URLs is refused), or a function returning either, called only when wasm is tried.
   */
  wasmPaths?: string | WasmFileMap | (() => Promise<string | WasmFileMap>);
}

/** Result of {@link selectBackend}. */
export interface BackendChoice {
  /** The backend that runs. */
  backend: BackendName;
  /** One line per backend tried before it that did not start, with the reason. */
  notes: string[];
}

let wasmPathsSet = false;

/** Starts one backend: true when it runs. Reasons for a failure go to `notes`. */
async function startBackend(name: BackendName, options: BackendOptions, notes: string[]): Promise<boolean> {
  try {
    // tfjs-backend-wasm 4.22's MaxPool3D gives 0 for an all-negative window: JS kernels replace it (wasm-kernels.ts)
    if (name === 'wasm') patchWasmMaxPool3D();
    if (name === 'wasm' && !wasmPathsSet) {
      const given = typeof options.wasmPaths === 'function' ? await options.wasmPaths() : (options.wasmPaths ?? 'wasm/');
      // tfjs-backend-wasm accepts the paths once, before its first start
      setWasmPaths(typeof given === 'string' ? new URL(given.endsWith('/') ? given : `${given}/`, document.baseURI).href : given);
      wasmPathsSet = true;
    }
    if (await tf.setBackend(name)) {
      await tf.ready();
      return true;
    }
    notes.push(`${name}: did not start in this browser${name === 'wasm' ? ' (its .wasm binaries could not be loaded)' : ''}`);
  } catch (error) {
    notes.push(`${name}: ${(error as Error).message}`);
  }
  return false;
}

/**
 * Picks the tfjs backend: the one asked for, else the first of webgl → wasm → cpu that starts.
 * @throws OptionError for an unknown backend name; TransmriError with each backend's reason when none starts (cpu always does in a browser)
 */
export async function selectBackend(options: BackendOptions = {}): Promise<BackendChoice> {
  const { backend } = options;
  if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) throw new OptionError('selectBackend.backend', `unknown backend '${String(backend)}' (expected one of ${BACKENDS.join(', ')})`);
  const order = backend ? [backend, ...BACKENDS.filter((b) => b !== backend)] : [...BACKENDS];
  const notes: string[] = [];
  for (const name of order) if (await startBackend(name, options, notes)) return { backend: name, notes };
  throw new TransmriError(`no tfjs backend started: ${notes.join('; ')}`);
}

/** A loaded export. */
export interface LoadedExport {
  model: tf.LayersModel;
  meta: ExportMeta;
  /** Bytes of the weights. */
  weightBytes: number;
}

/** The three files of an export, already read. */
export interface ExportFiles {
  /** Parsed model.json. */
  modelJson: { modelTopology: unknown; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  /** weights.bin. */
  weights: ArrayBuffer;
  /** Parsed transmri.json. */
  meta: unknown;
}

/** Loads an export from its files (e.g. embedded in a page), with stock tfjs. */
export async function loadExportFiles(files: ExportFiles): Promise<LoadedExport> {
  const meta = checkExportMeta(files.meta, EXPORT_META_FILE);
  const specs = files.modelJson.weightsManifest.flatMap((g) => g.weights);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: files.modelJson.modelTopology as object, weightSpecs: specs, weightData: files.weights }));
  const shape = (model.inputs[0].shape as number[]).slice(1);
  if (shape.join() !== meta.inputShape.join()) throw new FormatError(`model input [${shape.join(', ')}] differs from transmri.json's inputShape [${meta.inputShape.join(', ')}]`, EXPORT_META_FILE);
  return { model, meta, weightBytes: files.weights.byteLength };
}

/** Loads an export from a URL folder (model.json, weights.bin, transmri.json beside each other). */
export async function loadExport(baseUrl: string): Promise<LoadedExport> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = async (name: string): Promise<Response> => {
    const r = await fetch(base + name);
    if (!r.ok) throw new FormatError(`HTTP ${r.status}`, base + name);
    return r;
  };
  const [modelJson, weights, meta] = await Promise.all([get('model.json').then((r) => r.json()), get('weights.bin').then((r) => r.arrayBuffer()), get(EXPORT_META_FILE).then((r) => r.json())]);
  return loadExportFiles({ modelJson, weights, meta });
}

/** What a file's bytes are, by magic number. */
export type FileKind = 'nifti' | 'png' | 'jpeg' | 'gzip' | 'unknown';

/** The kind of a file from its first bytes (NIfTI-1/2 magic at 344/4, gzip 1f 8b, PNG, JPEG). */
export function sniffFile(bytes: Uint8Array): FileKind {
  const ascii = (from: number, n: number) => String.fromCharCode(...bytes.subarray(from, from + n));
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(1, 3) === 'PNG') return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 348 && /^n(i|\+)1\0$/.test(ascii(344, 4))) return 'nifti';
  if (bytes.length >= 540 && /^n(i|\+)2\0/.test(ascii(4, 4))) return 'nifti';
  return 'unknown';
}

/** gunzip with the browser's DecompressionStream. */
async function gunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new DataError(`gzip data cannot be inflated: ${(error as Error).message}`, { file });
  }
}

/** Decodes PNG/JPEG bytes with the browser (no colour management, no premultiplied alpha) into RGBA pixels. */
async function decodeImagePixels(bytes: Uint8Array, file: string): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    throw new DataError(`the browser cannot decode this image: ${(error as Error).message}`, { file });
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
  ctx.drawImage(bitmap, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height, { colorSpace: 'srgb' });
  bitmap.close();
  return { data, width, height };
}

/** The loader an export expects: its pipeline's input, else one guessed from the model's input shape. */
export function inputSpecOf(meta: ExportMeta): InputSpec {
  if (meta.pipeline) return meta.pipeline.input;
  const s = meta.inputShape;
  if (s.length === 3 && !meta.view && (s[2] === 1 || s[2] === 3)) return { kind: 'image2d', mode: s[2] === 1 ? 'grey' : 'rgb', size: [s[0], s[1]] };
  return { kind: 'nifti' };
}

/**
 * Reads a dropped file as the export's loader would (before preprocessing): a NIfTI (.nii or .nii.gz,
 * by magic bytes) as a RAS+ Volume, a PNG/JPEG as a [H, W, 1] Volume (grey or RGB, resized like readImage2d).
 * @throws DataError naming the file for anything else, or for an image given to a volume model and vice versa
 */
export async function readFile(name: string, bytes: Uint8Array, meta: ExportMeta): Promise<Volume> {
  let data = bytes;
  let kind = sniffFile(data);
  if (kind === 'gzip') {
    data = await gunzip(data, name);
    kind = sniffFile(data);
    if (kind !== 'nifti') throw new DataError('a gzip file that is not a NIfTI (.nii.gz)', { file: name });
  }
  if (kind === 'unknown') {
    const first = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`not an image or a NIfTI volume (expected PNG, JPEG, .nii or .nii.gz; first bytes ${first || '(empty file)'})`, { file: name });
  }
  const input = inputSpecOf(meta);
  if (kind === 'nifti') {
    if (input.kind !== 'nifti') throw new DataError(`a NIfTI volume, but this model takes 2D images (PNG/JPEG, ${meta.inputShape.join('×')})`, { file: name });
    const vol = decodeNifti(data, name, { reorient: input.reorient ?? true, nonFinite: 'zero' });
    checkGrid(vol, meta, name);
    return vol;
  }
  if (input.kind !== 'image2d') throw new DataError(`a ${kind.toUpperCase()} image, but this model takes NIfTI volumes (.nii/.nii.gz)`, { file: name });
  const px = await decodeImagePixels(data, name);
  return imageVolumeFromPixels(px.data, px.width, px.height, 4, input.mode ?? 'grey', input.size, name);
}

/** Refuses a volume whose RAS+ shape or voxel size (1 % tolerance) differs from the training scans' grid. */
export function checkGrid(vol: Volume, meta: ExportMeta, file: string): void {
  const g = meta.grid;
  if (!g) return;
  const sameShape = g.shape.every((d, a) => d === vol.shape[a]);
  const sameSpacing = g.spacing.every((s, a) => Math.abs(s - vol.spacing[a]) <= 0.01 * s);
  if (!sameShape || !sameSpacing) {
    const mm = (s: readonly number[]) => s.map((v) => +v.toFixed(3)).join(' × ');
    throw new DataError(`a volume of grid [${vol.shape.join(', ')}] at ${mm(vol.spacing)} mm; the model was trained on scans of grid [${g.shape.join(', ')}] at ${mm(g.spacing)} mm (resample it first)`, { file });
  }
}

/**
 * The model input for a read file: the export's pipeline (static and fitted steps), then the
 * model's input (or the student's view).
 * @throws ShapeError (its message says both shapes) when the file does not give the model's input, e.g. a volume of another grid
 */
export function prepareInput(meta: ExportMeta, vol: Volume): { input: Float32Array; preprocessed: Volume } {
  const preprocessed = meta.pipeline ? preprocessVolume(meta.pipeline, vol) : vol;
  return { input: modelInput(preprocessed, meta.inputShape, meta.view), preprocessed };
}

/** Result of {@link classify}. */
export interface Classification {
  probabilities: Float32Array;
  classes: string[];
  /** Index of the most probable class. */
  predicted: number;
  /** Milliseconds of the forward pass (data upload to probabilities read back). */
  ms: number;
  input: Float32Array;
  preprocessed: Volume;
}

/** Class probabilities of a read file. */
export async function classify(loaded: LoadedExport, vol: Volume): Promise<Classification> {
  const { meta, model } = loaded;
  if (meta.task !== 'classification') throw new FormatError('this export is not a classifier (task reconstruction)', EXPORT_META_FILE);
  const { input, preprocessed } = prepareInput(meta, vol);
  const t0 = performance.now();
  const p = tf.tidy(() => tf.softmax(model.predict(tf.tensor(input, [1, ...meta.inputShape])) as tf.Tensor2D));
  const probabilities = (await p.data()) as Float32Array;
  const ms = performance.now() - t0;
  p.dispose();
  let predicted = 0;
  probabilities.forEach((v, i) => {
    if (v > probabilities[predicted]) predicted = i;
  });
  return { probabilities, classes: meta.classes, predicted, ms, input, preprocessed };
}
