/** Synthetic brain-like 2D slices for near-duplicate tests (no real data needed). */
import sharp from 'sharp';
import { Rng } from '../../src/backend/rng.js';

/**
 * A synthetic axial "slice" of `size` px: a head ellipse (a soft skull ring 230 around brain 110,
 * edges ramped over ~2 px as in a real scan) with the subject's shape, two dark ventricles and a
 * few bright/dark blobs placed by the subject's Rng. Slices of one subject share the outline;
 * `level` moves the ventricles and shrinks the head slightly, as neighbouring slices do.
 */
export function slice(subject: number, level: number, size = 128): Uint8Array {
  const rng = new Rng(subject).fork('slice');
  const ax = 0.3 + 0.08 * rng.next();
  const ay = 0.38 + 0.08 * rng.next();
  const blobs = Array.from({ length: 6 }, () => ({ x: rng.uniform(-0.2, 0.2), y: rng.uniform(-0.25, 0.25), r: rng.uniform(0.04, 0.09), v: rng.uniform(-60, 60) }));
  const shrink = 1 - 0.02 * level;
  const ramp = (t: number): number => Math.min(1, Math.max(0, t));
  const edge = 2 / (size * ax); // ~2 px in normalised radius
  const out = new Uint8Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const x = (c + 0.5) / size - 0.5;
      const y = (r + 0.5) / size - 0.5;
      const rho = Math.sqrt((x / (ax * shrink)) ** 2 + (y / (ay * shrink)) ** 2);
      const head = ramp((1 - rho) / edge); // 1 inside, 0 outside
      const brain = ramp((0.92 - rho) / edge);
      let v = 230 * head - 120 * brain;
      if (brain > 0) {
        for (const b of blobs) v += brain * b.v * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
        const vy = 0.03 * level;
        for (const sx of [-0.06, 0.06]) v -= 80 * ramp((1 - Math.sqrt(((x - sx) / 0.035) ** 2 + ((y - vy) / 0.09) ** 2)) / 0.3);
      }
      out[r * size + c] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return out;
}

export function shifted(img: Uint8Array, size: number, dx: number, dy: number): Uint8Array {
  const out = new Uint8Array(size * size);
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) {
    const [sr, sc] = [r - dy, c - dx];
    out[r * size + c] = sr >= 0 && sr < size && sc >= 0 && sc < size ? img[sr * size + sc] : 0;
  }
  return out;
}

export const png = (px: Uint8Array, size = 128): Promise<Buffer> => sharp(Buffer.from(px), { raw: { width: size, height: size, channels: 1 } }).png().toBuffer();
export const jpeg = (px: Uint8Array, quality: number, size = 128): Promise<Buffer> => sharp(Buffer.from(px), { raw: { width: size, height: size, channels: 1 } }).jpeg({ quality }).toBuffer();

