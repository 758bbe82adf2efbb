import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../../../src/backend/rng.js';
import { jpeg, png, shifted, slice } from '../../helpers/synthetic-slices.js';
import { OptionError } from '../../../src/backend/errors.js';
import { dHash, hamming } from '../../../src/data/databunch/leakage.js';
import { contamination, contaminationWarning, jacobiEigen, nearComponents, nearDuplicatePairs } from '../../../src/data/databunch/near-duplicates.js';
import { centredThumbnail, thumbnail, thumbnails } from '../../../src/data/databunch/thumbnails.js';

/** Pearson r computed the plain way (float64, two passes), independent of nearDuplicatePairs. */
function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('nearDuplicatePairs', () => {
  it('finds exactly the pairs the brute force finds (r by hand), and none of a constant image', () => {
    // 200 random 16×16 "images" with planted copies: the candidate stage must not lose any pair
    const rng = new Rng(3);
    const base = Array.from({ length: 150 }, () => Float32Array.from({ length: 256 }, () => rng.uniform(0, 255)));
    const smooth = base.map((b) => Float32Array.from(b, (_, k) => (b[k] + b[(k + 1) % 256] + b[(k + 16) % 256]) / 3));
    const copies = Array.from({ length: 50 }, (_, i) => Float32Array.from(smooth[i], (v) => 0.8 * v + 10 + rng.normal(0, 2 + (i % 10) * 2)));
    const thumbs = [...smooth, ...copies, new Float32Array(256).fill(7)];
    for (const t of [0.98, 0.95, 0.9, 0.6]) {
      const { pairs, constant } = nearDuplicatePairs(thumbs, t);
      const brute: Array<[number, number]> = [];
      for (let i = 0; i < thumbs.length - 1; i++) for (let j = i + 1; j < thumbs.length - 1; j++) if (pearson(thumbs[i], thumbs[j]) >= t) brute.push([i, j]);
      expect(pairs.map((p) => [p.i, p.j])).toEqual(brute);
      for (const p of pairs) expect(p.r).toBeCloseTo(pearson(thumbs[p.i], thumbs[p.j]), 5);
      expect(constant).toEqual([200]);
      if (t === 0.9) expect(brute.length).toBeGreaterThan(10); // the check is not vacuous
    }
  });

  it('r of two 8×8 images by hand: a ramp and the same ramp × 2 + 5 give r = 1; a ramp and its mirror give r = −1', () => {
    const ramp = Float32Array.from({ length: 64 }, (_, k) => k);
    const affine = Float32Array.from(ramp, (v) => 2 * v + 5);
    const mirror = Float32Array.from(ramp, (v) => 63 - v);
    const { pairs } = nearDuplicatePairs([ramp, affine, mirror], 0.99);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ i: 0, j: 1 });
    expect(pairs[0].r).toBeCloseTo(1, 6);
  });

  it('rejects a threshold outside [0.5, 1] (e.g. the old Hamming distance 2) with an OptionError naming it', () => {
    expect(() => nearDuplicatePairs([], 2)).toThrow(OptionError);
    expect(() => nearDuplicatePairs([], 2)).toThrow(/nearDuplicatePairs threshold.*\[0\.5, 1\].*got 2/);
    expect(() => nearDuplicatePairs([], 0.3)).toThrow(OptionError);
    expect(() => nearDuplicatePairs([new Float32Array(64), new Float32Array(36)])).toThrow(/multiple of 8|thumbnail 1 has 36 pixels/);
  });

  it('jacobiEigen: [[2, 1], [1, 2]] has eigenvalues 1 and 3 with eigenvectors (1, −1)/√2 and (1, 1)/√2', () => {
    const { values, vectors } = jacobiEigen(Float64Array.from([2, 1, 1, 2]), 2);
    const order = values[0] < values[1] ? [0, 1] : [1, 0];
    expect(values[order[0]]).toBeCloseTo(1, 12);
    expect(values[order[1]]).toBeCloseTo(3, 12);
    const v3 = [vectors[order[1]], vectors[2 + order[1]]];
    expect(Math.abs(v3[0])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(v3[0] * v3[1]).toBeGreaterThan(0);
  });
});

describe('near-duplicates of synthetic slices written as image files', () => {
  let dir: string;
  const files: Record<string, string> = {};
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-near-'));
    const a = slice(1, 0);
    const write = async (name: string, bytes: Buffer): Promise<void> => {
      files[name] = path.join(dir, name);
      await fs.writeFile(files[name], bytes);
    };
    await write('a.png', await png(a));
    await write('a-shifted.png', await png(shifted(a, 128, 3, 2))); // three pixels right, two down
    await write('a-reencoded.jpg', await jpeg(a, 60)); // JPEG at quality 60
    await write('a-scaled.png', await png(Uint8Array.from(a, (v) => Math.round(0.6 * v + 40)))); // another window/level
    await write('a-named-jpg-but-png.jpg', await png(a)); // extension lies: decoded by magic bytes
    // unrelated but similar: the same subject's outline at another level, and other subjects
    await write('a-level3.png', await png(slice(1, 3)));
    for (let s = 2; s <= 6; s++) await write(`s${s}.png`, await png(slice(s, 0)));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('flags the shifted, re-encoded and intensity-scaled copies, and no unrelated similar-looking slice', async () => {
    const names = Object.keys(files).sort();
    const thumbs = await thumbnails(names.map((n) => files[n]));
    const { pairs } = nearDuplicatePairs(thumbs, 0.98);
    const copies = ['a.png', 'a-shifted.png', 'a-reencoded.jpg', 'a-scaled.png', 'a-named-jpg-but-png.jpg'].sort();
    const expected: string[] = [];
    for (let x = 0; x < copies.length; x++) for (let y = x + 1; y < copies.length; y++) expected.push([copies[x], copies[y]].sort().join(' ~ '));
    expect(pairs.map((p) => [names[p.i], names[p.j]].sort().join(' ~ ')).sort()).toEqual(expected.sort());
    // the unrelated slices all look alike to the old 64-bit dHash (it flagged them), not to r
    const i = names.indexOf('a.png');
    for (const other of ['a-level3.png', 's2.png', 's3.png', 's4.png', 's5.png', 's6.png']) {
      const j = names.indexOf(other);
      expect(pearson(thumbs[i], thumbs[j])).toBeLessThan(0.98);
    }
    const dh = thumbs.map((t) => dHash(t, 32, 32));
    const similarByDHash = ['s2.png', 's3.png', 's4.png', 's5.png', 's6.png', 'a-level3.png'].filter((o) => hamming(dh[i], dh[names.indexOf(o)]) <= 8);
    expect(similarByDHash.length).toBeGreaterThan(0);
  });

  it('joins the copies into one component and keeps every other slice alone', async () => {
    const names = Object.keys(files).sort();
    const { pairs } = nearDuplicatePairs(await thumbnails(names.map((n) => files[n])), 0.98);
    const comp = nearComponents(names.length, pairs);
    const root = comp[names.indexOf('a.png')];
    const members = names.filter((_, k) => comp[k] === root);
    expect(members.sort()).toEqual(['a-named-jpg-but-png.jpg', 'a-reencoded.jpg', 'a-scaled.png', 'a-shifted.png', 'a.png']);
    expect(new Set(comp).size).toBe(names.length - 4);
  });

  it('a file that is not an image is a DataError naming it', async () => {
    const bad = path.join(dir, 'broken.jpg');
    await fs.writeFile(bad, 'not an image');
    await expect(thumbnail(bad)).rejects.toThrow(/broken\.jpg: neither PNG/);
  });
});

describe('centredThumbnail', () => {
  it('a 4×4 square of 100 on 0 in a 16×16 image gives the same 8×8 thumbnail wherever it sits: 2×2 pixels of 100 at the centre', () => {
    const square = (top: number, left: number): Float32Array => {
      const img = new Float32Array(256);
      for (let r = top; r < top + 4; r++) for (let c = left; c < left + 4; c++) img[r * 16 + c] = 100;
      return img;
    };
    // centroid at the square's centre; thumbnail pixel (r, c) averages the 2×2 box centred at
    // centroid + 2·(r + ½ − 4, c + ½ − 4), so rows/cols 3 and 4 fall on the square: 100; the rest 0
    const expected = new Float32Array(64);
    for (const r of [3, 4]) for (const c of [3, 4]) expected[r * 8 + c] = 100;
    expect(Array.from(centredThumbnail(square(2, 2), 16, 16, 8))).toEqual(Array.from(expected));
    expect(Array.from(centredThumbnail(square(9, 5), 16, 16, 8))).toEqual(Array.from(expected));
  });
});

describe('centredThumbnail on a 2·size image (separable fast path)', () => {
  it('equals the point-by-point definition: mean of 4 bilinear samples per box, the minimum outside', () => {
    const rng = new Rng(5);
    const h = 32;
    const img = Float32Array.from({ length: h * h }, (_, k) => 10 + 200 * Math.exp(-(((k % h) - 22) ** 2 + (Math.floor(k / h) - 9) ** 2) / 30) + rng.uniform(0, 5));
    let min = Infinity;
    for (const v of img) min = Math.min(min, v);
    let m = 0;
    let my = 0;
    let mx = 0;
    img.forEach((v, k) => {
      m += v - min;
      my += (v - min) * (Math.floor(k / h) + 0.5);
      mx += (v - min) * ((k % h) + 0.5);
    });
    const [cy, cx] = [my / m, mx / m];
    const at = (y: number, x: number): number => {
      const [y0, x0] = [Math.floor(y - 0.5), Math.floor(x - 0.5)];
      const [fy, fx] = [y - 0.5 - y0, x - 0.5 - x0];
      const p = (a: number, b: number): number => (a >= 0 && a < h && b >= 0 && b < h ? img[a * h + b] : min);
      return (1 - fy) * ((1 - fx) * p(y0, x0) + fx * p(y0, x0 + 1)) + fy * ((1 - fx) * p(y0 + 1, x0) + fx * p(y0 + 1, x0 + 1));
    };
    const got = centredThumbnail(img, h, h, 16);
    for (let r = 0; r < 16; r++) {
      for (let c = 0; c < 16; c++) {
        const [y, x] = [cy + (r + 0.5 - 8) * 2, cx + (c + 0.5 - 8) * 2];
        const want = (at(y - 0.5, x - 0.5) + at(y - 0.5, x + 0.5) + at(y + 0.5, x - 0.5) + at(y + 0.5, x + 0.5)) / 4;
        expect(got[r * 16 + c]).toBeCloseTo(want, 3);
      }
    }
  });
});

describe('contamination', () => {
  it('counts valid/test samples with a near-duplicate in train, and warns when valid is more than twice as contaminated as test', () => {
    // samples 0..3 train, 4..7 valid, 8..11 test; pairs: valid 4-train 0, valid 5-train 1, valid 6-test 8 (not train), test 9-train 2
    const splitOf = ['train', 'train', 'train', 'train', 'valid', 'valid', 'valid', 'valid', 'test', 'test', 'test', 'test'] as const;
    const pairs = [{ i: 0, j: 4 }, { i: 1, j: 5 }, { i: 6, j: 8 }, { i: 2, j: 9 }, { i: 0, j: 1 }];
    const c = contamination(splitOf, pairs);
    expect(c.valid).toEqual({ n: 4, flagged: 2, share: 0.5 });
    expect(c.test).toEqual({ n: 4, flagged: 1, share: 0.25 });
    // 0.5 is not more than 2 × 0.25: no warning; with the test pair gone, 0.5 > 0 warns
    expect(contaminationWarning(c)).toBeUndefined();
    const w = contaminationWarning(contamination(splitOf, pairs.slice(0, 3)));
    expect(w).toMatch(/50\.0 % of valid images \(2\/4\).*0\.0 % of test images \(0\/4\).*groupBy: 'nearDuplicates'/);
  });
});
