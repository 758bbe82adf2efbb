import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeJpegLuma } from '../../src/data/jpeg-luma.js';

/** A smooth image (no clipping after the DCT round trip), `channels` 1 (grey) or 3 (colour, luma varies). */
function smooth(w: number, h: number, channels: 1 | 3): Buffer {
  const px = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = 128 + 60 * Math.sin(x / 23) * Math.cos(y / 31) + 30 * Math.sin((x + y) / 57);
      for (let c = 0; c < channels; c++) px[(y * w + x) * channels + c] = Math.round(channels === 1 ? v : v + 25 * Math.sin((x * (c + 1)) / 41));
    }
  }
  return px;
}

const encode = (px: Buffer, w: number, h: number, channels: 1 | 3, options: Parameters<ReturnType<typeof sharp>['jpeg']>[0] = {}): Promise<Buffer> =>
  sharp(px, { raw: { width: w, height: h, channels } }).jpeg({ quality: 90, ...options }).toBuffer();

/** The reference: libjpeg's full decode (through sharp), luma (ITU-R 601), then exact s × s block means (partial blocks at the edges). */
async function reference(jpeg: Buffer, s: number): Promise<{ data: Float64Array; width: number; height: number }> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const { width: W, height: H, channels: c } = info;
  const [ow, oh] = [Math.ceil(W / s), Math.ceil(H / s)];
  const out = new Float64Array(ow * oh);
  for (let r = 0; r < oh; r++) {
    for (let q = 0; q < ow; q++) {
      let acc = 0;
      let n = 0;
      for (let y = r * s; y < Math.min(H, r * s + s); y++) {
        for (let x = q * s; x < Math.min(W, q * s + s); x++) {
          const p = (y * W + x) * c;
          acc += c >= 3 ? 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2] : data[p];
          n++;
        }
      }
      out[r * ow + q] = acc / n;
    }
  }
  return { data: out, width: ow, height: oh };
}

function maxAndMeanError(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    max = Math.max(max, e);
    sum += e;
  }
  return { max, mean: sum / a.length };
}

describe('decodeJpegLuma', () => {
  it('a 512 × 512 grey JPEG at 1/8: the block means of libjpeg\'s full decode (DC alone)', async () => {
    const jpeg = await encode(smooth(512, 512, 1), 512, 512, 1);
    const y = decodeJpegLuma(jpeg, 64);
    expect(y && [y.width, y.height, y.scale]).toEqual([64, 64, 8]);
    const ref = await reference(jpeg, 8);
    const e = maxAndMeanError((y as NonNullable<typeof y>).data, ref.data);
    // the full decode rounds each pixel (±0.5): its block means are within 0.5 of the exact ones
    expect(e.max).toBeLessThan(0.6);
    expect(e.mean).toBeLessThan(0.3);
  });

  it('colour 4:2:0 with sides that are not multiples of 8 or 16, at 1/2 and 1/4: the block means of the luma', async () => {
    for (const [w, h, minSide, scale] of [
      [225, 201, 64, 2],
      [301, 270, 64, 4],
    ]) {
      const jpeg = await encode(smooth(w, h, 3), w, h, 3, { chromaSubsampling: '4:2:0' });
      const y = decodeJpegLuma(jpeg, minSide);
      expect(y && [y.width, y.height, y.scale]).toEqual([Math.ceil(w / scale), Math.ceil(h / scale), scale]);
      const ref = await reference(jpeg, scale);
      const e = maxAndMeanError((y as NonNullable<typeof y>).data, ref.data);
      // the full decode rounds R, G and B in fixed point (the luma of rounded RGB is not the exact Y): about ±1
      expect(e.max).toBeLessThan(1.5);
      expect(e.mean).toBeLessThan(0.4);
    }
  });

  it('at full scale (both sides below 2 · minSide) it is the inverse DCT itself: libjpeg\'s pixels within rounding', async () => {
    const jpeg = await encode(smooth(120, 90, 3), 120, 90, 3, { chromaSubsampling: '4:4:4', quality: 75 });
    const y = decodeJpegLuma(jpeg, 64);
    expect(y && [y.width, y.height, y.scale]).toEqual([120, 90, 1]);
    const e = maxAndMeanError((y as NonNullable<typeof y>).data, (await reference(jpeg, 1)).data);
    expect(e.max).toBeLessThan(1.2);
    expect(e.mean).toBeLessThan(0.4);
  });

  it('returns null for what it does not decode, so the caller uses sharp: progressive, truncated, PNG, not an image', async () => {
    const px = smooth(128, 128, 1);
    const baseline = await encode(px, 128, 128, 1);
    expect(decodeJpegLuma(baseline, 64)).not.toBeNull();
    expect(decodeJpegLuma(await encode(px, 128, 128, 1, { progressive: true }), 64)).toBeNull();
    // cut inside the entropy-coded data: the scan runs out of bits
    expect(decodeJpegLuma(baseline.subarray(0, Math.floor(baseline.length * 0.6)), 64)).toBeNull();
    expect(decodeJpegLuma(await sharp(px, { raw: { width: 128, height: 128, channels: 1 } }).png().toBuffer(), 64)).toBeNull();
    expect(decodeJpegLuma(Buffer.from('not an image at all'), 64)).toBeNull();
    expect(decodeJpegLuma(new Uint8Array(0), 64)).toBeNull();
  });

  it('corrupt entropy data never throws: null, or an image of the right size', async () => {
    const baseline = await encode(smooth(256, 256, 1), 256, 256, 1);
    for (let k = 0; k < 40; k++) {
      const bad = Buffer.from(baseline);
      const at = Math.floor(bad.length * (0.3 + 0.015 * k));
      bad[at] ^= 0x5a;
      const y = decodeJpegLuma(bad, 64);
      if (y) expect([y.width, y.height, y.data.length]).toEqual([64, 64, 4096]);
    }
  });
});
