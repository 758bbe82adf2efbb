import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/backend/rng.js';
import { Pipeline, type PipelineJSON } from '../../src/data/databunch/pipeline.js';
import { encodeFloat32 } from '../../src/data/databunch/zscore.js';
import { invertIntensity, modelInput, preprocessVolume, resampleToGrid } from '../../src/data/preprocess.js';
import { Volume, type Affine } from '../../src/data/volume.js';

describe('preprocess (shared by Node and the browser runtime)', () => {
  it("preprocessVolume gives the DataBunch pipeline's sample (cached + online steps), augment steps skipped", () => {
    const rng = new Rng(3);
    const vol = new Volume({ data: Float32Array.from({ length: 9 * 10 * 7 }, () => 50 + 10 * rng.normal()), shape: [9, 10, 7], spacing: [2, 2, 2] });
    const json: PipelineJSON = {
      formatVersion: 1,
      input: { kind: 'nifti' },
      steps: [{ op: 'zoom', factor: 0.5 }, { op: 'cropOrPad', shape: [4, 6, 4] }, { op: 'percentileClip', lower: 1, upper: 99, low: 40, high: 60 }, { op: 'zScore', mean: 50, std: 5 }, { op: 'noise', std: 1 }],
    };
    const pipeline = Pipeline.fromJSON(json);
    const cached = pipeline.applyCached(vol);
    const online = pipeline.applyOnline(cached.data, [...cached.shape, 1]);
    const mine = preprocessVolume(json, vol);
    expect([...mine.shape, mine.channels]).toEqual(online.shape);
    expect(Array.from(mine.data)).toEqual(Array.from(online.data));
    // the grid's affine is the DataBunch path's too (zoom rescales it, the crop shifts its origin)
    expect(mine.affine).toEqual(cached.affine);
  });

  it('modelInput cuts a channels view by hand, and names both shapes when the volume does not fit', () => {
    // volume [2, 2, 3]: value = 100 i + 10 j + k; a 'channels' view across axis 2 with 3 slices → [2, 2, 3] with channel c = slice k
    const data = Float32Array.from({ length: 12 }, (_, p) => 100 * Math.floor(p / 6) + 10 * (Math.floor(p / 3) % 2) + (p % 3));
    const vol = new Volume({ data, shape: [2, 2, 3] });
    expect(Array.from(modelInput(vol, [2, 2, 3], { kind: 'channels', axis: 2, count: 3 }))).toEqual(Array.from(data));
    // a 'slice' view across axis 0 (1 slice of 2: the middle is index 0): [2, 3, 1] = values 0..12 of i = 0
    expect(Array.from(modelInput(vol, [2, 3, 1], { kind: 'slice', axis: 0, count: 1 }))).toEqual([0, 1, 2, 10, 11, 12]);
    expect(() => modelInput(vol, [4, 4, 4, 1])).toThrow(/does not fit the model: expected shape \[4, 4, 4, 1\], got \[2, 2, 3, 1\]/);
  });

  it('invertIntensity undoes global, voxel-wise (nonzero) z-scores and normalize; a gradient only rescales', () => {
    const meanImage = Float32Array.from([1, 2, 3, 4]);
    const stdImage = Float32Array.from([2, 2, 4, 4]);
    const json: PipelineJSON = {
      formatVersion: 1,
      input: { kind: 'nifti' },
      steps: [
        { op: 'zScore', mode: 'voxel', nonzero: true, meanImage: encodeFloat32(meanImage), stdImage: encodeFloat32(stdImage), imageShape: [1, 2, 2, 1] },
        { op: 'normalize', mean: 10, std: 0.5 },
      ],
    };
    // raw [0, 4, 7, 12] → voxel z (zero kept) [0, 1, 1, 2] → normalize (z − 10) / 0.5 = [−20, −18, −18, −16]
    const raw = new Volume({ data: Float32Array.from([0, 4, 7, 12]), shape: [1, 2, 2] });
    const model = preprocessVolume(json, raw);
    expect(Array.from(model.data)).toEqual([-20, -18, -18, -16]);
    // undone last step first: normalize back to [0, 1, 1, 2], then the voxel z-score (its zero kept) to the raw values
    expect(Array.from(invertIntensity(json, model.data, [1, 2, 2, 1]))).toEqual([0, 4, 7, 12]);
    // ∂f/∂raw = ∂f/∂model / (0.5 · std_v)
    expect(Array.from(invertIntensity(json, Float32Array.from([1, 1, 1, 1]), [1, 2, 2, 1], 'gradient'))).toEqual([1, 1, 0.5, 0.5]);
    expect(() => invertIntensity({ ...json, steps: [{ op: 'zScore', mode: 'sample' }] }, model.data, [1, 2, 2, 1])).toThrow(/steps\[0\].*per-sample zScore cannot be inverted/);
  });

  it('resampleToGrid: identity on the same grid, exact on a shifted integer grid, fill outside', () => {
    const data = Float32Array.from({ length: 27 }, (_, p) => p);
    const affine: Affine = [[2, 0, 0, -3], [0, 2, 0, 1], [0, 0, 2, 5], [0, 0, 0, 1]];
    const src = new Volume({ data, shape: [3, 3, 3], affine });
    expect(Array.from(resampleToGrid(src, [3, 3, 3], affine).data)).toEqual(Array.from(data));
    // a target grid one voxel further along x: target (i, j, k) = source (i + 1, j, k); i = 2 falls outside
    const shifted: Affine = [[2, 0, 0, -1], [0, 2, 0, 1], [0, 0, 2, 5], [0, 0, 0, 1]];
    const out = resampleToGrid(src, [3, 3, 3], shifted, -1);
    expect(out.data[(0 * 3 + 1) * 3 + 2]).toBe(src.get(1, 1, 2));
    expect(out.data[(2 * 3 + 0) * 3 + 0]).toBe(-1);
  });
});
