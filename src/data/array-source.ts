/**
 * An in-memory {@link BatchSource}: samples held in typed arrays, batches
 * streamed in a seeded order that is a pure function of (seed, split, epoch).
 * For tests and small experiments; the DataBunch implements the same interface
 * on disk-backed data.
 */
import { DataError, OptionError, ShapeError, rejectUnknownOptions } from '../backend/errors.js';
import { Rng } from '../backend/rng.js';
import type { Batch, BatchSource, BatchStreamOptions, SplitName } from './batch.js';

/** The samples of one split. */
export interface ArraySplit {
  /** Inputs, concatenated C-order: N × prod(sampleShape) values. */
  x: Float32Array;
  /** Class indices (or -1 for unlabelled), one per sample. */
  y: Int32Array | number[];
  /** Sample ids; default `${split}-${index}`. */
  ids?: string[];
}

/** A seeded augmentation: maps one sample (not modified) to a new one of the same length. */
export type ArrayAugment = (sample: Float32Array, rng: Rng) => Float32Array;

/** Options of {@link ArrayBatchSource}. */
export interface ArrayBatchSourceOptions {
  /** Class names; index = label id. */
  classes: string[];
  /** Shape of one sample, without the batch axis. */
  sampleShape: number[];
  /** Samples per split; a missing split has size 0. */
  splits: Partial<Record<SplitName, ArraySplit>>;
  /** Seed of the shuffling and augmentation; default 0. */
  seed?: number;
  /** Augmentation applied to 'train' batches when `augment` is on; default none. */
  augment?: ArrayAugment;
  /** Opaque description of the preprocessing, stored in checkpoints; default none. */
  pipeline?: unknown;
}

/** Defaults of {@link ArrayBatchSourceOptions}. */
export const DEFAULT_ARRAY_BATCH_SOURCE = {
  classes: [] as string[],
  sampleShape: [] as number[],
  splits: {},
  seed: 0,
  augment: undefined as ArrayAugment | undefined,
  pipeline: undefined as unknown,
};

const STREAM_KEYS = { batchSize: 0, shuffle: 0, epoch: 0, augment: 0, dropLast: 0 };

/**
 * In-memory batch source.
 * @example
 * const source = new ArrayBatchSource({
 *   classes: ['CN', 'AD'], sampleShape: [4, 4, 1],
 *   splits: { train: { x: trainX, y: trainY }, valid: { x: validX, y: validY } },
 *   seed: 1,
 * });
 * for await (const batch of source.batches('train', { batchSize: 8, epoch: 0 })) { ... }
 */
export class ArrayBatchSource implements BatchSource {
  readonly classes: readonly string[];
  readonly sampleShape: readonly number[];
  readonly seed: number;
  /** Opaque preprocessing description (present only when given). */
  readonly pipeline?: unknown;
  private readonly splits: Partial<Record<SplitName, Required<ArraySplit> & { y: Int32Array }>>;
  private readonly sampleSize: number;
  private readonly augmentFn?: ArrayAugment;

  constructor(options: ArrayBatchSourceOptions) {
    rejectUnknownOptions('ArrayBatchSourceOptions', options, DEFAULT_ARRAY_BATCH_SOURCE);
    if (!Array.isArray(options.sampleShape) || options.sampleShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new OptionError('ArrayBatchSourceOptions.sampleShape', `must be positive integers, got [${options.sampleShape}]`);
    }
    this.classes = [...options.classes];
    this.sampleShape = [...options.sampleShape];
    this.seed = options.seed ?? DEFAULT_ARRAY_BATCH_SOURCE.seed;
    this.augmentFn = options.augment;
    if (options.pipeline !== undefined) this.pipeline = options.pipeline;
    this.sampleSize = this.sampleShape.reduce((a, b) => a * b, 1);
    this.splits = {};
    for (const [name, split] of Object.entries(options.splits) as Array<[SplitName, ArraySplit]>) {
      if (!['train', 'valid', 'test'].includes(name)) throw new OptionError(`ArrayBatchSourceOptions.splits.${name}`, 'unknown split (expected train, valid, test)');
      const n = split.y.length;
      if (split.x.length !== n * this.sampleSize) {
        throw new ShapeError(`ArrayBatchSource split ${name}: x must hold ${n} samples of shape [${this.sampleShape}]`, [n * this.sampleSize], [split.x.length]);
      }
      const ids = split.ids ?? Array.from({ length: n }, (_, i) => `${name}-${i}`);
      if (ids.length !== n) throw new ShapeError(`ArrayBatchSource split ${name}: one id per sample`, [n], [ids.length]);
      const y = Int32Array.from(split.y);
      for (let i = 0; i < n; i++) {
        if (!(y[i] === -1 || (y[i] >= 0 && y[i] < this.classes.length))) {
          throw new DataError(`label ${y[i]} out of range [0, ${this.classes.length}) (classes ${this.classes.join(', ')})`, { file: `split ${name}`, row: i });
        }
      }
      this.splits[name] = { x: split.x, y, ids };
    }
  }

  /** Number of samples in a split (0 when absent). */
  size(split: SplitName): number {
    return this.splits[split]?.y.length ?? 0;
  }

  /** Sample ids of a split (empty when absent). */
  splitIds(split: SplitName): readonly string[] {
    return this.splits[split]?.ids ?? [];
  }

  /**
   * The sample order of one epoch: a permutation seeded by (seed, split, epoch)
   * when shuffling, else 0..n-1.
   */
  order(split: SplitName, epoch: number, shuffle: boolean): number[] {
    const n = this.size(split);
    return shuffle ? new Rng(this.seed).fork(`${split}/order/${epoch}`).permutation(n) : Array.from({ length: n }, (_, i) => i);
  }

  /** Streams the batches of a split (see {@link BatchStreamOptions} for the defaults). */
  async *batches(split: SplitName, options: BatchStreamOptions): AsyncIterable<Batch> {
    rejectUnknownOptions('BatchStreamOptions', options, STREAM_KEYS);
    const { batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionError('BatchStreamOptions.batchSize', `must be an integer ≥ 1, got ${batchSize}`);
    const data = this.splits[split];
    if (data === undefined) return;
    const epoch = options.epoch ?? 0;
    const shuffle = options.shuffle ?? split === 'train';
    const augment = (options.augment ?? split === 'train') && this.augmentFn !== undefined;
    const order = this.order(split, epoch, shuffle);
    const augRng = new Rng(this.seed).fork(`${split}/augment/${epoch}`);
    const s = this.sampleSize;
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      if (options.dropLast && idx.length < batchSize) break;
      const x = new Float32Array(idx.length * s);
      idx.forEach((sample, b) => {
        let values = data.x.subarray(sample * s, (sample + 1) * s);
        if (augment) {
          values = this.augmentFn!(values, augRng.fork(sample));
          if (values.length !== s) throw new ShapeError('ArrayBatchSource augment output', [s], [values.length]);
        }
        x.set(values, b * s);
      });
      yield {
        x: { data: x, shape: [idx.length, ...this.sampleShape] },
        y: Int32Array.from(idx, (i) => data.y[i]),
        ids: idx.map((i) => data.ids[i]),
      };
    }
  }
}
