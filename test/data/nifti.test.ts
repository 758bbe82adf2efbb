import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti, readNiftiHeader } from '../../src/data/nifti/reader.js';
import { writeNifti } from '../../src/data/nifti/writer.js';
import { Volume, type Affine } from '../../src/data/volume.js';
import { buildNifti, type BuildNiftiSpec } from '../fixtures/io/build-nifti.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'transmri-nifti-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(spec: BuildNiftiSpec, gz = false): string {
  const path = join(dir, `f${counter++}.nii${gz ? '.gz' : ''}`);
  const bytes = buildNifti(spec);
  writeFileSync(path, gz ? gzipSync(bytes) : bytes);
  return path;
}
const ID_SROW = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
];
/** 0..n-1 in file order: value at (i, j, k) of a 2×3×4 volume is i + 2j + 6k. */
const ramp = (n: number): number[] => Array.from({ length: n }, (_, p) => p);

describe('readNifti: layout, datatypes, scaling', () => {
  it('converts the file order (i fastest) to C-order so get(i, j, k) = file[i + nx*(j + ny*k)]', async () => {
    const vol = await readNifti(file({ dims: [2, 3, 4], datatype: 4, values: ramp(24), sformCode: 1, srow: ID_SROW }));
    expect(vol.shape).toEqual([2, 3, 4]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(vol.get(i, j, k)).toBe(i + 2 * j + 6 * k);
    // C-order: the last axis is contiguous: data[0..3] = get(0,0,0..3) = 0, 6, 12, 18
    expect([...vol.data.subarray(0, 4)]).toEqual([0, 6, 12, 18]);
  });

  const cases: Array<[string, number, number[]]> = [
    ['uint8', 2, [0, 1, 127, 255]],
    ['int8', 256, [-128, -1, 0, 127]],
    ['int16', 4, [-32768, -2, 300, 32767]],
    ['uint16', 512, [0, 1, 40000, 65535]],
    ['int32', 8, [-2147483648, -7, 123456, 2147483647]],
    ['float32', 16, [-1.5, 0.25, 3e10, -0]],
    ['float64', 64, [-1.5, 1e-300, 0.1, 1e30]], // 1e-300 underflows to 0 in float32
  ];
  for (const [name, code, values] of cases) {
    for (const le of [true, false]) {
      it(`reads ${name} ${le ? 'little' : 'big'}-endian`, async () => {
        const path = file({ dims: [4, 1, 1], datatype: code, values, littleEndian: le }, true);
        const h = await readNiftiHeader(path);
        expect(h.datatype).toBe(name);
        expect(h.littleEndian).toBe(le);
        const vol = await readNifti(path, { reorient: false });
        expect([...vol.data]).toEqual(values.map((x) => Math.fround(x)));
      });
    }
  }

  it('applies scl_slope and scl_inter; slope 0 or NaN means unscaled', async () => {
    // uint8 [0, 1, 2, 3] · 2.5 − 1 = [−1, 1.5, 4, 6.5]
    const scaled = await readNifti(file({ dims: [4, 1, 1], datatype: 2, values: [0, 1, 2, 3], slope: 2.5, inter: -1 }), { reorient: false });
    expect([...scaled.data]).toEqual([-1, 1.5, 4, 6.5]);
    for (const slope of [0, NaN]) {
      const raw = await readNifti(file({ dims: [4, 1, 1], datatype: 2, values: [0, 1, 2, 3], slope, inter: 5 }), { reorient: false });
      expect([...raw.data]).toEqual([0, 1, 2, 3]);
    }
  });

  it('honours vox_offset past header extensions', async () => {
    const spec: BuildNiftiSpec = { dims: [2, 2, 1], datatype: 4, values: [5, 6, 7, 8], voxOffset: 400, extensionFlag: true };
    const path = file(spec);
    // Put garbage between the header and vox_offset: it must not be read as voxels.
    const bytes = readFileSync(path);
    bytes.fill(0x7f, 352, 400);
    writeFileSync(path, bytes);
    const h = await readNiftiHeader(path);
    expect(h.voxOffset).toBe(400);
    expect(h.hasExtensions).toBe(true);
    const vol = await readNifti(path, { reorient: false });
    expect([...vol.data]).toEqual([5, 7, 6, 8]); // C-order of file [5, 6, 7, 8] over 2×2×1: (0,0)=5 (0,1)=7 (1,0)=6 (1,1)=8
  });

  it('reads NIfTI-2 (little and big endian)', async () => {
    for (const le of [true, false]) {
      const path = file({ version: 2, littleEndian: le, dims: [2, 3, 4], datatype: 64, values: ramp(24), pixdim: [1, 1.5, 2, 3, 1, 1, 1, 1] }, true);
      const h = await readNiftiHeader(path);
      expect(h.version).toBe(2);
      expect(h.dims).toEqual([2, 3, 4]);
      expect(h.affineSource).toBe('pixdim');
      const vol = await readNifti(path);
      expect(vol.get(1, 2, 3)).toBe(1 + 2 * 2 + 6 * 3);
      expect(vol.spacing).toEqual([1.5, 2, 3]);
    }
  });

  it('detects gzip by magic bytes, not by the extension', async () => {
    const bytes = buildNifti({ dims: [2, 1, 1], datatype: 4, values: [3, 4] });
    const gzNamedNii = join(dir, 'gz-named.nii');
    writeFileSync(gzNamedNii, gzipSync(bytes));
    const rawNamedGz = join(dir, 'raw-named.nii.gz');
    writeFileSync(rawNamedGz, bytes);
    expect([...(await readNifti(gzNamedNii)).data]).toEqual([3, 4]);
    expect([...(await readNifti(rawNamedGz)).data]).toEqual([3, 4]);
  });

  it('reads a 2D NIfTI as a one-slice volume', async () => {
    const vol = await readNifti(file({ dims: [3, 2], datatype: 2, values: [1, 2, 3, 4, 5, 6] }), { reorient: false });
    expect(vol.shape).toEqual([3, 2, 1]);
    expect(vol.get(2, 1, 0)).toBe(6); // file index 2 + 3·1 = 5 → value 6
  });

  it('picks one volume of a 4D file with volumeIndex', async () => {
    // 2×1×1×3: volume t holds [10t, 10t + 1]
    const path = file({ dims: [2, 1, 1, 3], datatype: 4, values: [0, 1, 10, 11, 20, 21] });
    expect((await readNiftiHeader(path)).dims).toEqual([2, 1, 1, 3]);
    const vol = await readNifti(path, { volumeIndex: 2 });
    expect([...vol.data]).toEqual([20, 21]);
  });
});

describe('readNifti: affine and RAS+ reorientation', () => {
  it('uses the qform when sform_code is 0 (quaternion and qfac from pixdim[0])', async () => {
    // (b, c, d) = (0, 0, 1) is 180° about z: R = diag(−1, −1, 1). pixdim = (qfac −1; 2, 3, 4)
    // → affine columns R·diag(2, 3, −4) = diag(−2, −3, −4), offset (10, 20, 30).
    const path = file({ dims: [2, 3, 4], values: ramp(24), qformCode: 1, quatern: [0, 0, 1], qoffset: [10, 20, 30], pixdim: [-1, 2, 3, 4, 1, 1, 1, 1] });
    const h = await readNiftiHeader(path);
    expect(h.affineSource).toBe('qform');
    expect(h.affine).toEqual([
      [-2, 0, 0, 10],
      [0, -3, 0, 20],
      [0, 0, -4, 30],
      [0, 0, 0, 1],
    ]);
    // Reoriented: every axis flipped; origin moves to voxel (1, 2, 3): 10 − 2·1 = 8, 20 − 3·2 = 14, 30 − 4·3 = 18.
    const vol = await readNifti(path);
    expect(vol.affine).toEqual([
      [2, 0, 0, 8],
      [0, 3, 0, 14],
      [0, 0, 4, 18],
      [0, 0, 0, 1],
    ]);
    expect(vol.get(0, 0, 0)).toBe(23); // was voxel (1, 2, 3) = 1 + 4 + 18
    expect(vol.get(1, 2, 3)).toBe(0);
  });

  it('prefers the sform over the qform, and uses diag(pixdim) when both codes are 0', async () => {
    const both = file({ dims: [1, 1, 1], values: [0], qformCode: 1, quatern: [0, 0, 1], sformCode: 2, srow: [[3, 0, 0, 1], [0, 3, 0, 2], [0, 0, 3, 3]] });
    expect((await readNiftiHeader(both)).affine[0]).toEqual([3, 0, 0, 1]);
    const none = file({ dims: [1, 1, 1], values: [0], pixdim: [1, 0.5, 0.75, 2, 1, 1, 1, 1] });
    const h = await readNiftiHeader(none);
    expect(h.affineSource).toBe('pixdim');
    expect(h.affine).toEqual([
      [0.5, 0, 0, 0],
      [0, 0.75, 0, 0],
      [0, 0, 2, 0],
      [0, 0, 0, 1],
    ]);
  });

  it('permutes and flips a P-S-R volume (like IXI) to RAS+, keeping each value at its world position', async () => {
    // i → −y (posterior), j → +z (superior), k → +x (right): the IXI layout.
    const srow = [
      [0, 0, 2, -98],
      [-2, 0, 0, 117],
      [0, 2, 0, -117],
    ];
    const dims: [number, number, number] = [3, 4, 5];
    const path = file({ dims, datatype: 16, values: ramp(60), sformCode: 1, srow });
    const raw = await readNifti(path, { reorient: false });
    const ras = await readNifti(path);
    expect(ras.shape).toEqual([5, 3, 4]); // x from k, y from i, z from j
    // New affine: column x = old k column, column y = −(old i column), column z = old j column;
    // y offset moves to the last i voxel: 117 − 2·(3 − 1) = 113.
    expect(ras.affine).toEqual([
      [2, 0, 0, -98],
      [0, 2, 0, 113],
      [0, 0, 2, -117],
      [0, 0, 0, 1],
    ]);
    const world = (a: Affine, i: number, j: number, k: number): number[] => [0, 1, 2].map((r) => a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++)
        for (let k = 0; k < 5; k++) {
          const [x, y, z] = world(raw.affine, i, j, k);
          // RAS voxel of that world point: (x + 98)/2, (y − 113)/2, (z + 117)/2
          expect(ras.get((x + 98) / 2, (y - 113) / 2, (z + 117) / 2)).toBe(raw.get(i, j, k));
        }
  });
});

describe('writeNifti', () => {
  const affine: Affine = [
    [0, 0, 2, -98.2],
    [-2, 0, 0, 117.08],
    [0, 2, 0, -117.35],
    [0, 0, 0, 1],
  ];
  const vol = new Volume({ data: Float32Array.from({ length: 60 }, (_, p) => Math.sin(p) * 1000), shape: [3, 4, 5], spacing: [2, 2, 2], affine });

  for (const ext of ['.nii.gz', '.nii']) {
    it(`read → write → read is lossless (${ext})`, async () => {
      const a = join(dir, `rt-a${ext}`);
      await writeNifti(a, vol);
      const first = await readNifti(a, { reorient: false });
      expect(first.shape).toEqual([3, 4, 5]);
      expect(first.data).toEqual(vol.data);
      expect(first.affine).toEqual(affine.map((r) => r.map(Math.fround)));
      const b = join(dir, `rt-b${ext}`);
      await writeNifti(b, first);
      const second = await readNifti(b, { reorient: false });
      expect(Buffer.from(second.data.buffer).equals(Buffer.from(first.data.buffer))).toBe(true);
      expect(second.affine).toEqual(first.affine);
      expect(second.spacing).toEqual(first.spacing);
      const h = await readNiftiHeader(b);
      expect([h.datatype, h.version, h.sformCode, h.qformCode, h.pixdim[0]]).toEqual(['float32', 1, 1, 1, -1]);
    });
  }

  it('writes a qform that reproduces an oblique affine', async () => {
    // 30° about z, then a reflection (det < 0 → qfac −1), zooms 1.5, 2, 2.5.
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const oblique: Affine = [
      [1.5 * c, -2 * s, 0, 5],
      [1.5 * s, 2 * c, 0, -6],
      [0, 0, -2.5, 7],
      [0, 0, 0, 1],
    ];
    const path = join(dir, 'oblique.nii');
    await writeNifti(path, new Volume({ data: new Float32Array(8), shape: [2, 2, 2], spacing: [1.5, 2, 2.5], affine: oblique }));
    const bytes = readFileSync(path);
    bytes.writeInt16LE(0, 254); // sform_code 0: the reader must fall back to the qform
    writeFileSync(path, bytes);
    const h = await readNiftiHeader(path);
    expect(h.affineSource).toBe('qform');
    for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) expect(h.affine[r][k]).toBeCloseTo(oblique[r][k], 5);
  });

  it('leaves no temporary file behind and rejects other extensions', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    await writeNifti(join(sub, 'x.nii.gz'), vol);
    expect(readdirSync(sub)).toEqual(['x.nii.gz']);
    await expect(writeNifti(join(sub, 'x.img'), vol)).rejects.toThrow(/x\.img: writeNifti: the file name must end in \.nii or \.nii\.gz/);
  });
});
