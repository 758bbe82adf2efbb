import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, OptionError } from '../../src/backend/errors.js';
import { readNifti, readNiftiHeader } from '../../src/data/nifti/reader.js';
import { buildNifti, type BuildNiftiSpec } from '../fixtures/io/build-nifti.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'transmri-nifti-bad-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function put(bytes: Uint8Array, name = `bad${counter++}.nii.gz`): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
const good: BuildNiftiSpec = { dims: [4, 4, 4], datatype: 4, values: Array.from({ length: 64 }, (_, p) => p) };

/** Expects a DataError whose message names the file and matches `pattern`. */
async function rejects(promise: Promise<unknown>, path: string, pattern: RegExp): Promise<DataError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  const e = err as DataError;
  expect(e.file).toBe(path);
  expect(e.message.startsWith(`${path}: `)).toBe(true);
  expect(e.message).toMatch(pattern);
  return e;
}

describe('readNifti refuses bad input with a DataError naming the file', () => {
  it('truncated gzip', async () => {
    const gz = gzipSync(buildNifti(good));
    const path = put(gz.subarray(0, gz.length - 30));
    await rejects(readNifti(path), path, /truncated gzip stream/);
    // The header alone is intact: readNiftiHeader only inflates the first bytes.
    expect((await readNiftiHeader(path)).dims).toEqual([4, 4, 4]);
    const tiny = put(gz.subarray(0, 30));
    await rejects(readNiftiHeader(tiny), tiny, /truncated gzip stream/);
  });

  it('corrupt gzip', async () => {
    const gz = Buffer.from(gzipSync(buildNifti(good)));
    gz.fill(0xff, 20, 60); // garbage inside the deflate stream
    const path = put(gz);
    await rejects(readNifti(path), path, /corrupt gzip stream/);
    await rejects(readNiftiHeader(path), path, /corrupt gzip stream/);
  });

  it('wrong magic (NIfTI-1 and NIfTI-2) and a file that is not NIfTI at all', async () => {
    const p1 = put(buildNifti({ ...good, magic: 'xyz\0' }), 'magic1.nii');
    await rejects(readNifti(p1), p1, /wrong NIfTI-1 magic at byte 344: "xyz\\u0000" \(expected "n\+1"\)/);
    const p2 = put(buildNifti({ ...good, version: 2, magic: 'n+1\0' }), 'magic2.nii');
    await rejects(readNiftiHeader(p2), p2, /wrong NIfTI-2 magic/);
    const p3 = put(new Uint8Array(400).fill(0x41), 'text.nii');
    await rejects(readNifti(p3), p3, /sizeof_hdr is neither 348 nor 540 \(first bytes: 41 41 41/);
    const p4 = put(new Uint8Array(100), 'short.nii');
    await rejects(readNifti(p4), p4, /only 100 bytes/);
    const p5 = put(buildNifti({ ...good, magic: 'ni1\0' }), 'pair.nii');
    await rejects(readNifti(p5), p5, /header\/image pair/);
  });

  it('header says more data than the file holds', async () => {
    const bytes = buildNifti(good); // 352 + 64 · 2 = 480 bytes
    const path = put(gzipSync(bytes.subarray(0, 470)));
    await rejects(readNifti(path), path, /64 int16 voxels \(dims \[4, 4, 4\]\) from byte 352, i\.e\. 480 bytes, but the file holds only 470/);
  });

  it('unsupported datatypes are named (complex64, rgb24, int64)', async () => {
    const c = put(buildNifti({ ...good, datatype: 32 }));
    await rejects(readNifti(c), c, /unsupported NIfTI datatype complex64 \(code 32\)/);
    const r = put(buildNifti({ ...good, datatype: 128 }));
    await rejects(readNifti(r), r, /unsupported NIfTI datatype rgb24 \(code 128\)/);
    // The header alone is still readable, and names the type.
    expect((await readNiftiHeader(r)).datatype).toBe('rgb24');
    const bytes = Buffer.from(buildNifti({ ...good, datatype: 16 }));
    bytes.writeInt16LE(1024, 70); // datatype int64
    const i64 = put(bytes);
    await rejects(readNifti(i64), i64, /int64 \(code 1024\)/);
  });

  it('NaN / Inf voxels: error with the count, or replaced by 0 on request', async () => {
    const values = [1, NaN, 2, Infinity, -Infinity, 3, 4, 5];
    const path = put(buildNifti({ dims: [2, 2, 2], datatype: 64, values }));
    await rejects(readNifti(path), path, /3 of 8 voxels are NaN or infinite/);
    const vol = await readNifti(path, { nonFinite: 'zero', reorient: false });
    // file order [1, NaN, 2, Inf, −Inf, 3, 4, 5] → C-order over 2×2×2: get(i,j,k) = file[i + 2j + 4k]
    expect([...vol.data]).toEqual([1, 0, 2, 4, 0, 3, 0, 5]);
  });

  it('4D without volumeIndex names the 4th dimension size; out-of-range index; 5D', async () => {
    const path = put(buildNifti({ dims: [2, 2, 2, 7], datatype: 2, values: new Array(56).fill(1) }));
    await rejects(readNifti(path), path, /4D file with 7 volumes \(dims \[2, 2, 2, 7\]\): pass volumeIndex \(0\.\.6\)/);
    await rejects(readNifti(path, { volumeIndex: 7 }), path, /volumeIndex 7 is out of range: the 4th dimension has size 7/);
    const five = put(buildNifti({ dims: [2, 1, 1, 1, 3], datatype: 2, values: new Array(6).fill(1) }));
    await rejects(readNifti(five), five, /5D data/);
  });

  it('missing file', async () => {
    const path = join(dir, 'nope.nii.gz');
    await rejects(readNifti(path), path, /cannot read file: ENOENT/);
  });

  it('bad options throw OptionError', async () => {
    const path = put(buildNifti(good));
    await expect(readNifti(path, { reoriented: true } as never)).rejects.toBeInstanceOf(OptionError);
    await expect(readNifti(path, { volumeIndex: -1 })).rejects.toThrow(/option ReadNiftiOptions\.volumeIndex: expected an integer >= 0, got -1/);
    await expect(readNifti(path, { nonFinite: 'nan' as never })).rejects.toThrow(/ReadNiftiOptions\.nonFinite/);
  });
});
