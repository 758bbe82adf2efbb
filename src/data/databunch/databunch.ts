/**
 * DataBunch: samples split leakage-free (seeded, grouped by subject, stratified by label),
 * preprocessed by a JSON pipeline fitted on the training split only, cached on disk, and
 * streamed as batches of plain typed arrays (a {@link BatchSource} for the Learner).
 */
import path from 'node:path';
import { DataError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import type { Batch, BatchSource, BatchStreamOptions, SplitName } from '../batch.js';
import type { Volume } from '../volume.js';
import { inverseFrequencyWeights, oversampledOrder } from './balance.js';
import type { CacheKey, SampleCache } from './cache.js';
import { defaultCacheDir, directorySize, formatBytes } from './cache-location.js';
import { fitPipeline, sampleCacheKey } from './fit-pipeline.js';
import { kFoldPartition } from './kfold.js';
import type { LeakageOptions, LeakageReport } from './leakage.js';
import { leakageReport } from './leakage-report.js';
import { contaminationWarning } from './near-duplicates.js';
import { nearStatsLines, scanContamination, type NearScan, type NearState } from './near-scan.js';
import type { Pipeline, PipelineJSON, PipelineSpec } from './pipeline.js';
import { csvRows, DEFAULT_CSV_SOURCE, DEFAULT_FOLDER_SOURCE, folderRows, type CsvSourceOptions, type FolderSourceOptions } from './sources.js';
import { bidsRows, DEFAULT_BIDS_SOURCE, type BidsSourceOptions } from '../bids.js';
import { batchGridPng, type ShowBatchOptions } from './show-batch.js';
import { planSplits } from './split-plan.js';
import { DEFAULT_SPLIT, SPLIT_NAMES, type SplitIds } from './splits.js';
import { formatStats, splitStats, type SplitStats } from './stats.js';
import { streamBatches, type StreamItem } from './stream.js';
import {
  DEFAULT_DATABUNCH,
  pick,
  resolveClasses,
  resolveOptions,
  resolveRows,
  unfit,
  type DataBunchOptions,
  type DataBunchRow,
  type DataBunchSample,
  type DataBunchSeeds,
  type ResolvedOptions,
} from './rows.js';

export { DEFAULT_DATABUNCH };
export type { DataBunchOptions, DataBunchRow, DataBunchSample, DataBunchSeeds };


/**
 * @example
 * const bunch = await DataBunch.fromRows(rows, {
 *   pipeline: { steps: [{ op: 'cropOrPad', shape: [96, 112, 96] }, { op: 'zScore', nonzero: true }, { op: 'flip', axes: [0] }] },
 *   split: { valid: 0.15, test: 0.15, seed: 1 }, cacheDir: 'cache',
 * });
 * for await (const batch of bunch.batches('train', { batchSize: 4, epoch: 0 })) learner.step(batch);
 */
export class DataBunch implements BatchSource {
  readonly classes: readonly string[];
  readonly sampleShape: readonly number[];
  /** All samples, in input order. */
  readonly samples: readonly DataBunchSample[];
  /** Sample ids per split. */
  readonly splits: Readonly<SplitIds>;
  /** The fitted pipeline as JSON (store it with a model; replay with Pipeline.fromJSON). */
  readonly pipeline: PipelineJSON;
  readonly cache: SampleCache;
  private readonly fitted: Pipeline;
  private readonly opts: ResolvedOptions;
  private readonly masks: Map<string, Volume>;
  /** Cache key of the cached pipeline prefix (loader, static steps, mask file contents). */
  private readonly cacheHash: string;
  /** Distinct sample files (cache entries once filled). */
  private readonly fileCount: number;
  private fillReported = false;
  private readonly indexOf: Map<string, number>;
  private readonly labelIds: Int32Array;
  private readonly image2d: boolean;
  /** Shape of one sample after the pipeline, [nx, ny, nz, channels] (before any slice view). */
  readonly volumeShape: readonly number[];
  /** The near-duplicate scan over all samples (undefined when it did not run; see `DataBunchOptions.nearDuplicates`). */
  readonly nearScan?: NearScan;
  /** Pseudo-subject of each sample (sample order) when the split was grouped by near-duplicates. */
  private readonly groupOf?: readonly string[];

  /** The run's seed (`DataBunchOptions.seed`): a Learner on this DataBunch takes it as its default seed. */
  get seed(): number {
    return this.opts.seed;
  }

  private constructor(init: { samples: DataBunchSample[]; splits: SplitIds; classes: string[]; pipeline: Pipeline; cache: SampleCache; opts: ResolvedOptions; masks: Map<string, Volume>; cacheHash: string; sampleShape: number[]; volumeShape: number[]; near: NearState }) {
    this.samples = init.samples;
    this.splits = init.splits;
    this.classes = init.classes;
    this.fitted = init.pipeline;
    this.pipeline = init.pipeline.toJSON();
    this.cache = init.cache;
    this.fileCount = new Set(init.samples.map((s) => s.file)).size;
    this.opts = init.opts;
    this.masks = init.masks;
    this.cacheHash = init.cacheHash;
    this.sampleShape = init.sampleShape;
    this.volumeShape = init.volumeShape;
    this.nearScan = init.near.scan;
    this.groupOf = init.near.groupOf;
    this.indexOf = new Map(init.samples.map((s, i) => [s.id, i]));
    this.labelIds = Int32Array.from(init.samples, (s) => (s.label === null ? -1 : init.classes.indexOf(s.label)));
    this.image2d = init.pipeline.input.kind === 'image2d';
  }

  /**
   * Builds a DataBunch from rows: resolves classes, splits, opens the cache, fits the pipeline
   * on the training split (building its cache entries) and reads the first sample for the shape.
   * @throws DataError for a single class, an unknown label, a split without some class, a missing file
   */
  static async fromRows(rows: readonly DataBunchRow[], options: DataBunchOptions = {}): Promise<DataBunch> {
    const opts = resolveOptions(options);
    const samples = resolveRows(rows);
    const classes = resolveClasses(samples, opts.classes);
    const { splits, near } = await planSplits(rows, samples, classes, opts);
    return DataBunch.build(samples, splits, classes, opts, near);
  }

  /**
   * A DataBunch from a cohort CSV (columns path, label, subject, session, site, age, sex; see readCohortCsv).
   * @example
   * const bunch = await DataBunch.fromCsv('cohort.csv', { labels: ['CN', 'AD'], split: { seed: 1 } });
   */
  static async fromCsv(csvPath: string, options: DataBunchOptions & CsvSourceOptions = {}): Promise<DataBunch> {
    const [source, rest] = pick(options, DEFAULT_CSV_SOURCE);
    const cacheDir = rest.cacheDir ?? (await defaultCacheDir(path.dirname(csvPath), rest.onWarning ?? DEFAULT_DATABUNCH.onWarning));
    return DataBunch.fromRows(await csvRows(csvPath, source, rest.onWarning ?? DEFAULT_DATABUNCH.onWarning), { ...rest, cacheDir });
  }

  /**
   * A DataBunch from a BIDS dataset: one sample per subject (and session) with its T1w image (see
   * {@link BidsSourceOptions}: suffix, acquisition and run filters), subjects and sessions from the
   * `sub-*`/`ses-*` folders, the label and age/sex/site from participants.tsv and sub-X_sessions.tsv.
   * @example
   * const bunch = await DataBunch.fromBids('ds-adni', { label: 'diagnosis', labels: ['CN', 'AD'], split: { valid: 0.2, test: 0.2 } });
   */
  static async fromBids(root: string, options: DataBunchOptions & BidsSourceOptions = {}): Promise<DataBunch> {
    const [source, rest] = pick(options, DEFAULT_BIDS_SOURCE);
    const cacheDir = rest.cacheDir ?? (await defaultCacheDir(root, rest.onWarning ?? DEFAULT_DATABUNCH.onWarning));
    return DataBunch.fromRows(await bidsRows(root, source, rest.onWarning ?? DEFAULT_DATABUNCH.onWarning), { ...rest, cacheDir });
  }

  /**
   * A DataBunch from class folders, `root/<class>/*` or `root/<Training|Testing>/<class>/*` (the
   * Testing folder becomes the test split, validation is carved from Training). The input
   * defaults to 2D grey images when the files are images. There are no subject ids (a warning says so).
   * @example
   * const bunch = await DataBunch.fromFolder('brain-tumor-mri', { pipeline: { input: { kind: 'image2d', size: [128, 128] } } });
   */
  static async fromFolder(root: string, options: DataBunchOptions & FolderSourceOptions = {}): Promise<DataBunch> {
    const [source, rest] = pick(options, DEFAULT_FOLDER_SOURCE);
    const { rows, hasTestFolder } = await folderRows(root, source);
    const images = rows.every((r) => /\.(jpe?g|png)$/i.test(r.path));
    const input = images ? ({ kind: 'image2d' } as const) : ({ kind: 'nifti' } as const);
    const given = rest.pipeline;
    const pipeline = given === undefined ? { input, steps: [] } : 'formatVersion' in given || given.input ? given : { ...given, input };
    const split = { ...(hasTestFolder ? { test: 0 } : {}), ...rest.split };
    const cacheDir = rest.cacheDir ?? (await defaultCacheDir(root, rest.onWarning ?? DEFAULT_DATABUNCH.onWarning));
    return DataBunch.fromRows(rows, { ...rest, pipeline, split, cacheDir });
  }

  /** Fits the pipeline on the training split (see {@link fitPipeline}) and makes the DataBunch. */
  private static async build(samples: DataBunchSample[], splits: SplitIds, classes: string[], opts: ResolvedOptions, near: NearState): Promise<DataBunch> {
    return new DataBunch({ samples, splits, classes, opts, near, ...(await fitPipeline(samples, splits, opts)) });
  }

  /** Sample ids of a split (whole samples, in split order). */
  splitIds(split: SplitName): readonly string[] {
    return this.splits[split];
  }

  /** Number of batch items in a split (volumes × slices with a slice view). */
  size(split: SplitName): number {
    const n = this.splits[split].length;
    if (!this.opts.view || n === 0) return n;
    const { axis, count } = this.opts.view.slices;
    return n * (count === 'all' ? this.volumeShape[axis] : count);
  }

  /** Items in one shuffled epoch: size(split), or K · max_k n_k samples (× slices) for the oversampled training stream. */
  epochSize(split: SplitName): number {
    const n = this.splits[split].length;
    if (split !== 'train' || !this.opts.oversample || n === 0) return this.size(split);
    const counts = new Map<number, number>();
    for (const id of this.splits.train) {
      const y = this.labelIds[this.indexOf.get(id) as number];
      counts.set(y, (counts.get(y) ?? 0) + 1);
    }
    return counts.size * Math.max(...counts.values()) * (this.size(split) / n);
  }

  /** Reads one sample through the cache and the online (fitted) steps. */
  async read(id: string): Promise<StreamItem> {
    const index = this.indexOf.get(id);
    if (index === undefined) throw new DataError(`DataBunch: unknown sample id "${id}"`);
    const s = this.samples[index];
    const cached = await this.cache.get(this.cacheKey(s));
    await this.reportFill();
    return this.fitted.applyOnline(cached.data, cached.shape, undefined, this.masks);
  }

  /** Reads sample `index` through the cache straight into `out` at `offset` and runs the (in-place) online steps there. */
  private async readInto(index: number, out: Float32Array, offset: number): Promise<number[]> {
    const n = this.volumeShape.reduce((a, b) => a * b, 1);
    const slot = out.subarray(offset, offset + n);
    const shape = await this.cache.getInto(this.cacheKey(this.samples[index]), slot, 0);
    await this.reportFill();
    // another shape was not written; the stream reports it
    if (shape.length === this.volumeShape.length && shape.every((d, a) => d === this.volumeShape[a])) this.fitted.applyOnlineInPlace(slot, shape);
    return shape;
  }

  /** Once every sample file went through the cache and this process built some: the cache's size on disk, through onWarning. */
  private async reportFill(): Promise<void> {
    if (this.fillReported || this.cache.counters.builds === 0 || this.cache.knownEntries < this.fileCount) return;
    this.fillReported = true;
    const bytes = await directorySize(this.cache.dir);
    this.opts.onWarning(`DataBunch: cache ${this.cache.dir} filled: ${formatBytes(bytes)} for ${this.fileCount} samples (DataBunchOptions.cacheDir chooses the folder)`);
  }

  private cacheKey(s: DataBunchSample): CacheKey {
    return sampleCacheKey(s.file, this.fitted, this.masks, this.cacheHash);
  }

  /**
   * Streams the batches of a split: seeded order per (seed, split, epoch), augmentation on
   * training batches only, the next batch read while this one is consumed.
   */
  async *batches(split: SplitName, options: BatchStreamOptions): AsyncGenerator<Batch> {
    rejectUnknownOptions('BatchStreamOptions', options, { batchSize: 0, shuffle: 0, epoch: 0, augment: 0, dropLast: 0 });
    if (!SPLIT_NAMES.includes(split)) throw new OptionError('batches split', `expected train, valid or test, got ${JSON.stringify(split)}`);
    const epoch = options.epoch ?? 0;
    const isTrain = split === 'train';
    const shuffle = options.shuffle ?? isTrain;
    const augment = (options.augment ?? isTrain) && this.fitted.augments;
    const rng = new Rng(this.opts.seeds.order ?? this.opts.seed).fork(`${split}/${epoch}`);
    const augmentRng = new Rng(this.opts.seeds.augment ?? this.opts.seed).fork(`${split}/${epoch}`).fork('augment');
    const indices = this.splits[split].map((id) => this.indexOf.get(id) as number);
    let order: number[];
    // Oversampling is for the shuffled training stream only: an inference pass (shuffle: false, e.g.
    // predict('train')) must see each sample once, in sample order, or its ids and metrics are skewed.
    if (isTrain && shuffle && this.opts.oversample) order = oversampledOrder(indices.map((i) => this.labelIds[i]), rng.fork('oversample')).map((k) => indices[k]);
    else order = shuffle ? rng.fork('order').shuffle([...indices]) : indices;
    yield* streamBatches({
      ids: this.samples.map((s) => s.id),
      labels: this.labelIds,
      sampleShape: this.volumeShape,
      order,
      read: (i) => this.read(this.samples[i].id),
      readInto: this.fitted.onlineInPlace ? (i, out, offset) => this.readInto(i, out, offset) : undefined,
      augment: augment ? (d, s, r) => this.fitted.augment(d, s, r) : undefined,
      rng: augmentRng,
      batchSize: options.batchSize,
      dropLast: options.dropLast ?? false,
      image2d: this.image2d,
      slices: this.opts.view?.slices,
      volumeView: this.opts.views.volume ?? false,
      prefetch: this.opts.prefetch,
      readers: this.opts.readers,
    });
  }

  /** Inverse-frequency class weights of the training split, N / (K · n_k), for a weighted loss. */
  classWeights(): number[] {
    return inverseFrequencyWeights(
      this.splits.train.map((id) => this.labelIds[this.indexOf.get(id) as number]),
      this.classes.length,
      this.classes,
    );
  }

  /**
   * k-fold cross-validation over train ∪ valid (test stays apart): grouped by subject (by
   * pseudo-subject with `split.groupBy: 'nearDuplicates'`), stratified, seeded by the split seed. Each fold is a DataBunch whose pipeline is re-fitted
   * on that fold's training part; cached static steps are shared.
   */
  async *kFold(k: number): AsyncGenerator<{ fold: number; bunch: DataBunch }> {
    const pool = [...this.splits.train, ...this.splits.valid].map((id) => this.samples[this.indexOf.get(id) as number]);
    const folds = kFoldPartition(
      pool.map((s) => ({ id: s.id, label: s.label, group: this.groupOf?.[this.indexOf.get(s.id) as number] ?? s.subject })),
      k,
      this.opts.split.seed ?? DEFAULT_SPLIT.seed,
    );
    const spec = { input: this.fitted.input, steps: unfit(this.pipeline.steps) } as PipelineSpec;
    for (const f of folds) {
      const bunch = await DataBunch.build([...this.samples], { train: f.train, valid: f.valid, test: [...this.splits.test] }, [...this.classes], { ...this.opts, pipeline: spec }, this.near());
      yield { fold: f.index, bunch };
    }
  }

  /**
   * Samples shared between splits: byte-identical files, optionally voxel-identical samples and
   * near-duplicates (Pearson r of the centred 32 × 32 grey thumbnails ≥ threshold; the DataBunch's
   * own scan is reused when its threshold matches), and the per-split contamination.
   */
  async leakage(options: LeakageOptions = {}): Promise<LeakageReport> {
    return leakageReport({ samples: this.samples, splits: this.splits, nearScan: this.nearScan, read: (id) => this.read(id), cacheDir: this.cache.dir, onWarning: this.opts.onWarning }, options);
  }

  /**
   * Per-split table: samples, subjects, per-label counts, age mean±sd, sex and site counts (plus a
   * total row); with a near-duplicate scan, valid and test also carry their contamination (samples
   * with a near-duplicate in train).
   */
  stats(): SplitStats[] {
    const stats = splitStats({ train: this.samplesOf('train'), valid: this.samplesOf('valid'), test: this.samplesOf('test') }, this.classes);
    if (this.nearScan) {
      const c = scanContamination(this.nearScan, this.samples.map((s) => s.id), this.splits);
      for (const row of stats) if (row.split === 'valid' || row.split === 'test') row.nearDuplicateInTrain = c[row.split];
    }
    return stats;
  }

  /**
   * Prints {@link DataBunch.stats} as a table, then (with a near-duplicate scan) the scan's
   * threshold, pairs and cost, the pseudo-subject sizes when the split was grouped by
   * near-duplicates, the contamination per split and a warning when validation is more than twice
   * as contaminated as test. Returns the text.
   */
  printStats(log: (text: string) => void = console.log): string {
    const stats = this.stats();
    let text = formatStats(stats);
    if (this.nearScan) {
      const c = scanContamination(this.nearScan, this.samples.map((s) => s.id), this.splits);
      const regrouped = this.groupOf ? this.samples.flatMap((s, i) => (s.split === undefined ? [(this.groupOf as readonly string[])[i]] : [])) : undefined;
      text += '\n' + nearStatsLines(this.nearScan, this.samples.length, c, regrouped ? { groupOf: regrouped } : undefined, contaminationWarning(c)).join('\n');
    }
    log(text);
    return text;
  }

  /** What a DataBunch built from this one (a fold, other splits) keeps of the near-duplicate scan. */
  private near(): NearState {
    return { scan: this.nearScan, groupOf: this.groupOf };
  }

  /**
   * Writes a PNG grid of the middle slices of the first batch of a split, labelled by class.
   * @param file PNG path
   * @param options `split` (default 'train'), `batchSize` (default 16), `epoch` (default 0), `augment` (default false), and grid options
   * @example
   * await bunch.showBatch('batch.png', { split: 'valid' });
   */
  async showBatch(file: string, options: ShowBatchOptions & { split?: SplitName; batchSize?: number; epoch?: number; augment?: boolean } = {}): Promise<string> {
    const { split = 'train', batchSize = 16, epoch = 0, augment = false, ...grid } = options;
    for await (const batch of this.batches(split, { batchSize, epoch, augment })) return batchGridPng(batch, this.classes, file, grid);
    throw new DataError(`showBatch: split ${split} is empty`);
  }

  /** Ids of a split mapped to their samples. */
  samplesOf(split: SplitName): DataBunchSample[] {
    return this.splits[split].map((id) => this.samples[this.indexOf.get(id) as number]);
  }

  /** A DataBunch with the same samples, classes and cache, but other split ids (e.g. duplicates dropped); the pipeline is re-fitted if train changed. */
  async withSplits(splits: SplitIds): Promise<DataBunch> {
    const sameTrain = splits.train.length === this.splits.train.length && splits.train.every((id, i) => id === this.splits.train[i]);
    const pipeline = sameTrain ? this.pipeline : ({ input: this.fitted.input, steps: unfit(this.pipeline.steps) } as PipelineSpec);
    return DataBunch.build([...this.samples], splits, [...this.classes], { ...this.opts, pipeline }, this.near());
  }
}
