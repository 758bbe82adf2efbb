/**
 * Known answers: our reader against numbers nibabel 5.0 computed once on the
 * real files (test/fixtures/io/nifti-known.json; generator named inside).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNifti, readNiftiHeader } from '../../src/data/nifti/reader.js';
import type { Affine, Volume } from '../../src/data/volume.js';
import { SHARED_DATA } from '../helpers/shared-data.js';

const DATA = SHARED_DATA;

interface Known {
  path: string;
  datatype: string;
  shape: number[];
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  affine: number[][];
  canonicalShape: number[];
  canonicalAffine: number[][];
  canonicalZooms: number[];
  min: number;
  max: number;
  mean: number;
  points: Array<{ world: number[]; rasVoxel: number[]; originalVoxel: number[]; value: number }>;
}
const known = JSON.parse(readFileSync(new URL('../fixtures/io/nifti-known.json', import.meta.url), 'utf8')) as { files: Record<string, Known> };

/** |a − b| ≤ 1e-4 · max(1, |b|): relative tolerance 1e-4, absolute near 0. */
function close(a: number, b: number): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(b)));
}
function closeAffine(a: Affine, b: number[][]): void {
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) close(a[r][c], b[r][c]);
}
function stats(v: Volume): { min: number; max: number; mean: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of v.data) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  return { min, max, mean: sum / v.data.length };
}
/** Voxel of a world point under an axis-aligned (possibly permuted) affine, by solving A·v = w. */
function voxelOf(a: Affine, world: number[]): number[] {
  const v = [0, 0, 0];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      if (a[r][c] !== 0) v[c] = (world[r] - a[r][3]) / a[r][c];
    }
  }
  return v.map((x) => Math.round(x * 1e6) / 1e6);
}

const present = existsSync(join(DATA, 'ixi-t1-2mm')) && existsSync(join(DATA, 'mni-templates'));
describe.skipIf(!present)(`NIfTI known answers from nibabel (skipped: ${SHARED_DATA}/{ixi-t1-2mm,mni-templates} not present)`, () => {
  for (const [key, k] of Object.entries(known.files)) {
    it(`${key}: header (${k.datatype}, vox_offset ${k.voxOffset}, slope ${k.sclSlope.toFixed(3)})`, async () => {
      const h = await readNiftiHeader(join(DATA, k.path));
      expect(h.dims).toEqual(k.shape);
      expect(h.datatype).toBe(k.datatype);
      expect(h.voxOffset).toBe(k.voxOffset);
      expect(h.pixdim[0]).toBe(k.pixdim[0]);
      expect([h.qformCode, h.sformCode]).toEqual([k.qformCode, k.sformCode]);
      if (k.sclSlope !== 1 || k.sclInter !== 0) {
        close(h.sclSlope, k.sclSlope);
        close(h.sclInter, k.sclInter);
      }
      closeAffine(h.affine, k.affine);
    });

    it(`${key}: shape, affine and min/max/mean before and after RAS+ reorientation`, async () => {
      const raw = await readNifti(join(DATA, k.path), { reorient: false });
      expect(raw.shape).toEqual(k.shape);
      closeAffine(raw.affine, k.affine);
      const s = stats(raw);
      close(s.min, k.min);
      close(s.max, k.max);
      close(s.mean, k.mean);
      const ras = await readNifti(join(DATA, k.path));
      expect(ras.shape).toEqual(k.canonicalShape);
      closeAffine(ras.affine, k.canonicalAffine);
      expect(ras.spacing).toEqual(k.canonicalZooms);
      const t = stats(ras);
      close(t.mean, k.mean);
      for (const p of k.points) {
        const v = voxelOf(ras.affine, p.world);
        expect(v).toEqual(p.rasVoxel);
        close(ras.get(v[0], v[1], v[2]), p.value);
        const o = p.originalVoxel;
        close(raw.get(o[0], o[1], o[2]), p.value);
      }
    });
  }
});
