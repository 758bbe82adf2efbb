/**
 * The luma of a baseline JPEG at 1/1, 1/2, 1/4 or 1/8 scale, decoded in plain TypeScript without
 * the inverse DCT: each output pixel is the exact mean of its s × s block of the full decode
 * (before rounding and clamping), computed from the block's DCT coefficients (at 1/8 the DC
 * alone). This is what libjpeg's DCT scaling (PIL's `draft`, libvips' shrink-on-load) gives,
 * without the chroma: the ITU-R 601 luma of the decoded RGB is the Y channel itself.
 *
 * Only what a thumbnail needs and nothing it can misread: sequential Huffman JPEGs (SOF0/SOF1)
 * with 8-bit samples, one component or three (YCbCr) with a full-resolution Y. Anything else
 * (progressive, arithmetic, 12-bit, lossless, CMYK, Adobe RGB, a subsampled Y, truncated or
 * malformed data) returns null, and the caller decodes the file another way (sharp), which also
 * reports what is wrong with a damaged file.
 */
import { BitReader, buildHuffman, extend, LUT_BITS, Unsupported, type Huffman } from './jpeg-huffman.js';

/** A grey image, row-major, values 0..255 (floats: block means are not rounded). */
export interface JpegLuma {
  data: Float32Array;
  width: number;
  height: number;
  /** Pixels of the full image per output pixel along each axis: 1, 2, 4 or 8. */
  scale: number;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
}

/** Natural (row-major) index of each zig-zag position. */
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58,
  59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

/**
 * `n × 8` matrix of the means of the 1D inverse-DCT basis over n equal parts of the 8 samples:
 * M[p][u] = mean over x in part p of C(u)/2 · cos((2x + 1)uπ/16), C(0) = 1/√2, C(u) = 1 otherwise.
 * A block's s × s means are then M · F · Mᵀ + 128 (F the dequantised coefficients, rows = vertical frequency).
 */
function partMeans(n: number): Float64Array {
  const m = new Float64Array(n * 8);
  const w = 8 / n;
  for (let p = 0; p < n; p++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = p * w; x < (p + 1) * w; x++) s += ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
      m[p * 8 + u] = s / w;
    }
  }
  return m;
}

/**
 * For n output pixels per block side: OUTER[n][z · n² + a · n + b] = M[a][v] · M[b][u], the
 * contribution of coefficient z = 8v + u (natural order) to output pixel (a, b) of the block.
 */
const OUTER = new Map(
  [2, 4, 8].map((n) => {
    const m = partMeans(n);
    const out = new Float64Array(64 * n * n);
    for (let z = 0; z < 64; z++) for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) out[z * n * n + a * n + b] = m[a * 8 + (z >> 3)] * m[b * 8 + (z & 7)];
    return [n, out];
  }),
);

/**
 * The luma of a JPEG at the largest scale 1/s (s ∈ {8, 4, 2, 1}) that keeps both sides ≥
 * `minSide` pixels (PIL's `draft` rule: s ≤ min(width, height) / minSide), or null when the file
 * is not a JPEG this decoder handles (see the file comment).
 * @example
 * const y = decodeJpegLuma(await readFile('Tr-gl_0010.jpg'), 64); // 512 × 512 file: 64 × 64, scale 8
 */
export function decodeJpegLuma(bytes: Uint8Array, minSide: number): JpegLuma | null {
  try {
    return decode(bytes, minSide);
  } catch (err) {
    if (err instanceof Unsupported || err instanceof RangeError || err instanceof TypeError) return null;
    throw err;
  }
}

function decode(bytes: Uint8Array, minSide: number): JpegLuma | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  const dc: Array<Huffman | undefined> = [];
  const ac: Array<Huffman | undefined> = [];
  const quant: Array<Float64Array | undefined> = [];
  let components: Component[] | undefined;
  let width = 0;
  let height = 0;
  let restartInterval = 0;
  let adobeTransform = -1;
  let pos = 2;
  const be16 = (p: number): number => {
    if (p + 1 >= bytes.length) throw new Unsupported('truncated');
    return (bytes[p] << 8) | bytes[p + 1];
  };
  for (;;) {
    if (pos >= bytes.length) return null;
    if (bytes[pos] !== 0xff) throw new Unsupported('expected a marker');
    while (bytes[pos] === 0xff) pos++;
    const marker = bytes[pos++];
    if (marker === 0xd9) return null; // EOI before the luma scan
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    const len = be16(pos);
    const start = pos + 2;
    const end = pos + len;
    if (len < 2 || end > bytes.length) throw new Unsupported('truncated segment');
    if (marker === 0xc0 || marker === 0xc1) {
      if (bytes[start] !== 8) return null;
      height = be16(start + 1);
      width = be16(start + 3);
      const nf = bytes[start + 5];
      if (height === 0 || width === 0 || (nf !== 1 && nf !== 3)) return null;
      components = [];
      for (let c = 0; c < nf; c++) {
        const o = start + 6 + 3 * c;
        components.push({ id: bytes[o], h: bytes[o + 1] >> 4, v: bytes[o + 1] & 15, tq: bytes[o + 2] });
      }
      if (nf === 3 && components[0].id === 0x52 && components[1].id === 0x47 && components[2].id === 0x42) return null; // 'R', 'G', 'B'
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return null; // progressive, lossless, hierarchical or arithmetic-coded
    } else if (marker === 0xc4) {
      let p = start;
      while (p < end) {
        const tc = bytes[p] >> 4;
        const th = bytes[p] & 15;
        const counts = bytes.subarray(p + 1, p + 17);
        let total = 0;
        for (let i = 0; i < 16; i++) total += counts[i];
        const symbols = bytes.slice(p + 17, p + 17 + total);
        if (p + 17 + total > end || th > 3 || tc > 1) throw new Unsupported('bad DHT');
        (tc === 0 ? dc : ac)[th] = buildHuffman(counts, symbols);
        p += 17 + total;
      }
    } else if (marker === 0xdb) {
      let p = start;
      while (p < end) {
        const pq = bytes[p] >> 4;
        const tq = bytes[p] & 15;
        if (tq > 3 || pq > 1) throw new Unsupported('bad DQT');
        const q = new Float64Array(64);
        for (let k = 0; k < 64; k++) q[ZIGZAG[k]] = pq ? be16(p + 1 + 2 * k) : bytes[p + 1 + k];
        quant[tq] = q;
        p += 1 + 64 * (pq + 1);
      }
    } else if (marker === 0xdd) {
      restartInterval = be16(start);
    } else if (marker === 0xee) {
      // Adobe APP14: "Adobe", version, flags0, flags1, transform (0: RGB/CMYK, 1: YCbCr)
      if (len >= 14 && String.fromCharCode(...bytes.subarray(start, start + 5)) === 'Adobe') adobeTransform = bytes[start + 11];
    } else if (marker === 0xda) {
      if (!components) throw new Unsupported('scan before frame');
      if (components.length === 3 && adobeTransform === 0) return null;
      const y = components[0];
      const hmax = Math.max(...components.map((c) => c.h));
      const vmax = Math.max(...components.map((c) => c.v));
      if (y.h !== hmax || y.v !== vmax || y.h < 1 || y.v < 1) return null;
      const ns = bytes[start];
      const scan: Array<{ comp: Component; dc: Huffman; ac: Huffman; pred: number }> = [];
      for (let i = 0; i < ns; i++) {
        const id = bytes[start + 1 + 2 * i];
        const t = bytes[start + 2 + 2 * i];
        const comp = components.find((c) => c.id === id);
        const d = dc[t >> 4];
        const a = ac[t & 15];
        if (!comp || !d || !a) throw new Unsupported('scan names an unknown component or table');
        scan.push({ comp, dc: d, ac: a, pred: 0 });
      }
      const ss = bytes[start + 1 + 2 * ns];
      const se = bytes[start + 2 + 2 * ns];
      if (ss !== 0 || se !== 63) return null;
      if (!scan.some((s) => s.comp === y)) {
        pos = skipEntropyData(bytes, end);
        continue;
      }
      const q = quant[y.tq];
      if (!q) throw new Unsupported('no quantisation table');
      return decodeLumaScan(bytes, end, scan, y, { width, height, hmax, vmax, restartInterval, q, minSide });
    }
    pos = end;
  }
}

/** Position of the first marker after entropy-coded data starting at `pos` (not a stuffed 0xFF00 or a restart). */
function skipEntropyData(bytes: Uint8Array, pos: number): number {
  for (let p = pos; p + 1 < bytes.length; p++) {
    if (bytes[p] === 0xff) {
      const m = bytes[p + 1];
      if (m !== 0 && m !== 0xff && !(m >= 0xd0 && m <= 0xd7)) return p;
    }
  }
  throw new Unsupported('truncated');
}

interface LumaFrame {
  width: number;
  height: number;
  hmax: number;
  vmax: number;
  restartInterval: number;
  q: Float64Array;
  minSide: number;
}

function decodeLumaScan(bytes: Uint8Array, pos: number, scan: Array<{ comp: Component; dc: Huffman; ac: Huffman; pred: number }>, y: Component, f: LumaFrame): JpegLuma | null {
  let scale = 8;
  while (scale > 1 && Math.min(f.width, f.height) < f.minSide * scale) scale /= 2;
  const n = 8 / scale;
  const nn = n * n;
  const outer = n > 1 ? (OUTER.get(n) as Float64Array) : new Float64Array(0);
  const interleaved = scan.length > 1;
  const mcusX = interleaved ? Math.ceil(f.width / (8 * f.hmax)) : Math.ceil(f.width / 8);
  const mcusY = interleaved ? Math.ceil(f.height / (8 * f.vmax)) : Math.ceil(f.height / 8);
  const blocksX = interleaved ? mcusX * y.h : mcusX;
  const blocksY = interleaved ? mcusY * y.v : mcusY;
  const gw = blocksX * n;
  const grid = new Float32Array(blocksY * n * gw);
  const acc = new Float64Array(nn);
  const q = f.q;
  const reader = new BitReader(bytes, pos);
  const total = mcusX * mcusY;
  for (let mcu = 0; mcu < total; mcu++) {
    if (f.restartInterval > 0 && mcu > 0 && mcu % f.restartInterval === 0) {
      reader.restart();
      for (const s of scan) s.pred = 0;
    }
    const mx = mcu % mcusX;
    const my = (mcu - mx) / mcusX;
    for (const s of scan) {
      const bh = interleaved ? s.comp.h : 1;
      const bv = interleaved ? s.comp.v : 1;
      const keep = s.comp === y;
      const table = s.ac;
      const { fastLen, fastRs, fastVal } = table;
      for (let bj = 0; bj < bv; bj++) {
        for (let bi = 0; bi < bh; bi++) {
          const t = reader.decode(s.dc);
          if (t > 11) throw new Unsupported('bad DC magnitude');
          if (t > 0) s.pred += extend(reader.bits(t), t);
          const dc = s.pred * q[0];
          if (keep && n > 1) acc.fill(128 + dc / 8);
          // AC coefficients: kept (and accumulated into the block's n × n means) only for Y at n > 1
          const accumulate = keep && n > 1;
          for (let k = 1; k < 64; ) {
            if (reader.n < 16) reader.fill();
            const peek = (reader.buf >>> (reader.n - LUT_BITS)) & ((1 << LUT_BITS) - 1);
            const fl = fastLen[peek];
            let rs: number;
            let value = 0;
            if (fl !== 0) {
              reader.n -= fl;
              rs = fastRs[peek];
              value = fastVal[peek];
            } else {
              rs = reader.decode(table);
              const sz = rs & 15;
              if (sz !== 0) value = extend(reader.bits(sz), sz);
            }
            const r = rs >> 4;
            if ((rs & 15) === 0) {
              if (r !== 15) break;
              k += 16;
              continue;
            }
            k += r;
            if (k > 63) throw new Unsupported('AC index past 63');
            if (accumulate) {
              const z = ZIGZAG[k];
              const c = value * q[z];
              const o = z * nn;
              for (let e = 0; e < nn; e++) acc[e] += c * outer[o + e];
            }
            k++;
          }
          if (!keep) continue;
          const row0 = (my * bv + bj) * n;
          const col0 = (mx * bh + bi) * n;
          if (n === 1) {
            const v = dc / 8 + 128;
            grid[row0 * gw + col0] = v < 0 ? 0 : v > 255 ? 255 : v;
            continue;
          }
          for (let a = 0; a < n; a++) {
            for (let b = 0; b < n; b++) {
              const v = acc[a * n + b];
              grid[(row0 + a) * gw + col0 + b] = v < 0 ? 0 : v > 255 ? 255 : v;
            }
          }
        }
      }
    }
  }
  if (reader.overran()) return null;
  const ow = Math.ceil(f.width / scale);
  const oh = Math.ceil(f.height / scale);
  const data = new Float32Array(ow * oh);
  for (let r = 0; r < oh; r++) data.set(grid.subarray(r * gw, r * gw + ow), r * ow);
  return { data, width: ow, height: oh, scale };
}
