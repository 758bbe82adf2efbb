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

/**
 * A baseline grey JPEG written by hand whose 8 × 8 blocks are constant (`values`, one per block,
 * row-major): quantisation 1, so block value v has the DC coefficient 8(v − 128) and no AC
 * coefficient; the spec's luminance DC Huffman table (Annex K.3), an AC table holding only
 * end-of-block, and a restart marker every `restart` blocks (0: none).
 */
function blockJpeg(width: number, height: number, values: readonly number[], restart: number): Buffer {
  const bytes: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]): void => {
    bytes.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  };
  segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
  segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  const dcCounts = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
  segment(0xc4, [0x00, ...dcCounts, ...Array.from({ length: 12 }, (_, k) => k)]);
  segment(0xc4, [0x10, 1, ...new Array<number>(15).fill(0), 0x00]);
  if (restart > 0) segment(0xdd, [restart >> 8, restart & 0xff]);
  segment(0xda, [1, 1, 0x00, 0, 63, 0]);
  // canonical DC codes by category
  const codes: Array<{ code: number; len: number }> = [];
  let code = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < dcCounts[len - 1]; i++) codes.push({ code: code++, len });
    code <<= 1;
  }
  let acc = 0;
  let nbits = 0;
  const put = (value: number, len: number): void => {
    for (let b = len - 1; b >= 0; b--) {
      acc = (acc << 1) | ((value >> b) & 1);
      if (++nbits === 8) {
        bytes.push(acc);
        if (acc === 0xff) bytes.push(0);
        acc = 0;
        nbits = 0;
      }
    }
  };
  let pred = 0;
  values.forEach((v, k) => {
    if (restart > 0 && k > 0 && k % restart === 0) {
      if (nbits > 0) put(0xff, 8 - nbits); // pad with ones
      bytes.push(0xff, 0xd0 + ((k / restart - 1) % 8));
      pred = 0;
    }
    const diff = 8 * (v - 128) - pred;
    pred += diff;
    const s = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
    put(codes[s].code, codes[s].len);
    if (s > 0) put(diff > 0 ? diff : diff + (1 << s) - 1, s);
    put(0, 1); // end of block
  });
  if (nbits > 0) put(0xff, 8 - nbits);
  bytes.push(0xff, 0xd9);
  return Buffer.from(bytes);
}

describe('decodeJpegLuma on a hand-written JPEG with restart markers', () => {
  const [w, h] = [48, 40];
  const values = Array.from({ length: (w / 8) * (h / 8) }, (_, k) => (k * 53 + 17) % 256);

  it('restart every 4 blocks (mid-row): each block mean is its value, exactly; libjpeg agrees', async () => {
    const jpeg = blockJpeg(w, h, values, 4);
    expect(jpeg.includes(Buffer.from([0xff, 0xd0]))).toBe(true);
    const y = decodeJpegLuma(jpeg, 5);
    expect(y && [y.width, y.height, y.scale]).toEqual([6, 5, 8]);
    expect(Array.from((y as NonNullable<typeof y>).data)).toEqual(values);
    // at full scale every pixel of a block is its value
    const full = decodeJpegLuma(jpeg, 1000) as NonNullable<ReturnType<typeof decodeJpegLuma>>;
    expect(full.scale).toBe(1);
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) expect(full.data[r * w + c]).toBeCloseTo(values[(r >> 3) * (w / 8) + (c >> 3)], 9);
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) expect(data[(r * w + c) * info.channels]).toBe(values[(r >> 3) * (w / 8) + (c >> 3)]);
    expect(Array.from((decodeJpegLuma(blockJpeg(w, h, values, 0), 5) as NonNullable<typeof y>).data)).toEqual(values);
  });

  it('a missing restart marker gives null (the caller falls back to sharp)', () => {
    const jpeg = blockJpeg(w, h, values, 4);
    const at = jpeg.indexOf(Buffer.from([0xff, 0xd1]));
    const broken = Buffer.concat([jpeg.subarray(0, at), jpeg.subarray(at + 2)]);
    expect(decodeJpegLuma(broken, 5)).toBeNull();
  });
});
