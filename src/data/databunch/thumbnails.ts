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
import { availableParallelism } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { DataError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { readNifti } from '../nifti/reader.js';
import { sniffImageFormat } from '../read-image2d.js';
import { boxResize, centredThumbnail, jpegThumbnail } from './thumbnail-math.js';
import { jpegThumbnailsParallel } from './thumbnail-pool.js';
import { readThumbnailCache, sameIdentity, thumbnailCacheFile, thumbnailCrc, writeThumbnailCache, type ThumbnailEntry } from './thumbnail-cache.js';

export { boxResize, centredThumbnail };

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
    const thumb = jpegThumbnail(bytes, size);
    if (thumb) return thumb;
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
  /** Receives the cache's messages (damaged file, not writable) and the worker threads' (one could not start or failed); default console.warn. */
  onMessage?: (message: string) => void;
  /**
   * Worker threads decoding JPEGs beside the main thread (thumbnail-pool.ts; the thumbnails are
   * the same whichever thread makes them), or 'auto': one less than the available cores when at
   * least {@link MIN_FILES_FOR_WORKERS} files are to be decoded. Default 0: a worker pays off
   * only on an idle core (measured on 2 shared cores at load 5: 7.4 s with one worker against
   * 6.1 s without, for 7,023 JPEGs), and from the TypeScript source it is started through tsx.
   */
  workers?: number | 'auto';
}

/** Fewest files to decode for which 'auto' starts worker threads (starting one costs tens of milliseconds). */
export const MIN_FILES_FOR_WORKERS = 256;

/** Defaults of {@link ThumbnailsOptions}. */
export const DEFAULT_THUMBNAILS: Required<Omit<ThumbnailsOptions, 'cacheDir'>> & { cacheDir: string | undefined } = {
  size: THUMBNAIL_SIZE,
  concurrency: 4,
  cacheDir: undefined,
  onMessage: (m) => console.warn(m),
  workers: 0 as number | 'auto',
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
  const { size, concurrency, cacheDir, onMessage, workers } = { ...DEFAULT_THUMBNAILS, ...options };
  if (!(workers === 'auto' || (Number.isInteger(workers) && workers >= 0))) throw new OptionError('ThumbnailsOptions.workers', `expected 'auto' or an integer ≥ 0, got ${JSON.stringify(workers)}`);
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
  // the files to decode, with their identity taken before reading: a file changed in between is recorded with its older identity and decoded again next time
  const todo: Array<{ i: number; abs: string; st?: Stats }> = [];
  for (let i = 0; i < files.length; i++) {
    if (!cacheFile) {
      todo.push({ i, abs: files[i] });
      continue;
    }
    const abs = path.resolve(files[i]);
    let st: Stats;
    try {
      st = statSync(abs);
    } catch (err) {
      throw new DataError(`cannot read file: ${(err as Error).message}`, { file: files[i] });
    }
    const hit = cached.get(abs);
    if (hit && sameIdentity(hit.entry, st)) {
      out[i] = hit.thumb;
      fromCache++;
    } else todo.push({ i, abs, st });
  }
  const threads = workers === 'auto' ? (todo.length >= MIN_FILES_FOR_WORKERS ? availableParallelism() - 1 : 0) : workers;
  const fast = threads > 0 ? await jpegThumbnailsParallel(todo.map((t) => files[t.i]), size, threads, onMessage) : undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const k = next++;
      const { i, abs, st } = todo[k];
      const thumb = fast?.[k] ?? (await thumbnail(files[i], size));
      out[i] = thumb;
      if (st) cached.set(abs, { entry: { file: abs, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, crc: thumbnailCrc(abs, thumb) }, thumb });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  const decoded = todo.length;
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
