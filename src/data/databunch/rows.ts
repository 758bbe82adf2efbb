/**
 * Rows, options and helpers of {@link DataBunch} (kept apart so databunch.ts stays one class).
 */
import path from 'node:path';
import { DataError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { SplitName } from '../batch.js';
import type { CacheOptions } from './cache.js';
import type { NearDuplicateOptions } from './near-scan.js';
import type { PipelineJSON, PipelineSpec } from './pipeline.js';
import { DEFAULT_SPLIT, type SplitOptions } from './splits.js';
import type { SliceView } from './stream.js';

/** One sample given to {@link DataBunch.fromRows}. */
export interface DataBunchRow {
  /** Source file (NIfTI or 2D image). */
  path: string;
  /** Class name; null or undefined = unlabelled (y = -1). */
  label?: string | null;
  /** Subject id: samples of one subject always share a split. Default: the sample is its own subject. */
  subject?: string;
  session?: string;
  site?: string;
  age?: number;
  sex?: string;
  /** A split chosen by the user; it wins over the split fractions. */
  split?: SplitName;
  /** Sample id used in batches; default the path. */
  id?: string;
  /** Where the row came from, for messages (e.g. `cohort.csv row 3`). */
  where?: string;
}

/** Options of a DataBunch. */
export interface DataBunchOptions {
  /** Loader and steps (or a saved, already fitted pipeline); default { input: { kind: 'nifti' }, steps: [] }. */
  pipeline?: PipelineSpec | PipelineJSON;
  /** Split fractions and seed; default { valid: 0.15, test: 0.15, seed: the top-level `seed` }. */
  split?: SplitOptions;
  /**
   * The run's seed: the split (unless `split.seed`), batch order, augmentation and balancing
   * (unless `seeds` overrides one), and the default seed of a Learner on this DataBunch (its
   * weight initialisation through the factories, dropout and bootstrap); default 42. See docs/seeds.md.
   */
  seed?: number;
  /** Per-stream overrides of `seed`: `order` (batch order, oversampling), `augment`, `balance` (undersampling); default {} (all from `seed`). */
  seeds?: DataBunchSeeds;
  /** Class names in label-id order; default the sorted distinct labels. */
  classes?: string[];
  /** 'undersample' drops training samples (seeded) down to the rarest class count; default 'none'. */
  balance?: 'none' | 'undersample';
  /** Training batches draw every class equally often (rare samples repeat); default false. */
  oversample?: boolean;
  /**
   * Cache directory; default next to the data, `<data folder>/.transmri-cache`: the CSV's folder
   * (fromCsv), the root (fromFolder, fromBids), else the deepest folder holding every sample file
   * (fromRows); for read-only data, `<os tmpdir>/transmri-cache/<hash of the data folder>`, with a
   * warning. Its size is printed (through onWarning) once this DataBunch has filled it.
   */
  cacheDir?: string;
  /** Cache options (dtype, checksum checks); default {}. */
  cache?: CacheOptions;
  /** 2D slice views of 3D volumes: `{ slices: { axis, count | 'all' } }`; default undefined (whole samples). */
  view?: { slices: SliceView };
  /** Extra views on each batch: `volume: true` adds the whole volume of each slice's sample; default {}. */
  views?: { volume?: boolean };
  /** Batches read ahead while one is consumed; default 1. */
  prefetch?: number;
  /** Samples of one batch read from the cache at once (whole samples without extra views; the reads and their page faults then overlap); default 4. */
  readers?: number;
  /** Drop test samples whose file is byte-identical to a train or valid sample (with a warning naming the count); default false. */
  dropTestDuplicates?: boolean;
  /**
   * Near-duplicate scan (Pearson r of centred 32 × 32 grey thumbnails): its threshold (default
   * 0.98) and when it runs (default 'auto': 2D images, or `split.groupBy: 'nearDuplicates'`). It
   * feeds `split: { groupBy: 'nearDuplicates' }`, the contamination lines of `printStats`, the
   * warning when validation is more contaminated than test, and `leakage()`. Default {}.
   */
  nearDuplicates?: NearDuplicateOptions;
  /**
   * NaN/±Inf voxels of NIfTI files: 'error' refuses them (a DataError naming the file), 'zero' replaces them by 0.
   * Shorthand for `pipeline.input.nonFinite` (recorded there, so saved with the pipeline); default undefined (the input's, else 'error').
   */
  nonFinite?: 'error' | 'zero';
  /** Receives warnings (no subject ids, dropped duplicates); default console.warn. */
  onWarning?: (message: string) => void;
}

/** Per-stream seed overrides of a DataBunch (each defaults to the top-level `seed`). */
export interface DataBunchSeeds {
  /** Seed of the training batch order (and the oversampled order); default the DataBunch's `seed`. */
  order?: number;
  /** Seed of the pipeline's random augmentations; default the DataBunch's `seed`. */
  augment?: number;
  /** Seed of `balance: 'undersample'`; default the DataBunch's `seed`. */
  balance?: number;
}

/** Defaults of {@link DataBunchOptions}. */
export const DEFAULT_DATABUNCH = {
  pipeline: { input: { kind: 'nifti' }, steps: [] } as PipelineSpec,
  split: DEFAULT_SPLIT as SplitOptions,
  seed: 42,
  seeds: {} as DataBunchSeeds,
  classes: undefined as string[] | undefined,
  balance: 'none' as 'none' | 'undersample',
  oversample: false,
  cacheDir: undefined as string | undefined,
  cache: {} as CacheOptions,
  view: undefined as { slices: SliceView } | undefined,
  views: {} as { volume?: boolean },
  prefetch: 1,
  readers: 4,
  dropTestDuplicates: false,
  nearDuplicates: {} as NearDuplicateOptions,
  nonFinite: undefined as 'error' | 'zero' | undefined,
  onWarning: (m: string): void => console.warn(m),
};

/** Options with defaults filled in. */
export type ResolvedOptions = typeof DEFAULT_DATABUNCH;

/** A resolved sample. */
export interface DataBunchSample extends Omit<DataBunchRow, 'label' | 'subject' | 'id'> {
  id: string;
  label: string | null;
  subject: string;
  /** Absolute source path (also the cache key). */
  file: string;
}

/**
 * Checks DataBunch options (unknown keys, prefetch, readers, balance, views, seeds) and fills in
 * the defaults; the split follows the top-level seed unless `split.seed` is given.
 */
export function resolveOptions(options: DataBunchOptions): ResolvedOptions {
  rejectUnknownOptions('DataBunchOptions', options, DEFAULT_DATABUNCH);
  const opts: ResolvedOptions = { ...DEFAULT_DATABUNCH, ...options } as ResolvedOptions;
  if (!Number.isInteger(opts.prefetch) || opts.prefetch < 0) throw new OptionError('DataBunchOptions.prefetch', `expected an integer ≥ 0, got ${opts.prefetch}`);
  if (!Number.isInteger(opts.readers) || opts.readers < 1) throw new OptionError('DataBunchOptions.readers', `expected an integer ≥ 1, got ${opts.readers}`);
  if (opts.balance !== 'none' && opts.balance !== 'undersample') throw new OptionError('DataBunchOptions.balance', `expected 'none' or 'undersample', got ${JSON.stringify(opts.balance)}`);
  rejectUnknownOptions('DataBunchOptions.views', opts.views, { volume: true });
  rejectUnknownOptions('DataBunchOptions.seeds', opts.seeds, { order: 0, augment: 0, balance: 0 });
  for (const [name, value] of [['seed', opts.seed], ...Object.entries(opts.seeds).map(([k, v]) => [`seeds.${k}`, v])] as [string, unknown][]) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new OptionError(`DataBunchOptions.${name}`, `expected a finite number, got ${JSON.stringify(value)}`);
  }
  // One seed drives the run: the split follows the top-level seed unless split.seed is given.
  opts.split = { ...opts.split, seed: opts.split?.seed ?? opts.seed };
  return opts;
}

/** Splits an options object into the keys of `known` and the rest. */
export function pick<T extends object, K extends object>(options: T, known: K): [Partial<K>, Omit<T, keyof K>] {
  const a: Record<string, unknown> = {};
  const b: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) (k in known ? a : b)[k] = v;
  return [a as Partial<K>, b as Omit<T, keyof K>];
}

/** Steps without their fitted parameters. */
export function unfit(steps: PipelineJSON['steps']): PipelineJSON['steps'] {
  return steps.map((s) => {
    if (s.op === 'zScore') return { op: 'zScore', ...(s.mode !== undefined ? { mode: s.mode } : {}), ...(s.nonzero !== undefined ? { nonzero: s.nonzero } : {}) };
    if (s.op === 'percentileClip') return { op: 'percentileClip', lower: s.lower, upper: s.upper };
    return s;
  });
}

export function resolveRows(rows: readonly DataBunchRow[]): DataBunchSample[] {
  const known = { path: 0, label: 0, subject: 0, session: 0, site: 0, age: 0, sex: 0, split: 0, id: 0, where: 0 };
  return rows.map((r, i) => {
    rejectUnknownOptions(`rows[${i}]`, r, known);
    if (typeof r.path !== 'string' || r.path === '') throw new DataError(`row ${i}: path is missing`, { file: r.where, column: 'path' });
    const file = path.resolve(r.path);
    const id = r.id ?? r.path;
    return { ...r, id, file, label: r.label ?? null, subject: r.subject ?? `sample:${id}` };
  });
}

export function resolveClasses(samples: readonly DataBunchSample[], given: string[] | undefined): string[] {
  const labels = [...new Set(samples.map((s) => s.label).filter((l): l is string => l !== null))].sort();
  if (given) {
    const bad = samples.find((s) => s.label !== null && !given.includes(s.label));
    if (bad) throw new DataError(`unknown label "${bad.label}" (expected ${given.join(', ')})`, { file: bad.where, column: 'label' });
    return [...given];
  }
  if (labels.length === 1) {
    throw new DataError(`the label column has a single class "${labels[0]}" (${samples.length} samples); a classifier needs at least two (or no labels at all)`, { column: 'label' });
  }
  return labels;
}
