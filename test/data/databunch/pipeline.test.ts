import { describe, expect, it } from 'vitest';
import { FormatError, OptionError, ShapeError } from '../../../src/backend/errors.js';
import { Rng } from '../../../src/backend/rng.js';
import { Volume } from '../../../src/data/volume.js';
import { Pipeline } from '../../../src/data/databunch/pipeline.js';
import { flipAxis } from '../../../src/data/databunch/steps.js';
import { shiftInPlace } from '../../../src/data/ops/augment.js';
import { decodeFloat32, encodeFloat32 } from '../../../src/data/databunch/zscore.js';

async function* each(samples: Float32Array[]): AsyncIterable<{ data: Float32Array; shape: number[] }> {
  for (const s of samples) yield { data: s, shape: [s.length, 1, 1, 1] };
}

describe('Pipeline', () => {
  it('splits steps into cached, online and augment parts and hashes only the cached part', () => {
    const p = new Pipeline({ steps: [{ op: 'mask', threshold: 0 }, { op: 'cropOrPad', shape: [2, 2, 2] }, { op: 'zScore' }, { op: 'flip', axes: [0] }] });
    expect(p.cachedCount).toBe(2);
    expect(p.augmentStart).toBe(3);
    const q = new Pipeline({ steps: [{ op: 'mask', threshold: 0 }, { op: 'cropOrPad', shape: [2, 2, 2] }, { op: 'percentileClip', lower: 1, upper: 99 }] });
    expect(q.cacheHash()).toBe(p.cacheHash());
    expect(new Pipeline({ steps: [{ op: 'cropOrPad', shape: [2, 2, 3] }] }).cacheHash()).not.toBe(p.cacheHash());
  });

  it('rejects unknown ops and keys, bad values, and steps after augmentation', () => {
    expect(() => new Pipeline({ steps: [{ op: 'blur' } as never] })).toThrow(/steps\[0\]\.op: unknown op "blur"/);
    expect(() => new Pipeline({ steps: [{ op: 'zoom', factor: 0.5, mode: 'x' } as never] })).toThrow(/steps\[0\]\.mode: unknown key/);
    expect(() => new Pipeline({ steps: [{ op: 'zoom', factor: -1 }] })).toThrow(OptionError);
    expect(() => new Pipeline({ steps: [{ op: 'flip', axes: [0] }, { op: 'zScore' }] })).toThrow(/zScore after the augment step flip/);
    expect(() => new Pipeline({ steps: [{ op: 'mask' }] })).toThrow(/exactly one of threshold or path/);
    expect(() => Pipeline.fromJSON({ formatVersion: 99, input: { kind: 'nifti' }, steps: [] })).toThrow(FormatError);
  });

  it('fits zScore on the given (training) samples only, ddof 0, and round-trips through JSON', async () => {
    const p = new Pipeline({ steps: [{ op: 'zScore' }] });
    // values 1, 2, 3, 4, 5, 9: mean 24/6 = 4; squares 9+4+1+0+1+25 = 40 → var 40/6, std 2.5820
    const fitted = await p.fit(() => each([Float32Array.of(1, 2, 3), Float32Array.of(4, 5, 9)]));
    const json = fitted.toJSON();
    expect(json.steps[0]).toMatchObject({ op: 'zScore', mean: 4 });
    expect((json.steps[0] as { std: number }).std).toBeCloseTo(Math.sqrt(40 / 6), 12);
    expect(p.fitted).toBe(false);
    expect(() => p.applyOnline(Float32Array.of(1), [1, 1, 1, 1])).toThrow(/not fitted yet/);
    const replay = Pipeline.fromJSON(JSON.parse(JSON.stringify(json)));
    const out = replay.applyOnline(Float32Array.of(4, 4 + Math.sqrt(40 / 6)), [2, 1, 1, 1]);
    expect(out.data[0]).toBeCloseTo(0, 6);
    expect(out.data[1]).toBeCloseTo(1, 6);
  });

  it('zScore with nonzero ignores and keeps the background', async () => {
    const p = await new Pipeline({ steps: [{ op: 'zScore', nonzero: true }] }).fit(() => each([Float32Array.of(0, 2, 0, 4)]));
    // non-zero values 2, 4: mean 3, std 1
    expect(Array.from(p.applyOnline(Float32Array.of(0, 2, 4, 5), [4, 1, 1, 1]).data)).toEqual([0, -1, 1, 2]);
  });

  it("zScore mode 'sample' normalises each sample by its own statistics, is cached, and needs no fit", async () => {
    const p = new Pipeline({ steps: [{ op: 'zScore', mode: 'sample' }] });
    expect([p.cachedCount, p.fitted]).toEqual([1, true]);
    expect(p.cacheHash()).not.toBe(new Pipeline({ steps: [] }).cacheHash());
    const run = (q: Pipeline, values: number[]): number[] => Array.from(q.applyCached(new Volume({ data: Float32Array.from(values), shape: [values.length, 1, 1] })).data);
    // [1, 3]: mean 2, std 1 → [-1, 1]; [1, 2, 3, 6]: mean 3, var (4 + 1 + 0 + 9) / 4 = 3.5
    expect(run(p, [1, 3])).toEqual([-1, 1]);
    expect(run(p, [1, 2, 3, 6]).map((v) => v * Math.sqrt(3.5))).toEqual([-2, -1, 0, 3].map((v) => expect.closeTo(v, 5)));
    // constant: std 0 → 1, so only shifted
    expect(run(p, [5, 5])).toEqual([0, 0]);
    // nonzero: [0, 2, 4, 0] → statistics of 2, 4 (mean 3, std 1), zeros stay; all zero → unchanged
    const nz = new Pipeline({ steps: [{ op: 'zScore', mode: 'sample', nonzero: true }] });
    expect(run(nz, [0, 2, 4, 0])).toEqual([0, -1, 1, 0]);
    expect(run(nz, [0, 0])).toEqual([0, 0]);
    expect(() => new Pipeline({ steps: [{ op: 'zScore', mode: 'sample', mean: 1 }] })).toThrow(/steps\[0\]\.mean: not a parameter of zScore mode 'sample'/);
    expect(() => new Pipeline({ steps: [{ op: 'zScore', mode: 'median' as never }] })).toThrow(/steps\[0\]\.mode: expected 'global', 'sample' or 'voxel'/);
  });

  it("zScore mode 'voxel' fits a mean and a std image on the given samples and round-trips through JSON", async () => {
    const p = new Pipeline({ steps: [{ op: 'zScore', mode: 'voxel' }] });
    expect(p.fitted).toBe(false);
    // voxel 0: 1, 3 → mean 2, std 1; voxel 1: 10, 10 → mean 10, std 0 → 1
    const fitted = await p.fit(() => each([Float32Array.of(1, 10), Float32Array.of(3, 10)]));
    const step = fitted.toJSON().steps[0] as { meanImage: string; stdImage: string; imageShape: number[] };
    expect(step.imageShape).toEqual([2, 1, 1, 1]);
    expect(Array.from(decodeFloat32(step.meanImage, 2, 'm'))).toEqual([2, 10]);
    expect(Array.from(decodeFloat32(step.stdImage, 2, 's'))).toEqual([1, 1]);
    const replay = Pipeline.fromJSON(JSON.parse(JSON.stringify(fitted.toJSON())));
    // [4, 12] → [(4 − 2) / 1, (12 − 10) / 1]
    expect(Array.from(replay.applyOnline(Float32Array.of(4, 12), [2, 1, 1, 1]).data)).toEqual([2, 2]);
    expect(() => replay.applyOnline(Float32Array.of(4, 12, 0), [3, 1, 1, 1])).toThrow(ShapeError);
    // nonzero: voxel 0 sees only 4 (mean 4, std 0 → 1); voxel 1 sees 2, 6 (mean 4, std 2); zeros stay
    const nz = await new Pipeline({ steps: [{ op: 'zScore', mode: 'voxel', nonzero: true }] }).fit(() => each([Float32Array.of(0, 2), Float32Array.of(4, 6)]));
    expect(Array.from(nz.applyOnline(Float32Array.of(0, 8), [2, 1, 1, 1]).data)).toEqual([0, 2]);
    expect(Array.from(nz.applyOnline(Float32Array.of(5, 0), [2, 1, 1, 1]).data)).toEqual([1, 0]);
    // samples of two shapes cannot be fitted voxel by voxel; damaged JSON is refused
    await expect(p.fit(() => each([Float32Array.of(1, 2), Float32Array.of(1, 2, 3)]))).rejects.toThrow(ShapeError);
    const json = fitted.toJSON();
    const bad = { ...json, steps: [{ ...json.steps[0], stdImage: encodeFloat32(Float32Array.of(1, 0)) }] };
    expect(() => Pipeline.fromJSON(bad)).toThrow(/steps\[0\]\.stdImage: value 1 is 0 \(expected > 0\)/);
    const short = { ...json, steps: [{ ...json.steps[0], meanImage: encodeFloat32(Float32Array.of(1)) }] };
    expect(() => Pipeline.fromJSON(short)).toThrow(/meanImage: expected 2 float32 values/);
    expect(() => new Pipeline({ steps: [{ op: 'zScore', mode: 'voxel', mean: 1, std: 2 }] })).toThrow(/mean: not a parameter of zScore mode 'voxel'/);
  });

  it('fits percentiles like numpy (within one histogram bin) and clips', async () => {
    // values 0..100: np.percentile(v, [2.5, 90]) = [2.5, 90]
    const values = Float32Array.from({ length: 101 }, (_, i) => i);
    const p = await new Pipeline({ steps: [{ op: 'percentileClip', lower: 2.5, upper: 90 }] }).fit(() => each([values.slice(0, 50), values.slice(50)]));
    const step = p.toJSON().steps[0] as { low: number; high: number };
    const bin = 100 / 65536;
    expect(Math.abs(step.low - 2.5)).toBeLessThanOrEqual(bin);
    expect(Math.abs(step.high - 90)).toBeLessThanOrEqual(bin);
    const out = p.applyOnline(Float32Array.of(-5, 50, 200), [3, 1, 1, 1]).data;
    expect(out[1]).toBe(50);
    expect(out[0]).toBeCloseTo(step.low, 6);
    expect(out[2]).toBeCloseTo(step.high, 6);
  });

  it('runs cached static steps on a volume: threshold mask then centred crop', () => {
    // 4×1×1 values [-1, 5, 0.5, 7], mask > 1 → [0, 5, 0, 7]; crop to 2 → centre [5, 0]
    const vol = new Volume({ data: Float32Array.of(-1, 5, 0.5, 7), shape: [4, 1, 1] });
    const p = new Pipeline({ steps: [{ op: 'mask', threshold: 1 }, { op: 'cropOrPad', shape: [2, 1, 1] }, { op: 'minMax' }] });
    expect(Array.from(p.applyCached(vol).data)).toEqual([1, 0]);
  });

  it('augments deterministically for a given Rng; flip reverses one axis', () => {
    // 2×3 array [[0,1,2],[3,4,5]] flipped on axis 1 → [[2,1,0],[5,4,3]]
    const d = Float32Array.of(0, 1, 2, 3, 4, 5);
    flipAxis(d, [2, 3], 1);
    expect(Array.from(d)).toEqual([2, 1, 0, 5, 4, 3]);
    const p = new Pipeline({ steps: [{ op: 'flip', axes: [0, 1], p: 0.5 }, { op: 'noise', std: 0.1 }] });
    const a = new Float32Array(8);
    const b = new Float32Array(8);
    p.augment(a, [2, 2, 2, 1], new Rng(5).fork('s1'));
    p.augment(b, [2, 2, 2, 1], new Rng(5).fork('s1'));
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = new Float32Array(8);
    p.augment(c, [2, 2, 2, 1], new Rng(5).fork('s2'));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('shift translates by whole voxels, fills the vacated ones, and stays in the range drawn', () => {
    // [3, 2, 1, 2] (x, y, z, channel): value = 10·x + 2·y + channel
    const make = (): Float32Array => Float32Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 4) + 2 * (Math.floor(i / 2) % 2) + (i % 2));
    const d = make();
    shiftInPlace(d, [3, 2, 1, 2], [1, -1, 0], -7);
    // out(x, y) = in(x − 1, y + 1): x = 0 and y = 1 are vacated
    expect(Array.from(d)).toEqual([-7, -7, -7, -7, 2, 3, -7, -7, 12, 13, -7, -7]);
    const e = make();
    shiftInPlace(e, [3, 2, 1, 2], [0, 0, 0], 0);
    expect(Array.from(e)).toEqual(Array.from(make()));
    const z = Float32Array.of(1, 2, 3, 4);
    shiftInPlace(z, [1, 1, 4, 1], [0, 0, 2], 0);
    expect(Array.from(z)).toEqual([0, 0, 1, 2]);
    const gone = make();
    shiftInPlace(gone, [3, 2, 1, 2], [3, 0, 0], 5);
    expect(Array.from(gone)).toEqual(new Array(12).fill(5));
    expect(() => shiftInPlace(new Float32Array(5), [3, 2, 1, 2], [1, 0, 0], 0)).toThrow(/data of 5 values: expected shape \[3, 2, 1, 2\]/);

    // through the pipeline: a single bright voxel of a 17×17 image moves by integers within ±3 (never on z), all offsets occur
    const p = new Pipeline({ steps: [{ op: 'shift', maxVox: [3, 3, 0] }] });
    const seen = new Set<string>();
    for (let k = 0; k < 400; k++) {
      const img = new Float32Array(17 * 17);
      img[8 * 17 + 8] = 1;
      p.augment(img, [17, 17, 1, 1], new Rng(k));
      const at = img.indexOf(1);
      expect(img.reduce((a, b) => a + b, 0)).toBe(1);
      const dx = Math.floor(at / 17) - 8;
      const dy = (at % 17) - 8;
      expect(Math.max(Math.abs(dx), Math.abs(dy))).toBeLessThanOrEqual(3);
      seen.add(`${dx},${dy}`);
    }
    expect(seen.size).toBe(49);
    expect(() => new Pipeline({ steps: [{ op: 'shift', maxVox: 1.5 }] })).toThrow(/steps\[0\]\.maxVox/);
    // one value in a list is not 'the same for every axis': refused (it used to pass, then blank the whole image)
    expect(() => new Pipeline({ steps: [{ op: 'shift', maxVox: [2] as never }] })).toThrow(/steps\[0\]\.maxVox/);
    expect(() => new Pipeline({ steps: [{ op: 'shift', maxVox: 2, p: 2 }] })).toThrow(/steps\[0\]\.p/);
  });
});
