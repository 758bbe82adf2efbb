import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DataError, OptionError, ShapeError } from '../../../src/backend/errors.js';
import { Volume } from '../../../src/data/volume.js';
import { image2DFromVolume, image2DToVolume, mirrorIndex, reflectIndex, type Image2D } from '../../../src/data/transforms2d/image2d.js';
import { invertImage, mergeImages } from '../../../src/data/transforms2d/intensity.js';
import { clahe } from '../../../src/data/transforms2d/clahe.js';
import { closeImage, dilateImage, erodeImage, footprintOffsets, openImage, type Footprint } from '../../../src/data/transforms2d/morphology.js';
import { gaussianKernel1d, gaussianSmooth, medianSmooth } from '../../../src/data/transforms2d/smoothing.js';
import { alzheimerContrastPipeline } from '../../../src/data/transforms2d/alzheimer-contrast.js';

interface Fixture {
  height: number;
  width: number;
  input: number[];
  clahe: Array<{ input: 'uint8' | 'float'; kernelSize: [number, number] | null; clipLimit: number; nbins: number; output: number[] }>;
  morphology: Array<{ op: 'opening' | 'closing'; footprint: 'disk' | 'square'; size: number; output: number[] }>;
  gaussian: Array<{ sigma: number; output: number[] }>;
  median: Array<{ size: number; output: number[] }>;
  pipeline: { output: number[] };
}

// Known answers from scikit-image 0.19.3 / scipy 1.10.1 (test/fixtures/transforms2d/generate.py)
// on a 37×45 crop of a real T1 slice (ants-slices/r16slice.jpg).
const fx = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/transforms2d/transforms2d.json', import.meta.url)), 'utf8')) as Fixture;
const u8: Image2D = { data: Float32Array.from(fx.input), height: fx.height, width: fx.width };
const unit: Image2D = { data: Float32Array.from(fx.input, (v) => v / 255), height: fx.height, width: fx.width };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const img = (rows: number[][]): Image2D => ({ data: Float32Array.from(rows.flat()), height: rows.length, width: rows[0].length });

describe('Image2D helpers', () => {
  it('round-trips through a [H, W, 1] volume sharing the data', () => {
    const a = img([[1, 2, 3], [4, 5, 6]]);
    const v = image2DToVolume(a);
    expect(v.shape).toEqual([2, 3, 1]);
    expect(v.get(1, 2, 0)).toBe(6);
    const b = image2DFromVolume(v);
    expect(b).toEqual({ data: a.data, height: 2, width: 3 });
    expect(() => image2DFromVolume(new Volume({ data: new Float32Array(8), shape: [2, 2, 2] }))).toThrow(ShapeError);
  });

  it('reflect (scipy, edge repeated) and mirror (numpy, edge not repeated) indexing', () => {
    // n = 3: scipy reflect of -2..4 is 1 0 | 0 1 2 | 2 1; numpy reflect is 2 1 | 0 1 2 | 1 0
    expect([-2, -1, 0, 1, 2, 3, 4].map((i) => reflectIndex(i, 3))).toEqual([1, 0, 0, 1, 2, 2, 1]);
    expect([-2, -1, 0, 1, 2, 3, 4].map((i) => mirrorIndex(i, 3))).toEqual([2, 1, 0, 1, 2, 1, 0]);
    expect(mirrorIndex(5, 1)).toBe(0);
  });
});

describe('invertImage and mergeImages', () => {
  it('inverts in the detected range', () => {
    expect(Array.from(invertImage(img([[0, 55, 255]])).data)).toEqual([255, 200, 0]);
    expect(Array.from(invertImage(img([[0, 0.25, 1]])).data)).toEqual([1, 0.75, 0]);
    // A dark 8-bit image (all <= 1) must be declared as 'uint8'.
    expect(Array.from(invertImage(img([[0, 1]]), { range: 'uint8' }).data)).toEqual([255, 254]);
  });

  it('rejects pixels out of range, unknown options and bad sizes', () => {
    expect(() => invertImage(img([[0, 300]]))).toThrow(DataError);
    expect(() => invertImage(img([[0, -1]]))).toThrow(/pixel 1 \(row 0, column 1\) is -1/);
    expect(() => invertImage(img([[0, 2]]), { range: 'unit' })).toThrow(DataError);
    expect(() => invertImage(img([[0]]), { rnage: 'unit' } as never)).toThrow(OptionError);
    expect(() => mergeImages(img([[0, 1]]), img([[0]]))).toThrow(ShapeError);
    expect(() => mergeImages(img([[0]]), img([[0]]), { alpha: 1.5 })).toThrow(OptionError);
  });

  it('multiply and overlay merges match hand-computed values', () => {
    // multiply, α = 0.5, base 200, top 100 (uint8): a = 200/255, b = 100/255,
    // 255·(0.5a + 0.5ab) = 100 + 0.5·200·100/255 = 139.2157
    const m = mergeImages(img([[200]]), img([[100]]));
    expect(m.data[0]).toBeCloseTo(139.2157, 3);
    // overlay, α = 1, unit range: a = 0.25 < 0.5 → 2ab = 2·0.25·0.6 = 0.3;
    // a = 0.75 → 1 − 2·0.25·0.4 = 0.8
    const o = mergeImages(img([[0.25, 0.75]]), img([[0.6, 0.6]]), { mode: 'overlay', alpha: 1 });
    expect(o.data[0]).toBeCloseTo(0.3, 6);
    expect(o.data[1]).toBeCloseTo(0.8, 6);
    // α = 0 gives the base back.
    expect(Array.from(mergeImages(img([[0.25, 0.75]]), img([[0.6, 0.6]]), { alpha: 0 }).data)).toEqual([0.25, 0.75]);
  });
});

describe('clahe against scikit-image equalize_adapthist', () => {
  // Tolerance 2e-6: the fixture stores 7 decimals; our float32 output adds ≤ 6e-8.
  // Our algorithm mirrors scikit-image's integer steps, so there is no other error.
  for (const c of fx.clahe) {
    it(`${c.input} input, kernel ${c.kernelSize ?? 'default'}, clip ${c.clipLimit}, ${c.nbins} bins`, () => {
      const src = c.input === 'uint8' ? u8 : unit;
      const opts = { clipLimit: c.clipLimit, nbins: c.nbins, ...(c.kernelSize ? { kernelSize: c.kernelSize } : {}) };
      const out = clahe(src, opts);
      const scale = c.input === 'uint8' ? 255 : 1;
      expect(maxAbsDiff(Array.from(out.data, (v) => v / scale), c.output)).toBeLessThan(2e-6);
    });
  }

  it('tileGrid [8, 8] equals the default kernel (1/8 of the image) and a constant image maps to the maximum', () => {
    expect(clahe(u8, { tileGrid: [8, 8] }).data).toEqual(clahe(u8).data);
    expect(Array.from(clahe(img([[7, 7], [7, 7]])).data)).toEqual([255, 255, 255, 255]);
    expect(() => clahe(u8, { tileGrid: [8, 8], kernelSize: 4 })).toThrow(OptionError);
    expect(() => clahe(u8, { clipLimit: 2 })).toThrow(OptionError);
  });
});

describe('grey opening and closing against scikit-image', () => {
  for (const m of fx.morphology) {
    it(`${m.op} with ${m.footprint}(${m.size}) is exact`, () => {
      const fp: Footprint = m.footprint === 'disk' ? { shape: 'disk', radius: m.size } : { shape: 'square', size: m.size };
      const out = (m.op === 'opening' ? openImage : closeImage)(u8, fp);
      expect(Array.from(out.data)).toEqual(m.output);
      // Range-agnostic: the same on 0..1 input.
      const outUnit = (m.op === 'opening' ? openImage : closeImage)(unit, fp);
      expect(maxAbsDiff(outUnit.data, m.output.map((v) => v / 255))).toBeLessThan(1e-7);
    });
  }

  it('disk(1) is a plus sign; erosion/dilation of a hand example; even squares are rejected', () => {
    expect(footprintOffsets({ shape: 'disk', radius: 1 })).toEqual([[-1, 0], [0, -1], [0, 0], [0, 1], [1, 0]]);
    const a = img([[1, 2, 3], [4, 9, 6], [7, 8, 5]]);
    // 3×3 square with reflect borders: min around the centre is 1, max is 9 everywhere.
    expect(erodeImage(a, { shape: 'square', size: 3 }).data[4]).toBe(1);
    expect(Array.from(dilateImage(a, { shape: 'square', size: 3 }).data)).toEqual(new Array(9).fill(9));
    // plus-shaped min at (2,2): itself 5, 6 above, 8 left, reflected copies of 5 below/right → 5
    expect(erodeImage(a, { shape: 'disk', radius: 1 }).data[8]).toBe(5);
    // at (1,1): 9 with neighbours 2, 4, 6, 8 → 2
    expect(erodeImage(a, { shape: 'disk', radius: 1 }).data[4]).toBe(2);
    expect(() => openImage(a, { shape: 'square', size: 4 })).toThrow(OptionError);
  });
});

describe('smoothing against scipy.ndimage', () => {
  for (const g of fx.gaussian) {
    it(`gaussian sigma ${g.sigma} (truncate 4, reflect) within 1e-6`, () => {
      expect(maxAbsDiff(gaussianSmooth(unit, { sigma: g.sigma }).data, g.output)).toBeLessThan(1e-6);
    });
  }
  for (const m of fx.median) {
    it(`median size ${m.size} is exact`, () => {
      expect(Array.from(medianSmooth(u8, { size: m.size }).data)).toEqual(m.output);
    });
  }

  it('the Gaussian kernel has radius round(4σ) and sums to 1', () => {
    const w = gaussianKernel1d(1.5, 4);
    expect(w.length).toBe(13); // radius floor(6 + 0.5) = 6
    expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    // neighbour/centre ratio = exp(-1/(2·1.5²)) = 0.800737
    expect(w[7] / w[6]).toBeCloseTo(0.800737, 6);
    expect(() => gaussianSmooth(u8, { sigma: 0 })).toThrow(OptionError);
    expect(() => medianSmooth(u8, { size: 2 })).toThrow(OptionError);
  });
});

describe('alzheimerContrastPipeline', () => {
  it('matches the scikit-image/scipy composition of the same steps (0..255 units, within 2e-3)', () => {
    const out = alzheimerContrastPipeline(u8);
    expect(maxAbsDiff(out.data, fx.pipeline.output)).toBeLessThan(2e-3);
  });

  it('on 0..1 input gives the 0..255 result divided by 255; steps can be turned off', () => {
    const a = alzheimerContrastPipeline(u8, { smoothing: { kind: 'median', size: 3 } });
    const b = alzheimerContrastPipeline(unit, { smoothing: { kind: 'median', size: 3 } });
    expect(maxAbsDiff(b.data, Array.from(a.data, (v) => v / 255))).toBeLessThan(1e-5);
    const onlyInvert = alzheimerContrastPipeline(u8, { clahe: false, opening: false, smoothing: false, merge: false });
    expect(onlyInvert.data).toEqual(invertImage(u8).data);
    expect(() => alzheimerContrastPipeline(u8, { sharpen: true } as never)).toThrow(OptionError);
  });
});
