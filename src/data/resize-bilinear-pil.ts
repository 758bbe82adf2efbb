/**
 * PIL-compatible bilinear resampling of 8-bit interleaved images (Pillow's
 * `ImagingResample` with the bilinear filter): separable, a triangle filter
 * whose support grows with the shrink factor (antialiasing), coefficients in
 * 22-bit fixed point, rounding to uint8 after each pass, horizontal pass first.
 */

/** Fixed-point bits of the filter coefficients, as Pillow's PRECISION_BITS (32 − 8 − 2). */
const PRECISION_BITS = 22;

interface Coefficients {
  /** First input index per output index. */
  start: Int32Array;
  /** Number of taps per output index. */
  count: Int32Array;
  /** Fixed-point weights, `taps` per output index. */
  weights: Int32Array;
  taps: number;
}

function triangle(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

/** Filter taps for resizing `inSize` samples to `outSize` (Pillow's precompute_coeffs + normalize_coeffs_8bpc). */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // bilinear support is 1
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = triangle((x + xmin - center + 0.5) / filterScale);
      k[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? k[x] / total : k[x];
      weights[xx * taps + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, taps };
}

function clip8(acc: number): number {
  const v = Math.floor(acc / (1 << PRECISION_BITS));
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes an 8-bit image of `channels` interleaved channels from h×w to outH×outW,
 * giving the same pixels as Pillow's `resize((outW, outH), Image.BILINEAR)`.
 */
export function resizeBilinearPil(src: Uint8Array, h: number, w: number, channels: number, outH: number, outW: number): Uint8Array {
  let img = src;
  let curW = w;
  if (outW !== w) {
    const c = coefficients(w, outW);
    const out = new Uint8Array(h * outW * channels);
    for (let y = 0; y < h; y++) {
      const row = y * w * channels;
      for (let xx = 0; xx < outW; xx++) {
        const base = c.start[xx];
        const n = c.count[xx];
        const kOff = xx * c.taps;
        for (let ch = 0; ch < channels; ch++) {
          let acc = 1 << (PRECISION_BITS - 1);
          for (let x = 0; x < n; x++) acc += img[row + (base + x) * channels + ch] * c.weights[kOff + x];
          out[(y * outW + xx) * channels + ch] = clip8(acc);
        }
      }
    }
    img = out;
    curW = outW;
  }
  if (outH !== h) {
    const c = coefficients(h, outH);
    const out = new Uint8Array(outH * curW * channels);
    const stride = curW * channels;
    for (let yy = 0; yy < outH; yy++) {
      const base = c.start[yy];
      const n = c.count[yy];
      const kOff = yy * c.taps;
      for (let p = 0; p < stride; p++) {
        let acc = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < n; y++) acc += img[(base + y) * stride + p] * c.weights[kOff + y];
        out[yy * stride + p] = clip8(acc);
      }
    }
    img = out;
  }
  return img;
}
