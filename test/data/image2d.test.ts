import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, OptionError } from '../../src/backend/errors.js';
import { readImage2d, sniffImageFormat } from '../../src/data/read-image2d.js';
import { resizeBilinearPil } from '../../src/data/resize-bilinear-pil.js';

const FIX = new URL('../fixtures/io/img/', import.meta.url).pathname;
/** Pixels Pillow 9.4 computed for the fixture images (test/fixtures/io/make-images.py). */
const pil = JSON.parse(readFileSync(new URL('../fixtures/io/images-pil.json', import.meta.url), 'utf8')) as Record<
  string,
  { mode: string; height: number; width: number; grey: number[]; rgb: number[]; grey_3x4: number[]; rgb_8x13: number[] }
>;
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'transmri-img-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readImage2d: same pixels as PIL', () => {
  for (const [name, ref] of Object.entries(pil)) {
    it(`${name} (${ref.mode}): grey, RGB, shrink and grow`, async () => {
      const grey = await readImage2d(join(FIX, name));
      expect(grey.shape).toEqual([ref.height, ref.width, 1]);
      expect(grey.channels).toBe(1);
      expect([...grey.data]).toEqual(ref.grey);
      const rgb = await readImage2d(join(FIX, name), { mode: 'rgb' });
      expect(rgb.channels).toBe(3);
      expect([...rgb.data]).toEqual(ref.rgb);
      const small = await readImage2d(join(FIX, name), { size: [3, 4] });
      expect(small.shape).toEqual([3, 4, 1]);
      expect([...small.data]).toEqual(ref.grey_3x4);
      const big = await readImage2d(join(FIX, name), { mode: 'rgb', size: [8, 13] });
      expect(big.shape).toEqual([8, 13, 1]);
      expect([...big.data]).toEqual(ref.rgb_8x13);
    });
  }

  it('grey conversion uses integer ITU-R 601-2 luma', async () => {
    // rgb.png pixel (0, 0): L = (19595 R + 38470 G + 7471 B + 32768) >> 16
    const [r, g, b] = pil['rgb.png'].rgb;
    const grey = await readImage2d(join(FIX, 'rgb.png'));
    expect(grey.get(0, 0, 0)).toBe((19595 * r + 38470 * g + 7471 * b + 32768) >> 16);
  });

  it('bilinear resize by hand: 1×4 [0, 100, 200, 255] → 1×2', () => {
    // Shrink ×2: support 2. Output 0 (centre 1.0): inputs 0..2, weights tri(−.25, .25, .75) = .75, .75, .25 → /1.75
    //   (0·.75 + 100·.75 + 200·.25) / 1.75 = 71.43 → 71.
    // Output 1 (centre 3.0): inputs 1..3, weights .25, .75, .75 → (25 + 150 + 191.25) / 1.75 = 209.29 → 209.
    expect([...resizeBilinearPil(Uint8Array.from([0, 100, 200, 255]), 1, 4, 1, 1, 2)]).toEqual([71, 209]);
    // Same size: untouched.
    expect([...resizeBilinearPil(Uint8Array.from([1, 2, 3]), 1, 3, 1, 1, 3)]).toEqual([1, 2, 3]);
  });
});

describe('readImage2d: bad input', () => {
  it('sniffs PNG and JPEG by magic bytes only', () => {
    expect(sniffImageFormat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('png');
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0, 0]))).toBeNull();
  });

  it('an image that is neither PNG nor JPEG: DataError with the file and its first bytes', async () => {
    const path = join(dir, 'anim.png');
    writeFileSync(path, Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'));
    const err = await readImage2d(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).file).toBe(path);
    expect((err as DataError).message).toBe(`${path}: neither PNG (89 50 4e 47) nor JPEG (ff d8 ff): first bytes 47 49 46 38 39 61 01 00`);
    const empty = join(dir, 'empty.jpg');
    writeFileSync(empty, new Uint8Array(0));
    await expect(readImage2d(empty)).rejects.toThrow(/empty\.jpg: neither PNG .* first bytes \(empty file\)/);
  });

  it('a PNG with a corrupt body: DataError naming the file', async () => {
    const bytes = Buffer.from(readFileSync(join(FIX, 'rgb.png')));
    const path = join(dir, 'broken.png');
    writeFileSync(path, bytes.subarray(0, 40));
    await expect(readImage2d(path)).rejects.toThrow(new RegExp(`${path.replace(/[.]/g, '\\.')}: cannot decode PNG`));
  });

  it('bad options throw OptionError', async () => {
    const path = join(FIX, 'rgb.png');
    await expect(readImage2d(path, { mode: 'cmyk' as never })).rejects.toBeInstanceOf(OptionError);
    await expect(readImage2d(path, { size: [0, 4] })).rejects.toThrow(/ReadImage2dOptions\.size/);
    await expect(readImage2d(path, { resize: 3 } as never)).rejects.toThrow(/ReadImage2dOptions\.resize: unknown option/);
  });
});
