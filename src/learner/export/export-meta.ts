/**
 * The metadata file of an exported model (`transmri.json` next to `model.json`): what the model
 * computes, its classes, its input shape and the fitted preprocessing that turns a file into its
 * input. Plain data and a checker, with no Node or tf imports, so the browser runtime reads it too.
 */
import { FormatError } from '../../backend/errors.js';
import type { PipelineJSON } from '../../data/databunch/pipeline.js';
import type { StudentView } from '../../data/views/volume-views.js';

/** Format name of {@link ExportMeta}. */
export const EXPORT_FORMAT = 'transmri-export';
/** Version of {@link ExportMeta} written; higher ones are refused. */
export const EXPORT_VERSION = 1;
/** File name of the metadata inside an export directory. */
export const EXPORT_META_FILE = 'transmri.json';

/** The metadata of an exported model. */
export interface ExportMeta {
  format: typeof EXPORT_FORMAT;
  version: number;
  /** 'classification': the single output is logits (softmax gives probabilities); 'reconstruction': the output is the reconstructed input. */
  task: 'classification' | 'reconstruction';
  /** Class names in logit order ([] for a reconstruction). */
  classes: string[];
  /** Model input shape without the batch axis. */
  inputShape: number[];
  /** The fitted preprocessing of the training data (loader + steps with their fitted values), when known. */
  pipeline?: PipelineJSON;
  /** The grid (RAS+ shape, voxel size in mm) of the training scans, when known: a dropped volume of another grid is refused. */
  grid?: { shape: number[]; spacing: number[] };
  /** How a 2D model sees a preprocessed volume (middle slices), when it was trained on slices of volumes. */
  view?: StudentView;
  /** Name of the last layer with a spatial output (Grad-CAM's default layer), when the model has one. */
  gradcamLayer?: string;
  /** Parameters and bytes of the exported weights. */
  parameters: number;
  weightBytes: number;
  /** The exported model's name and the transmri kind it came from. */
  model: { name: string; kind: string };
}

/**
 * Checks a parsed `transmri.json`.
 * @param where file name used in errors
 * @throws FormatError naming the file and the field
 */
export function checkExportMeta(meta: unknown, where: string): ExportMeta {
  const m = meta as Partial<ExportMeta> | null;
  if (m === null || typeof m !== 'object' || m.format !== EXPORT_FORMAT) throw new FormatError(`not a transmri export (format ${JSON.stringify(m?.format)})`, where);
  if (!(Number.isInteger(m.version) && (m.version as number) >= 1)) throw new FormatError(`bad version ${JSON.stringify(m.version)}`, where);
  if ((m.version as number) > EXPORT_VERSION) throw new FormatError(`written by a newer transmri (version ${m.version}; this one reads up to ${EXPORT_VERSION})`, where);
  if (m.task !== 'classification' && m.task !== 'reconstruction') throw new FormatError(`task must be 'classification' or 'reconstruction', got ${JSON.stringify(m.task)}`, where);
  if (!Array.isArray(m.classes) || !m.classes.every((c) => typeof c === 'string')) throw new FormatError('classes must be an array of names', where);
  if (!Array.isArray(m.inputShape) || !m.inputShape.every((d) => Number.isInteger(d) && d > 0)) throw new FormatError(`inputShape must be positive integers, got ${JSON.stringify(m.inputShape)}`, where);
  return m as ExportMeta;
}
