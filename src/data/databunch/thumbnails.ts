/**
 * Small grey thumbnails of samples for near-duplicate search. A JPEG is decoded by
 * decodeJpegLuma (jpeg-luma.ts) straight to its luma at the largest DCT scale 1/s that keeps
 * 2·size pixels a side (each pixel the exact mean of an s × s block; PIL's `draft('L')`), then
 * box-averaged to 2·size × 2·size; a JPEG it does not handle (progressive, CMYK...) and a PNG are
 * decoded by sharp to 2·size × 2·size. A volume contributes the middle slice of its last spatial
 * axis, area-averaged to that size. Then the thumbnail is resampled to size × size centred on the
 * intensity centroid, so that shifted copies match. With a cache folder, thumbnails are kept in
 * `thumbnails-<size>.bin` there (thumbnail-cache.ts) and reused while the file is unchanged.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { DataError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { decodeJpegLuma } from '../jpeg-luma.js';
import { readNifti } from '../nifti/reader.js';
import { sniffImageFormat } from '../read-image2d.js';
import { readThumbnailCache, sameIdentity, thumbnailCacheFile, thumbnailCrc, writeThumbnailCache, type ThumbnailEntry } from './thumbnail-cache.js';

/** What the thumbnails are: cached thumbnails of another method are decoded again. */
export const THUMBNAIL_METHOD = 'centred-luma-2';

/** Side of the thumbnails near-duplicates are compared on, pixels. */
export const THUMBNAIL_SIZE = 32;

/**
 * The grey thumbnail of one file, row-major `size × size`, centred on its intensity centroid
 * ({@link centredThumbnail}), values 0..255 (images) or the volume's own intensities. Colour is reduced with the ITU-R 601-2 luma weights (as PIL's `convert('L')`),
 * alpha is dropped; the aspect ratio is not kept (a resized copy keeps its thumbnail).
 * @throws DataError naming the file when it cannot be read or decoded
 */
export async function thumbnail(file: string, size = THUMBNAIL_SIZE): Promise<Float32Array> {
  return thumbnailOf(file, readBytes(file), size);
}

/**
 * The bytes of a file, read synchronously: decoding a thumbnail is a fraction of a millisecond
 * of JavaScript, and the promise-based read costs more than that in overhead.
 */
function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new DataError(`cannot read file: ${(err as Error).message}`, { file });
  }
}

/** The thumbnail of the bytes of `file` (see {@link thumbnail}). */
async function thumbnailOf(file: string, bytes: Buffer, size: number): Promise<Float32Array> {
  const format = sniffImageFormat(bytes);
  if (format === null) {
    if (/\.nii(\.gz)?$/i.test(file)) return volumeThumbnail(file, size);
    const first = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`neither PNG (89 50 4e 47) nor JPEG (ff d8 ff) nor NIfTI (.nii, .nii.gz): first bytes ${first || '(empty file)'}`, { file });
  }
  const big = 2 * size;
  if (format === 'jpeg') {
    const luma = decodeJpegLuma(bytes, big);
    if (luma) {
      const grey = luma.width === big && luma.height === big ? luma.data : boxResize(luma.data, luma.height, luma.width, big, big);
      return centredThumbnail(grey, big, big, size);
    }
  }
  let decoded: { data: Buffer; info: { channels: number } };
  try {
    decoded = await sharp(bytes, { failOn: 'error' }).resize(big, big, { fit: 'fill' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DataError(`cannot decode ${format.toUpperCase()}: ${(err as Error).message}`, { file });
  }
  const c = decoded.info.channels;
  const src = decoded.data;
  const grey = new Float32Array(big * big);
  for (let p = 0, s = 0; p < grey.length; p++, s += c) {
    grey[p] = c >= 3 ? (src[s] * 19595 + src[s + 1] * 38470 + src[s + 2] * 7471 + 0x8000) >> 16 : src[s];
  }
  return centredThumbnail(grey, big, big, size);
}

/**
 * A size × size thumbnail of a grey image, centred on its intensity centroid: pixel (r, c) is
 * the mean of the image over a box of (h / size) × (w / size) pixels centred at
 * centroid + ((r + ½ − size/2) · h/size, (c + ½ − size/2) · w/size) (bilinear, the minimum outside).
 * The centroid weighs each pixel by its value minus the image's minimum, so it does not move when
 * the intensities are scaled or offset; centring makes a shifted copy give the same thumbnail.
 */
export function centredThumbnail(img: Float32Array, h: number, w: number, size: number): Float32Array {
  let min = Infinity;
  for (let p = 0; p < img.length; p++) if (img[p] < min) min = img[p];
  let m = 0;
  let my = 0;
  let mx = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = img[y * w + x] - min;
      m += v;
      my += v * (y + 0.5);
      mx += v * (x + 0.5);
    }
  }
  const cy = m > 0 ? my / m : h / 2;
  const cx = m > 0 ? mx / m : w / 2;
  if (h === 2 * size && w === 2 * size) return centredHalving(img, size, cy, cx, min);
  const sy = h / size;
  const sx = w / size;
  // bilinear value at continuous position (y, x) in pixel-centre coordinates
  const at = (y: number, x: number): number => {
    const y0 = Math.floor(y - 0.5);
    const x0 = Math.floor(x - 0.5);
    const fy = y - 0.5 - y0;
    const fx = x - 0.5 - x0;
    const px = (yy: number, xx: number): number => (yy >= 0 && yy < h && xx >= 0 && xx < w ? img[yy * w + xx] : min);
    return (1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x0 + 1)) + fy * ((1 - fx) * px(y0 + 1, x0) + fx * px(y0 + 1, x0 + 1));
  };
  const out = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    const y = cy + (r + 0.5 - size / 2) * sy;
    for (let c = 0; c < size; c++) {
      const x = cx + (c + 0.5 - size / 2) * sx;
      // mean of four bilinear samples at the box's quarter points: a box of sy × sx around (y, x)
      out[r * size + c] = (at(y - sy / 4, x - sx / 4) + at(y - sy / 4, x + sx / 4) + at(y + sy / 4, x - sx / 4) + at(y + sy / 4, x + sx / 4)) / 4;
    }
  }
  return out;
}

/**
 * The same as the general case when the image is 2·size square (the quarter points of the boxes
 * then fall on a regular grid of step 1): shift the image by (cy − size, cx − size) with bilinear
 * weights, one pass per axis, then average 2 × 2 blocks. About 50× cheaper than sampling point by point.
 */
function centredHalving(img: Float32Array, size: number, cy: number, cx: number, fill: number): Float32Array {
  const n = 2 * size;
  const shift = (d: number): { i0: number; f: number } => ({ i0: Math.floor(d), f: d - Math.floor(d) });
  const { i0: oy, f: fy } = shift(cy - size);
  const { i0: ox, f: fx } = shift(cx - size);
  // rows: tmp[k][c] = (1 − fy)·img[k + oy][c] + fy·img[k + oy + 1][c]
  const tmp = new Float32Array(n * n);
  for (let k = 0; k < n; k++) {
    const a = k + oy;
    const b = a + 1;
    const inA = a >= 0 && a < n;
    const inB = b >= 0 && b < n;
    for (let c = 0; c < n; c++) tmp[k * n + c] = (1 - fy) * (inA ? img[a * n + c] : fill) + fy * (inB ? img[b * n + c] : fill);
  }
  // columns, then 2 × 2 block means
  const out = new Float32Array(size * size);
  const row = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = j + ox;
      const b = a + 1;
      // outside the image the row pass gave `fill` too: fill is the same in both passes
      row[j] = (1 - fx) * (a >= 0 && a < n ? tmp[k * n + a] : fill) + fx * (b >= 0 && b < n ? tmp[k * n + b] : fill);
    }
    const r = k >> 1;
    for (let c = 0; c < size; c++) out[r * size + c] += (row[2 * c] + row[2 * c + 1]) / 4;
  }
  return out;
}

/**
 * Area-average resampling of a grey image (each output pixel the mean of the input area it
 * covers, partial pixels weighted by their overlap; PIL's BOX filter), one axis at a time.
 */
export function boxResize(data: Float32Array, h: number, w: number, oh: number, ow: number): Float32Array {
  const axis = (n: number, m: number): { start: Int32Array; weights: Float64Array[] } => {
    const scale = n / m;
    const start = new Int32Array(m);
    const weights = Array.from({ length: m }, (_, o) => {
      const lo = o * scale;
      const hi = (o + 1) * scale;
      start[o] = Math.floor(lo);
      const wts = new Float64Array(Math.min(n, Math.ceil(hi)) - start[o]);
      for (let k = 0; k < wts.length; k++) wts[k] = (Math.min(hi, start[o] + k + 1) - Math.max(lo, start[o] + k)) / scale;
      return wts;
    });
    return { start, weights };
  };
  const rows = axis(h, oh);
  const cols = axis(w, ow);
  // columns first (h × ow), then rows
  const tmp = new Float64Array(h * ow);
  for (let c = 0; c < ow; c++) {
    const s0 = cols.start[c];
    const wts = cols.weights[c];
    for (let y = 0; y < h; y++) {
      let acc = 0;
      for (let k = 0; k < wts.length; k++) acc += data[y * w + s0 + k] * wts[k];
      tmp[y * ow + c] = acc;
    }
  }
  const out = new Float32Array(oh * ow);
  for (let r = 0; r < oh; r++) {
    const s0 = rows.start[r];
    const wts = rows.weights[r];
    for (let c = 0; c < ow; c++) {
      let acc = 0;
      for (let k = 0; k < wts.length; k++) acc += tmp[(s0 + k) * ow + c] * wts[k];
      out[r * ow + c] = acc;
    }
  }
  return out;
}

async function volumeThumbnail(file: string, size: number): Promise<Float32Array> {
  const v = await readNifti(file);
  const [nx, ny] = v.shape;
  return centredThumbnail(boxResize(middleSlice(v.data, [...v.shape, v.channels]), nx, ny, 2 * size, 2 * size), 2 * size, 2 * size, size);
}

/** Options of {@link thumbnails}. */
export interface ThumbnailsOptions {
  /** Thumbnail side, pixels; default 32 ({@link THUMBNAIL_SIZE}). */
  size?: number;
  /** Files read (and, for sharp, decoded on libuv's thread pool) at once; default 4. */
  concurrency?: number;
  /**
   * Folder of the thumbnail cache (`thumbnails-<size>.bin`, created when missing); default none
   * (every file decoded). A DataBunch and `folderLeakage` pass their cache folder.
   */
  cacheDir?: string;
  /** Receives the cache's messages (damaged file, not writable); default console.warn. */
  onMessage?: (message: string) => void;
}

/** Defaults of {@link ThumbnailsOptions}. */
export const DEFAULT_THUMBNAILS: Required<Omit<ThumbnailsOptions, 'cacheDir'>> & { cacheDir: string | undefined } = {
  size: THUMBNAIL_SIZE,
  concurrency: 4,
  cacheDir: undefined,
  onMessage: (m) => console.warn(m),
};

/** What {@link thumbnailsWithStats} returns. */
export interface ThumbnailScan {
  /** One thumbnail per file, in file order. */
  thumbs: Float32Array[];
  /** Thumbnails taken from the cache. */
  fromCache: number;
  /** Thumbnails decoded (not in the cache, or their file changed). */
  decoded: number;
}

/**
 * Thumbnails of many files, in file order.
 * @throws DataError naming the first file that cannot be read or decoded
 * @example
 * const thumbs = await thumbnails(files, { cacheDir: 'data/.transmri-cache' }); // Float32Array(1024) each
 */
export async function thumbnails(files: readonly string[], options: ThumbnailsOptions = {}): Promise<Float32Array[]> {
  return (await thumbnailsWithStats(files, options)).thumbs;
}

/**
 * {@link thumbnails}, also saying how many came from the cache.
 * @throws DataError naming the first file that cannot be read or decoded
 */
export async function thumbnailsWithStats(files: readonly string[], options: ThumbnailsOptions = {}): Promise<ThumbnailScan> {
  rejectUnknownOptions('ThumbnailsOptions', options, DEFAULT_THUMBNAILS);
  const { size, concurrency, cacheDir, onMessage } = { ...DEFAULT_THUMBNAILS, ...options };
  if (!(Number.isInteger(size) && size >= 8 && size % 8 === 0)) throw new OptionError('ThumbnailsOptions.size', `expected a multiple of 8, ≥ 8, got ${size}`);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new OptionError('ThumbnailsOptions.concurrency', `expected an integer ≥ 1, got ${concurrency}`);
  if (cacheDir !== undefined && typeof cacheDir !== 'string') throw new OptionError('ThumbnailsOptions.cacheDir', `expected a folder path, got ${JSON.stringify(cacheDir)}`);
  const cacheFile = cacheDir === undefined ? undefined : thumbnailCacheFile(cacheDir, size);
  let damaged = false;
  const cached = cacheFile
    ? await readThumbnailCache(cacheFile, THUMBNAIL_METHOD, size, (m) => {
        damaged = true;
        onMessage(m);
      })
    : new Map<string, { entry: ThumbnailEntry; thumb: Float32Array }>();
  const out = new Array<Float32Array>(files.length);
  let fromCache = 0;
  let decoded = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const file = files[i];
      if (!cacheFile) {
        out[i] = await thumbnail(file, size);
        continue;
      }
      // stat before reading: a file changed in between is recorded with its older identity and decoded again next time
      const abs = path.resolve(file);
      let st: Stats;
      try {
        st = statSync(abs);
      } catch (err) {
        throw new DataError(`cannot read file: ${(err as Error).message}`, { file });
      }
      const hit = cached.get(abs);
      if (hit && sameIdentity(hit.entry, st)) {
        out[i] = hit.thumb;
        fromCache++;
        continue;
      }
      const thumb = await thumbnail(file, size);
      out[i] = thumb;
      decoded++;
      cached.set(abs, { entry: { file: abs, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, crc: thumbnailCrc(abs, thumb) }, thumb });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  if (cacheFile && (decoded > 0 || damaged)) {
    await writeThumbnailCache(cacheFile, THUMBNAIL_METHOD, size, cached).catch((err: NodeJS.ErrnoException) => {
      onMessage(`thumbnail cache ${cacheFile} cannot be written (${err.code ?? String(err)}): thumbnails will be decoded again next time`);
    });
  }
  return { thumbs: out, fromCache, decoded };
}

/** The middle slice across the last spatial axis (axis 2), first channel, of a [nx, ny, nz, c] sample. */
export function middleSlice(data: Float32Array, shape: readonly number[]): Float32Array {
  const [nx, ny, nz, c] = shape;
  const k = Math.floor(nz / 2);
  const out = new Float32Array(nx * ny);
  for (let i = 0; i < nx * ny; i++) out[i] = data[(i * nz + k) * c];
  return out;
}
