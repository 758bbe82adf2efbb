/**
 * readImage2d: a PNG or JPEG file (decoded by its magic bytes, not its
 * extension) as a one-slice {@link Volume} of shape [H, W, 1], grey or RGB,
 * values 0..255 as float32. Decoding uses `sharp` (libvips); resizing
 * reimplements PIL's bilinear resampling (see `image2d-resize.ts`).
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { DataError, OptionError, rejectUnknownOptions } from '../backend/errors.js';
import { imageVolumeFromPixels } from './image-pixels.js';
import type { Volume } from './volume.js';

/** Options of {@link readImage2d}. */
export interface ReadImage2dOptions {
  /**
   * 'grey': one channel; colour images are converted with the ITU-R 601-2 luma
   * weights in integer arithmetic exactly as PIL's `convert('L')`
   * (L = (19595 R + 38470 G + 7471 B + 32768) >> 16). 'rgb': three channels;
   * grey images are replicated. Alpha is dropped (not composited), as PIL's
   * `convert('RGB')` does. Default 'grey'.
   */
  mode?: 'grey' | 'rgb';
  /**
   * Resize to [height, width], ignoring the aspect ratio, with PIL's BILINEAR
   * resampling (a triangle filter that widens when shrinking, so downsizing is
   * antialiased; 8-bit fixed point, horizontal pass then vertical), which gives
   * the same pixels as `Image.resize((width, height), Image.BILINEAR)`.
   * Default undefined (keep the size).
   */
  size?: [number, number];
}

/** Defaults of {@link ReadImage2dOptions}. */
export const DEFAULT_READ_IMAGE2D: Readonly<{ mode: 'grey' | 'rgb'; size: [number, number] | undefined }> = {
  mode: 'grey',
  size: undefined,
};

/** Image formats readImage2d decodes. */
export type Image2dFormat = 'png' | 'jpeg';

/** The format of image bytes from their magic number, or null. */
export function sniffImageFormat(bytes: Uint8Array): Image2dFormat | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/**
 * Reads a 2D PNG or JPEG image as a Volume of shape [H, W, 1] with 1 (grey) or
 * 3 (RGB) channels, values 0..255 (16-bit PNGs are brought to 8 bits by libvips, value >> 8).
 * @param path image file; its extension is ignored (PNGs named .jpg are fine)
 * @param options see {@link ReadImage2dOptions}
 * @throws DataError naming the file (and the first bytes seen) when it is neither PNG nor JPEG or cannot be decoded.
 * @example
 * const img = await readImage2d('Tr-gl_0010.jpg', { size: [224, 224] }); // shape [224, 224, 1], channels 1
 */
export async function readImage2d(path: string, options: ReadImage2dOptions = {}): Promise<Volume> {
  rejectUnknownOptions('ReadImage2dOptions', options, DEFAULT_READ_IMAGE2D);
  const opts = { ...DEFAULT_READ_IMAGE2D, ...options };
  if (opts.mode !== 'grey' && opts.mode !== 'rgb') {
    throw new OptionError('ReadImage2dOptions.mode', `expected 'grey' or 'rgb', got ${String(opts.mode)}`);
  }
  const size = opts.size;
  if (size !== undefined && !(Array.isArray(size) && size.length === 2 && size.every((d) => Number.isInteger(d) && d >= 1))) {
    throw new OptionError('ReadImage2dOptions.size', `expected [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DataError(`cannot read file: ${(err as Error).message}`, { file: path });
  }
  const format = sniffImageFormat(bytes);
  if (format === null) {
    const first = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`neither PNG (89 50 4e 47) nor JPEG (ff d8 ff): first bytes ${first || '(empty file)'}`, { file: path });
  }
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    decoded = await sharp(bytes, { failOn: 'error' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DataError(`cannot decode ${format.toUpperCase()}: ${(err as Error).message}`, { file: path });
  }
  const { width, height, channels: inChannels } = decoded.info;
  return imageVolumeFromPixels(decoded.data, width, height, inChannels, opts.mode, size, path);
}
