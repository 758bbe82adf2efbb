/**
 * A split's preprocessed samples as one flat row of voxels each, for the linear probes and
 * classical baselines that take feature rows (ridge, logistic regression, PCA).
 */
import type { BatchSource, SplitName } from './batch.js';

/** The samples of a split as flat rows: ids and rows in the same order. */
export interface SplitVoxels {
  ids: string[];
  /** One copy per sample of its preprocessed input, flattened (row-major). */
  rows: Float32Array[];
}

/**
 * Reads a split's preprocessed samples as flat voxel rows, in the source's order (no shuffling, no
 * augmentation). Each row is a copy, so batches are not kept alive by it.
 * @param source a DataBunch or any BatchSource
 * @param split the split to read
 * @param batchSize samples read at a time (memory of one batch beside the rows); default 4
 * @example
 * const { ids, rows } = await splitVoxels(bunch, 'train');
 * const probe = ridgeFit(standardize(rows, fitStandardizer(rows)), ages);
 */
export async function splitVoxels(source: BatchSource, split: SplitName, batchSize = 4): Promise<SplitVoxels> {
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  for await (const batch of source.batches(split, { batchSize, shuffle: false, augment: false })) {
    const n = batch.ids.length;
    const p = batch.x.data.length / n;
    for (let i = 0; i < n; i++) rows.push(Float32Array.from(batch.x.data.subarray(i * p, (i + 1) * p)));
    ids.push(...batch.ids);
  }
  return { ids, rows };
}
