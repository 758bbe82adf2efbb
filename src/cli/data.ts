/**
 * The data and training options shared by the pipeline subcommands (pretrain, transfer, distill,
 * evaluate, report): where the data is (a CSV/TSV cohort table, a BIDS root or class folders),
 * which rows, how to split, and the DataBunch built from them.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { DataError } from '../backend/errors.js';
import { DataBunch, type DataBunchOptions } from '../data/databunch/databunch.js';
import { loadModel, readManifest } from '../learner/checkpoint.js';
import { parseInteger, parseNumber } from './config.js';

/** Options every data-reading subcommand takes (zod shape; keys = camelCase option names). */
export const DataOptionsShape = {
  data: z.string().min(1),
  label: z.string().min(1).optional(),
  labels: z.array(z.string().min(1)).min(2).optional(),
  site: z.string().optional(),
  valid: z.number().min(0).max(0.9),
  test: z.number().min(0).max(0.9),
  seed: z.number().int().min(0),
  pipeline: z.string().optional(),
  cacheDir: z.string().optional(),
  batchSize: z.number().int().positive(),
};

/** Options of a subcommand that trains. */
export const TrainOptionsShape = {
  epochs: z.number().int().positive(),
  lr: z.number().positive(),
  schedule: z.enum(['constant', 'oneCycle', 'cosine']),
  out: z.string().min(1),
};

/** The data options' values. */
export type DataOptions = z.infer<z.ZodObject<typeof DataOptionsShape>>;

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Adds the data options (and their defaults) to a subcommand. */
export function addDataOptions(command: Command, defaults: { valid?: number; test?: number } = {}): Command {
  return command
    .option('--data <path>', 'cohort table (CSV/TSV: path, label, subject, ...), BIDS root (sub-*/ folders) or class folders')
    .option('--label <column>', 'label column (BIDS: a participants.tsv/sessions.tsv column; CSV: instead of "label")')
    .option('--labels <a,b,...>', 'classes to keep, comma-separated (default: every label)', list)
    .option('--site <name>', 'keep only the rows of this site')
    .option('--valid <fraction>', 'validation fraction of the subjects', parseNumber, defaults.valid ?? 0.2)
    .option('--test <fraction>', 'test fraction of the subjects', parseNumber, defaults.test ?? 0.2)
    .option('--seed <n>', 'seed of the split, batch order, augmentation and weights', parseInteger, 0)
    .option('--pipeline <file.json>', 'preprocessing steps as a PipelineSpec JSON (default: z-score over the brain)')
    .option('--cache-dir <dir>', 'cache of preprocessed samples (default: next to the data)')
    .option('--batch-size <n>', 'samples per batch', parseInteger, 8);
}

/** Adds the training options to a subcommand. */
export function addTrainOptions(command: Command, defaults: { epochs: number; lr: number; schedule?: string }): Command {
  return command
    .option('--epochs <n>', 'training epochs', parseInteger, defaults.epochs)
    .option('--lr <x>', 'peak learning rate', parseNumber, defaults.lr)
    .option('--schedule <name>', 'learning-rate schedule: constant, oneCycle or cosine', defaults.schedule ?? 'oneCycle')
    .option('-o, --out <dir>', 'output folder (checkpoint, results.json)');
}

/** What a path given as --data is. */
export function dataKind(path: string): 'table' | 'bids' | 'folders' {
  if (!existsSync(path)) throw new DataError('data not found', { file: path });
  if (statSync(path).isFile()) return 'table';
  const entries = readdirSync(path);
  return entries.some((e) => e.startsWith('sub-')) || entries.includes('participants.tsv') ? 'bids' : 'folders';
}

/** The default preprocessing: z-score over the non-zero (brain) voxels, fitted on the training split. */
export const DEFAULT_CLI_PIPELINE = { steps: [{ op: 'zScore' as const, nonzero: true }] };

/**
 * The DataBunch of the data options.
 * @param pipeline a fitted pipeline (e.g. a checkpoint's) that wins over --pipeline
 * @param extra more DataBunch options (views, slices)
 */
export async function loadBunch(o: DataOptions, pipeline?: unknown, extra: DataBunchOptions = {}): Promise<DataBunch> {
  let spec: unknown = pipeline;
  if (spec === undefined && o.pipeline !== undefined) {
    try {
      spec = JSON.parse(await readFile(o.pipeline, 'utf8'));
    } catch (err) {
      throw new DataError(`cannot read the pipeline JSON: ${(err as Error).message}`, { file: o.pipeline });
    }
  }
  const common: DataBunchOptions = {
    pipeline: (spec ?? DEFAULT_CLI_PIPELINE) as DataBunchOptions['pipeline'],
    seed: o.seed,
    split: { valid: o.valid, test: o.test },
    ...(o.cacheDir !== undefined ? { cacheDir: o.cacheDir } : {}),
    onWarning: (m) => process.stderr.write(`${m}\n`),
    ...extra,
  };
  const kind = dataKind(o.data);
  if (kind === 'bids') {
    return DataBunch.fromBids(o.data, {
      ...common,
      ...(o.label !== undefined ? { label: o.label } : {}),
      ...(o.labels !== undefined ? { labels: o.labels } : {}),
      ...(o.site !== undefined ? { filter: (r) => r.site === o.site } : {}),
    });
  }
  if (kind === 'table') {
    return DataBunch.fromCsv(o.data, {
      ...common,
      ...(o.label !== undefined ? { columns: { label: o.label } } : {}),
      ...(o.labels !== undefined ? { labels: o.labels } : {}),
      ...(o.site !== undefined ? { filter: (r) => r.site === o.site } : {}),
    });
  }
  if (o.label !== undefined || o.site !== undefined || o.labels !== undefined) throw new DataError('--label, --labels and --site need a cohort table or a BIDS root, not class folders', { file: o.data });
  return DataBunch.fromFolder(o.data, common);
}

/** The fitted pipeline saved in a checkpoint (to preprocess new data exactly as in training). */
export async function checkpointPipeline(dir: string): Promise<unknown> {
  const { manifest } = await readManifest(dir);
  return manifest.pipeline;
}

/**
 * The DataBunch a checkpoint reads: the data options preprocessed with its fitted pipeline, viewed as
 * middle axial slices when its model takes 2D images (a distilled slice student) and the data are 3D.
 */
export async function checkpointBunch(dir: string, o: DataOptions): Promise<DataBunch> {
  const model = await loadModel(dir);
  const rank = model.inputs[0].shape.length;
  model.dispose();
  const bunch = await loadBunch(o, await checkpointPipeline(dir));
  if (rank === 4 && bunch.volumeShape.length === 4 && bunch.volumeShape[2] > 1) {
    return loadBunch(o, await checkpointPipeline(dir), { view: { slices: { axis: 2, count: 1 } } });
  }
  return bunch;
}

/** Writes `results.json` into `out` (pretty JSON, trailing newline). */
export async function writeResultsJson(out: string, results: unknown): Promise<string> {
  await mkdir(out, { recursive: true });
  const file = join(out, 'results.json');
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
