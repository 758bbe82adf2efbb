import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { areaResize, crossSplitPairs, dHash, hamming } from '../../../src/data/databunch/leakage.js';
import { formatStats, splitStats } from '../../../src/data/databunch/stats.js';
import { DataBunch } from '../../../src/data/databunch/databunch.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-report-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A 16×16 grey gradient image with a bright square at (r, c). */
function image(r: number, c: number, noise = 0): Uint8Array {
  const px = new Uint8Array(16 * 16);
  for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) px[i * 16 + j] = Math.min(255, 8 * j + (i >= r && i < r + 5 && j >= c && j < c + 5 ? 100 : 0) + ((i * 7 + j * 3) % 5) * noise);
  return px;
}

async function png(file: string, px: Uint8Array): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(px), { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(file);
  return file;
}

describe('leakage building blocks', () => {
  it('areaResize averages covered areas with fractional weights', () => {
    // 1×3 → 1×2: cells cover [0, 1.5) and [1.5, 3): (1 + 0.5·2)/1.5 = 4/3 and (0.5·2 + 4)/1.5 = 10/3
    const out = areaResize(Float32Array.of(1, 2, 4), 1, 3, 1, 2);
    expect(out[0]).toBeCloseTo(4 / 3, 6);
    expect(out[1]).toBeCloseTo(10 / 3, 6);
  });

  it('dHash: a rising ramp sets every bit, a falling one none; invariant to increasing maps', () => {
    const ramp = Float32Array.from({ length: 8 * 9 }, (_, i) => i % 9);
    expect(dHash(ramp, 8, 9)).toEqual([0xffffffff, 0xffffffff]);
    expect(dHash(Float32Array.from(ramp, (v) => -v), 8, 9)).toEqual([0, 0]);
    const img = Float32Array.from(image(3, 4), Number);
    expect(dHash(Float32Array.from(img, (v) => (v - 50) / 7), 16, 16)).toEqual(dHash(img, 16, 16));
    expect(hamming([0b1011, 0], [0b0001, 1 << 31])).toBe(3);
  });

  it('crossSplitPairs pairs equal keys in different splits only', () => {
    const s = [
      { id: 'a', split: 'train' as const, file: '' },
      { id: 'b', split: 'train' as const, file: '' },
      { id: 'c', split: 'test' as const, file: '' },
    ];
    expect(crossSplitPairs(s, ['h', 'h', 'h'])).toEqual([
      { a: 'a', aSplit: 'train', b: 'c', bSplit: 'test' },
      { a: 'b', aSplit: 'train', b: 'c', bSplit: 'test' },
    ]);
  });
});

describe('stats', () => {
  it('counts per split with age mean ± sample sd and sex/site counts', () => {
    const stats = splitStats(
      {
        train: [
          { label: 'AD', subject: 's1', age: 60, sex: 'F', site: 'A' },
          { label: 'AD', subject: 's1', age: 62, sex: 'F', site: 'A' },
          { label: 'CN', subject: 's2', age: 70, sex: 'M', site: 'B' },
        ],
        test: [{ label: 'CN', subject: 's3' }],
      },
      ['AD', 'CN'],
    );
    // ages 60, 62, 70: mean 64, sd sqrt((16 + 4 + 36)/2) = sqrt(28)
    expect(stats[0]).toEqual({ split: 'train', samples: 3, subjects: 2, labels: { AD: 2, CN: 1 }, age: { mean: 64, sd: Math.sqrt(28), n: 3 }, sex: { F: 2, M: 1 }, site: { A: 2, B: 1 } });
    expect(stats[1]).toEqual({ split: 'test', samples: 1, subjects: 1, labels: { AD: 0, CN: 1 } });
    expect(stats[2].samples).toBe(4);
    const text = formatStats(stats);
    expect(text.split('\n')[0]).toMatch(/^split\s+samples\s+subjects\s+AD\s+CN\s+age\s+sex\s+site$/);
    expect(text).toMatch(/train\s+3\s+2\s+2\s+1\s+64\.0±5\.3\s+F:2 M:1\s+A:2 B:1/);
  });
});

describe('DataBunch on a small image folder', () => {
  it('fromFolder + leakage: byte-identical, voxel-identical and near-duplicate test images; showBatch writes a PNG', async () => {
    const root = path.join(dir, 'imgs');
    for (let i = 0; i < 8; i++) {
      await png(path.join(root, 'Training', 'a', `a${i}.png`), image(i, 2));
      await png(path.join(root, 'Training', 'b', `b${i}.png`), image(2, i + 3).map((v) => 255 - v));
    }
    // test: t0 = file copy of a0; t2 = a2 plus faint noise (near-duplicate); t3 unrelated; t4 = the pixels of b6
    await fs.mkdir(path.join(root, 'Testing', 'a'), { recursive: true });
    await fs.copyFile(path.join(root, 'Training', 'a', 'a0.png'), path.join(root, 'Testing', 'a', 't0.png'));
    await png(path.join(root, 'Testing', 'a', 't2.png'), image(2, 2, 1));
    await png(path.join(root, 'Testing', 'a', 't3.png'), image(12, 12).map((v, i) => (i % 3 ? v : 255 - v)));
    await png(path.join(root, 'Testing', 'b', 't4.png'), image(2, 9).map((v) => 255 - v));
    // steps without an input: the input defaults to 2D images because the files are images
    const bunch = await DataBunch.fromFolder(root, { cacheDir: path.join(dir, 'cache'), split: { valid: 0.25, seed: 1 }, onWarning: () => {}, pipeline: { steps: [{ op: 'minMax' }] } });
    expect(bunch.pipeline.input).toEqual({ kind: 'image2d' });
    expect(bunch.sampleShape).toEqual([16, 16, 1]);
    expect(bunch.size('test')).toBe(4);
    const r = await bunch.leakage({ voxels: true, nearDuplicates: { threshold: 0.98 } });
    // t0 is a file copy of a0; t4 has the pixels of b6 (image(2, 9) inverted)
    expect(r.testDuplicates).toEqual(['Testing/a/t0.png', 'Testing/b/t4.png']);
    expect(r.bytes.some((p) => p.a === 'Training/a/a0.png' && p.b === 'Testing/a/t0.png')).toBe(true);
    expect(r.testNearDuplicates).toContain('Testing/a/t2.png');
    expect(r.testNearDuplicates).not.toContain('Testing/a/t3.png');
    const file = await bunch.showBatch(path.join(dir, 'grid.png'), { split: 'train', batchSize: 4 });
    const meta = await sharp(file).metadata();
    // 4 tiles → 2×2 grid of 16 px tiles enlarged 8× (to ≥ 128 px) with 2 px gaps: 2·(128 + 2) + 2 = 262
    expect([meta.width, meta.height, meta.format]).toEqual([262, 262, 'png']);
  });
});
