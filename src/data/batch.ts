/**
 * The contract between data and learner: batches of plain typed arrays.
 * `src/data` makes no tensors; the Learner turns batches into tensors
 * (and disposes them), so data code cannot leak tensor memory.
 */

/** Names of the splits. */
export type SplitName = 'train' | 'valid' | 'test';

/** An array with its shape (row-major). */
export interface ArrayWithShape {
  data: Float32Array;
  shape: number[];
}

/** One batch of samples. */
export interface Batch {
  /** Inputs, shape [N, ...sampleShape]: [N, D, H, W, C] for volumes, [N, H, W, C] for 2D images and slice views. */
  x: ArrayWithShape;
  /** Class indices (into `classes`), one per sample; -1 where a sample has no label. */
  y: Int32Array;
  /** Sample ids, in batch order. */
  ids: string[];
  /** Optional extra views of the same samples (e.g. `volume` for a 3D teacher while `x` holds 2D slices). */
  views?: Record<string, ArrayWithShape>;
}

/** Options of a batch stream. */
export interface BatchStreamOptions {
  /** Samples per batch. */
  batchSize: number;
  /** Shuffle the order (seeded by `seed` and `epoch`); default true for 'train', false otherwise. */
  shuffle?: boolean;
  /** Epoch number, mixed into the shuffling seed so each epoch has its own order; default 0. */
  epoch?: number;
  /** Apply the pipeline's augmentations; default true for 'train', false otherwise. */
  augment?: boolean;
  /** Drop a last incomplete batch; default false. */
  dropLast?: boolean;
}

/** What a Learner needs from a dataset. DataBunch implements it. */
export interface BatchSource {
  /** Class names; index = label id. */
  readonly classes: readonly string[];
  /** Shape of one input sample, without the batch axis. */
  readonly sampleShape: readonly number[];
  /** The run's seed, if the source has one: a Learner on it (and the factories' weight initialisation) defaults to it. */
  readonly seed?: number;
  /** Number of samples in a split. */
  size(split: SplitName): number;
  /** Sample ids of a split, in sample order (a checkpoint fingerprints them to notice changed data on resume); optional. */
  splitIds?(split: SplitName): readonly string[];
  /** Items in one shuffled epoch of a split's stream when it differs from `size` (e.g. oversampling); default `size(split)`. */
  epochSize?(split: SplitName): number;
  /** Streams the batches of a split. */
  batches(split: SplitName, options: BatchStreamOptions): AsyncIterable<Batch>;
}
