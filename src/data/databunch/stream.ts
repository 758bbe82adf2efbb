/**
 * Streaming batches: a seeded epoch order, one batch read at a time (bounded memory), the next
 * batch prefetched while the current one is consumed, optional 2D slice views of 3D volumes.
 */
import { DataError, OptionError } from '../../backend/errors.js';
import type { Rng } from '../../backend/rng.js';
import type { ArrayWithShape, Batch } from '../batch.js';

/** Slice views of 3D volumes for 2D models. */
export interface SliceView {
  /** Volume axis the slices are taken across (0, 1 or 2). */
  axis: 0 | 1 | 2;
  /** The middle `count` slices, or 'all'. */
  count: number | 'all';
}

/** A read sample: data C-order over `shape` = [nx, ny, nz, channels]. */
export interface StreamItem {
  data: Float32Array;
  shape: number[];
}

/** What {@link streamBatches} needs. */
export interface StreamPlan {
  /** Sample ids and class indices, indexed by sample. */
  ids: readonly string[];
  labels: ArrayLike<number>;
  /** Sample indices in epoch order (may repeat, e.g. oversampling). */
  order: readonly number[];
  /** Shape of every sample, [nx, ny, nz, channels]. */
  sampleShape: readonly number[];
  /** Reads one sample (cache + online steps). */
  read: (index: number) => Promise<StreamItem>;
  /** Reads one sample (cache + online steps) straight into `out` at `offset`, returning its shape (used for whole samples without extra views; augmentation then runs in place). */
  readInto?: (index: number, out: Float32Array, offset: number) => Promise<number[]>;
  /** Augments a sample in place, or undefined for none. */
  augment?: (data: Float32Array, shape: readonly number[], rng: Rng) => void;
  /** Rng of this epoch; each position in the order gets `rng.fork(position)`. */
  rng: Rng;
  batchSize: number;
  dropLast: boolean;
  /** 2D images: the sample [H, W, 1] × C becomes [H, W, C]. */
  image2d: boolean;
  /** Slice views of 3D volumes; undefined for whole samples. */
  slices?: SliceView;
  /** Add `views.volume` (the whole volume of each slice's sample). */
  volumeView: boolean;
  /** Batches read ahead; default 1. */
  prefetch: number;
  /** Samples of one batch read at once through `readInto`; default 1. */
  readers?: number;
}

/**
 * Indices of the `count` middle slices of an axis of size n, or all n for 'all': the one slice
 * convention of the DataBunch's slice views and the students' volume views.
 * @param option the option named by the error
 * @throws OptionError unless count is 'all' or an integer in 1..n
 * @example
 * middleSlices(4, 2); // [1, 2]: start floor((4 − 2) / 2) = 1
 */
export function middleSlices(n: number, count: number | 'all', option = 'count'): number[] {
  if (count === 'all') return Array.from({ length: n }, (_, i) => i);
  if (!Number.isInteger(count) || count < 1 || count > n) throw new OptionError(option, `expected an integer in 1..${n} (the axis has ${n} slices), got ${count}`);
  const start = Math.floor((n - count) / 2);
  return Array.from({ length: count }, (_, i) => start + i);
}

/** Shape of one model input, without the batch axis, for a sample of shape [nx, ny, nz, c]. */
export function inputShape(sample: readonly number[], image2d: boolean, slices?: SliceView): number[] {
  const [nx, ny, nz, c] = sample;
  if (slices) return [...[nx, ny, nz].filter((_, a) => a !== slices.axis), c];
  return image2d ? [nx, ny, c] : [nx, ny, nz, c];
}

/** Copies slice `index` across `axis` of a [nx, ny, nz, c] sample into `out` at `offset`. */
export function copySlice(src: Float32Array, shape: readonly number[], axis: number, index: number, out: Float32Array, offset: number): void {
  const [nx, ny, nz, c] = shape;
  let o = offset;
  if (axis === 0) {
    out.set(src.subarray(index * ny * nz * c, (index + 1) * ny * nz * c), o);
    return;
  }
  for (let i = 0; i < nx; i++) {
    if (axis === 1) {
      const base = ((i * ny + index) * nz) * c;
      out.set(src.subarray(base, base + nz * c), o);
      o += nz * c;
    } else {
      for (let j = 0; j < ny; j++) {
        const base = ((i * ny + j) * nz + index) * c;
        for (let k = 0; k < c; k++) out[o++] = src[base + k];
      }
    }
  }
}

/**
 * Streams the batches of one epoch.
 * Units are (position in `order`, slice) pairs; a batch reads each sample it needs once.
 */
export async function* streamBatches(plan: StreamPlan): AsyncGenerator<Batch> {
  if (!Number.isInteger(plan.batchSize) || plan.batchSize < 1) throw new OptionError('batches.batchSize', `expected an integer ≥ 1, got ${plan.batchSize}`);
  if (plan.order.length === 0) return;
  const first = { shape: [...plan.sampleShape] };
  const sliceList = plan.slices ? middleSlices(first.shape[plan.slices.axis], plan.slices.count, 'view.slices.count') : [0];
  const units: Array<[number, number]> = [];
  plan.order.forEach((_, pos) => sliceList.forEach((s) => units.push([pos, s])));
  const nBatches = plan.dropLast ? Math.floor(units.length / plan.batchSize) : Math.ceil(units.length / plan.batchSize);
  const unitShape = inputShape(first.shape, plan.image2d, plan.slices);
  const unitSize = unitShape.reduce((a, b) => a * b, 1);
  const volSize = first.shape.reduce((a, b) => a * b, 1);

  const build = async (b: number): Promise<Batch> => {
    const chunk = units.slice(b * plan.batchSize, (b + 1) * plan.batchSize);
    const x = new Float32Array(chunk.length * unitSize);
    const y = new Int32Array(chunk.length);
    const ids: string[] = [];
    const volume = plan.volumeView ? new Float32Array(chunk.length * volSize) : undefined;
    let cachedPos = -1;
    let item: StreamItem = { data: new Float32Array(0), shape: first.shape };
    const direct = plan.readInto && !plan.slices && !volume ? plan.readInto : undefined;
    if (direct) {
      // whole samples straight into their slots, `readers` at a time
      let nextUnit = 0;
      const reader = async (): Promise<void> => {
        while (nextUnit < chunk.length) {
          const u = nextUnit++;
          const pos = chunk[u][0];
          const index = plan.order[pos];
          const shape = await direct(index, x, u * unitSize);
          if (shape.length !== first.shape.length || shape.some((n, a) => n !== first.shape[a])) {
            throw new DataError(`sample ${plan.ids[index]} has shape [${shape}] but the others have [${first.shape}]; add a cropOrPad step to the pipeline`);
          }
          if (plan.augment) plan.augment(x.subarray(u * unitSize, (u + 1) * unitSize), shape, plan.rng.fork(pos));
          y[u] = plan.labels[index];
        }
      };
      await Promise.all(Array.from({ length: Math.min(plan.readers ?? 1, chunk.length) }, reader));
      for (const [pos] of chunk) ids.push(plan.ids[plan.order[pos]]);
      return { x: { data: x, shape: [chunk.length, ...unitShape] }, y, ids };
    }
    for (let u = 0; u < chunk.length; u++) {
      const [pos, slice] = chunk[u];
      const index = plan.order[pos];
      if (pos !== cachedPos) {
        const read = await plan.read(index);
        if (read.shape.some((n, a) => n !== first.shape[a])) {
          throw new DataError(`sample ${plan.ids[index]} has shape [${read.shape}] but the others have [${first.shape}]; add a cropOrPad step to the pipeline`);
        }
        item = { data: plan.augment ? new Float32Array(read.data) : read.data, shape: read.shape };
        if (plan.augment) plan.augment(item.data, item.shape, plan.rng.fork(pos));
        cachedPos = pos;
      }
      if (plan.slices) copySlice(item.data, item.shape, plan.slices.axis, slice, x, u * unitSize);
      else x.set(item.data, u * unitSize);
      if (volume) volume.set(item.data, u * volSize);
      y[u] = plan.labels[index];
      ids.push(plan.slices ? `${plan.ids[index]}#${plan.slices.axis}:${slice}` : plan.ids[index]);
    }
    const batch: Batch = { x: { data: x, shape: [chunk.length, ...unitShape] }, y, ids };
    if (volume) batch.views = { volume: { data: volume, shape: [chunk.length, ...first.shape] } as ArrayWithShape };
    return batch;
  };

  const pending: Promise<Batch>[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < nBatches && pending.length < plan.prefetch + 1) {
      const p = build(next++);
      p.catch(() => {}); // surfaced when awaited; avoids an unhandled rejection if the consumer stops early
      pending.push(p);
    }
  };
  fill();
  while (pending.length > 0) {
    const batch = await (pending.shift() as Promise<Batch>);
    fill();
    yield batch;
  }
}
