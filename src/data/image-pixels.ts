/**
 * Decoded 8-bit pixels (any of 1–4 interleaved channels) → the Volume readImage2d returns: grey with
 * PIL's integer luma or RGB, then PIL's bilinear resize. Pure (no Node APIs): `readImage2d` (pixels
 * from sharp) and the browser runtime (pixels from a canvas, RGBA) share it, so both give the same input.
 */
import { DataError } from '../backend/errors.js';
import { resizeBilinearPil } from './resize-bilinear-pil.js';
import { Volume } from './volume.js';

/**
 * A [H, W, 1] Volume with 1 (grey) or 3 (RGB) channels, values 0..255, from interleaved pixels.
 * @param src width·height·inChannels bytes, row-major
 * @param size [height, width] to resize to (PIL bilinear), or undefined to keep
 * @param file name used in errors
 */
export function imageVolumeFromPixels(src: Uint8Array | Uint8ClampedArray, width: number, height: number, inChannels: number, mode: 'grey' | 'rgb', size: [number, number] | undefined, file: string): Volume {
  const outChannels = mode === 'grey' ? 1 : 3;
  let pixels: Uint8Array = convertChannels(src, width * height, inChannels, outChannels, file);
  let [h, w] = [height, width];
  if (size && (size[0] !== height || size[1] !== width)) {
    pixels = resizeBilinearPil(pixels, height, width, outChannels, size[0], size[1]);
    [h, w] = size;
  }
  const data = new Float32Array(pixels.length);
  for (let p = 0; p < pixels.length; p++) data[p] = pixels[p];
  return new Volume({ data, shape: [h, w, 1], channels: outChannels });
}

/** 1, 2 (grey + alpha), 3 (RGB) or 4 (RGBA) interleaved channels → 1 (grey, PIL luma) or 3 (RGB). */
function convertChannels(src: Uint8Array | Uint8ClampedArray, n: number, inC: number, outC: 1 | 3, file: string): Uint8Array {
  if (inC < 1 || inC > 4) throw new DataError(`unsupported channel count ${inC}`, { file });
  const out = new Uint8Array(n * outC);
  const colour = inC >= 3;
  for (let p = 0, s = 0, o = 0; p < n; p++, s += inC, o += outC) {
    if (outC === 1) {
      out[o] = colour ? (src[s] * 19595 + src[s + 1] * 38470 + src[s + 2] * 7471 + 0x8000) >> 16 : src[s];
    } else if (colour) {
      out[o] = src[s];
      out[o + 1] = src[s + 1];
      out[o + 2] = src[s + 2];
    } else {
      out[o] = out[o + 1] = out[o + 2] = src[s];
    }
  }
  return out;
}
