/**
 * 2D student inputs cut from 3D volumes held in memory, for 3D → 2D distillation: a
 * {@link BatchSource} whose `x` is a slice view of each volume (one slice, k slices as channels,
 * or a sequence of k slices) and whose `views.volume` is the whole volume, so a 3D teacher and a 2D
 * student see the same sample (the DataBunch's slice views give one slice per sample only).
 *
 * Volumes are [nx, ny, nz, 1], C-order; slices are taken across `axis` (2 = axial for RAS volumes)
 * and keep the other two axes in order. The optional left-right flip (axis 0) is applied to the
 * volume before the view is cut, so teacher and student always see the same flipped sample; a
 * flipped sample's id gets the suffix `#flip`, so a cache keyed by id (the distillation teacher's)
 * keeps the two versions apart and can stay on under this augmentation.
 */
import { OptionError, ShapeError } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import type { Batch, BatchSource, BatchStreamOptions, SplitName } from '../batch.js';
import { middleSlices } from '../databunch/stream.js';

/** Suffix of the id of a training sample served flipped along axis 0. */
export const FLIP_SUFFIX = '#flip';

/** How a student sees a volume. */
export interface StudentView {
  /** 'slice' = the middle slice [h, w, 1]; 'channels' = k middle slices as channels [h, w, k]; 'sequence' = k middle slices [k, h, w, 1]. */
  kind: 'slice' | 'channels' | 'sequence';
  /** Axis the slices are taken across (0, 1 or 2). */
  axis: number;
  /** Number k of middle slices (1 for 'slice'). */
  count: number;
}

/** The preprocessed volumes of one split, in memory. */
export interface VolumeSplit {
  ids: string[];
  y: Int32Array;
  /** N volumes of `shape`, concatenated. */
  data: Float32Array;
}

/** The slices of a student view along an axis of size n (a number of middle slices; 'all' has no fixed input shape). */
function studentSlices(view: StudentView, n: number): number[] {
  if (typeof view.count !== 'number') throw new OptionError('StudentView.count', `expected an integer in 1..${n}, got ${JSON.stringify(view.count)}`);
  return middleSlices(n, view.count, 'StudentView.count');
}

/** Shape of a student input for volumes of shape [nx, ny, nz] (without the batch axis). */
export function viewShape(view: StudentView, shape: readonly number[]): number[] {
  if (![0, 1, 2].includes(view.axis)) throw new OptionError('StudentView.axis', `expected 0, 1 or 2, got ${view.axis}`);
  const [h, w] = [0, 1, 2].filter((a) => a !== view.axis).map((a) => shape[a]);
  studentSlices(view, shape[view.axis]);
  if (view.kind === 'slice') {
    if (view.count !== 1) throw new OptionError('StudentView.count', `a 'slice' view has one slice, got ${view.count}`);
    return [h, w, 1];
  }
  if (view.kind === 'channels') return [h, w, view.count];
  if (view.kind === 'sequence') return [view.count, h, w, 1];
  throw new OptionError('StudentView.kind', `expected 'slice', 'channels' or 'sequence', got ${JSON.stringify(view.kind)}`);
}

/**
 * Writes the view of one volume `vol` ([nx, ny, nz], one channel) into `out` at `offset`.
 * Slice j of a 'channels' view is channel j; of a 'sequence' view, step j.
 */
export function cutView(vol: Float32Array, shape: readonly number[], view: StudentView, out: Float32Array, offset: number): void {
  const [nx, ny, nz] = shape;
  const slices = studentSlices(view, shape[view.axis]);
  const [h, w] = [0, 1, 2].filter((a) => a !== view.axis).map((a) => shape[a]);
  const k = slices.length;
  const at = (i: number, j: number, s: number): number => {
    const p = view.axis === 0 ? [s, i, j] : view.axis === 1 ? [i, s, j] : [i, j, s];
    return vol[(p[0] * ny + p[1]) * nz + p[2]];
  };
  if (vol.length !== nx * ny * nz) throw new ShapeError('cutView: volume size', [nx * ny * nz], [vol.length]);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const v = at(i, j, slices[c]);
        if (view.kind === 'sequence') out[offset + (c * h + i) * w + j] = v;
        else out[offset + (i * w + j) * k + c] = v;
      }
    }
  }
}

/** Reads a split of a source (no shuffling, no augmentation) into memory. */
export async function loadSplit(source: BatchSource, split: SplitName, batchSize = 8): Promise<VolumeSplit> {
  const ids: string[] = [];
  const y: number[] = [];
  const chunks: Float32Array[] = [];
  for await (const batch of source.batches(split, { batchSize, shuffle: false, augment: false })) {
    ids.push(...batch.ids);
    y.push(...batch.y);
    chunks.push(batch.x.data);
  }
  const data = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    data.set(c, o);
    o += c.length;
  }
  return { ids, y: Int32Array.from(y), data };
}

/**
 * A training split plus a pool of unlabelled volumes (a distillation's transfer set): the pool's
 * samples follow, with label −1 (or, with `keepLabels`, their own: the oracle that knows them) and
 * their ids prefixed `prefix` (so they cannot collide with the split's).
 */
export function withUnlabelled(split: VolumeSplit, pool: VolumeSplit, prefix = 'pool/', keepLabels = false): VolumeSplit {
  const data = new Float32Array(split.data.length + pool.data.length);
  data.set(split.data);
  data.set(pool.data, split.data.length);
  const y = new Int32Array(split.y.length + pool.y.length).fill(-1);
  y.set(split.y);
  if (keepLabels) y.set(pool.y, split.y.length);
  return { ids: [...split.ids, ...pool.ids.map((id) => prefix + id)], y, data };
}

/**
 * Splits a training split by subject: per class, the first `fraction` of its subjects (sorted by id,
 * at least one) keep their labels, the others' scans form the second part (labels kept; pass it to
 * {@link withUnlabelled} to drop them). `subjectOf` maps a sample id to its subject.
 */
export function keepLabelled(split: VolumeSplit, fraction: number, subjectOf: (id: string) => string): { labelled: VolumeSplit; rest: VolumeSplit } {
  if (!(fraction > 0 && fraction <= 1)) throw new OptionError('keepLabelled.fraction', `must be in (0, 1], got ${fraction}`);
  const classes = [...new Set(split.y)].sort((a, b) => a - b);
  const kept = new Set<string>();
  for (const c of classes) {
    const subjects = [...new Set(split.ids.filter((_, i) => split.y[i] === c).map(subjectOf))].sort();
    subjects.slice(0, Math.max(1, Math.round(fraction * subjects.length))).forEach((s) => kept.add(s));
  }
  const size = split.ids.length ? split.data.length / split.ids.length : 0;
  const pick = (keep: boolean): VolumeSplit => {
    const idx = split.ids.map((_, i) => i).filter((i) => kept.has(subjectOf(split.ids[i])) === keep);
    const data = new Float32Array(idx.length * size);
    idx.forEach((i, k) => data.set(split.data.subarray(i * size, (i + 1) * size), k * size));
    return { ids: idx.map((i) => split.ids[i]), y: Int32Array.from(idx, (i) => split.y[i]), data };
  };
  return { labelled: pick(true), rest: pick(false) };
}

/** Options of {@link VolumeViewSource}. */
export interface VolumeViewSourceOptions {
  classes: readonly string[];
  /** Volume shape [nx, ny, nz, 1]. */
  volumeShape: readonly number[];
  splits: Partial<Record<SplitName, VolumeSplit>>;
  view: StudentView;
  /** Seed of the shuffling and flips. */
  seed: number;
  /** Probability of flipping a training volume along axis 0 (when augmenting); 0 = never. */
  flip: number;
}

/** In-memory slice views of volumes, with the whole volume as `views.volume` (see the file header). */
export class VolumeViewSource implements BatchSource {
  readonly classes: readonly string[];
  readonly sampleShape: readonly number[];
  private readonly volumeSize: number;

  /** The seed of its shuffling and flips: a Learner on this source takes it as its default seed (docs/seeds.md). */
  get seed(): number {
    return this.o.seed;
  }

  constructor(private readonly o: VolumeViewSourceOptions) {
    const [nx, ny, nz, c] = o.volumeShape;
    if (o.volumeShape.length !== 4 || c !== 1) throw new ShapeError('VolumeViewSource: volumes must be [nx, ny, nz, 1]', [nx, ny, nz, 1], [...o.volumeShape]);
    if (!(o.flip >= 0 && o.flip <= 1)) throw new OptionError('VolumeViewSourceOptions.flip', `must be in [0, 1], got ${o.flip}`);
    this.classes = o.classes;
    this.volumeSize = nx * ny * nz;
    this.sampleShape = viewShape(o.view, o.volumeShape);
    for (const [name, s] of Object.entries(o.splits)) {
      if (s.data.length !== s.ids.length * this.volumeSize || s.y.length !== s.ids.length) {
        throw new ShapeError(`VolumeViewSource split ${name}: ${s.ids.length} ids, labels and volumes`, [s.ids.length * this.volumeSize], [s.data.length]);
      }
    }
  }

  size(split: SplitName): number {
    return this.o.splits[split]?.ids.length ?? 0;
  }

  async *batches(split: SplitName, options: BatchStreamOptions): AsyncIterable<Batch> {
    const s = this.o.splits[split];
    if (!s) return;
    const { batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionError('BatchStreamOptions.batchSize', `must be an integer ≥ 1, got ${batchSize}`);
    const epoch = options.epoch ?? 0;
    const n = s.ids.length;
    const shuffle = options.shuffle ?? split === 'train';
    const augment = (options.augment ?? split === 'train') && this.o.flip > 0;
    const root = new Rng(this.o.seed);
    const order = shuffle ? root.fork(`${split}/order/${epoch}`).permutation(n) : Array.from({ length: n }, (_, i) => i);
    const flips = root.fork(`${split}/flip/${epoch}`);
    const vs = this.volumeSize;
    const us = this.sampleShape.reduce((a, b) => a * b, 1);
    for (let start = 0; start < n; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      if (options.dropLast && idx.length < batchSize) break;
      const volume = new Float32Array(idx.length * vs);
      const x = new Float32Array(idx.length * us);
      const ids = idx.map((i) => s.ids[i]);
      idx.forEach((sample, b) => {
        let vol = s.data.subarray(sample * vs, (sample + 1) * vs);
        if (augment && flips.fork(sample).next() < this.o.flip) {
          vol = flipX(vol, this.o.volumeShape);
          ids[b] += FLIP_SUFFIX;
        }
        volume.set(vol, b * vs);
        cutView(vol, this.o.volumeShape, this.o.view, x, b * us);
      });
      yield {
        x: { data: x, shape: [idx.length, ...this.sampleShape] },
        y: Int32Array.from(idx, (i) => s.y[i]),
        ids,
        views: { volume: { data: volume, shape: [idx.length, ...this.o.volumeShape] } },
      };
    }
  }
}

/** A copy of a [nx, ny, nz] volume reversed along axis 0. */
export function flipX(vol: Float32Array, shape: readonly number[]): Float32Array {
  const [nx, ny, nz] = shape;
  const plane = ny * nz;
  const out = new Float32Array(vol.length);
  for (let i = 0; i < nx; i++) out.set(vol.subarray(i * plane, (i + 1) * plane), (nx - 1 - i) * plane);
  return out;
}
