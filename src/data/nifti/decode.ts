/**
 * decodeNifti: NIfTI-1/2 bytes (already decompressed) into a {@link Volume}, reoriented to RAS+ and
 * scaled by scl_slope/scl_inter. Pure (no Node APIs): `readNifti` and the browser runtime share it.
 */
import { DataError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { countNonFinite } from '../../backend/non-finite.js';
import { Volume, type Shape3 } from '../volume.js';
import { supportedDatatype, voxelView, type VoxelArray } from './datatypes.js';
import { parseNiftiHeader, type NiftiHeader } from './header.js';
import { ioOrientation, reorientGeometry, type Orientation } from './reorient.js';

/** Options of {@link readNifti} and {@link decodeNifti}. */
export interface ReadNiftiOptions {
  /**
   * Reorient to the closest canonical RAS+ orientation (like nibabel's
   * `as_closest_canonical`), updating the affine and spacing. Default true.
   */
  reorient?: boolean;
  /** Which volume of a 4D file to read (0-based). Required for 4D input; default undefined. */
  volumeIndex?: number;
  /**
   * What to do with NaN / ±Inf voxels: 'error' throws a DataError with their count,
   * 'zero' replaces them by 0. Default 'error'.
   */
  nonFinite?: 'error' | 'zero';
}

/** Defaults of {@link ReadNiftiOptions}. */
export const DEFAULT_READ_NIFTI: Readonly<{ reorient: boolean; volumeIndex: number | undefined; nonFinite: 'error' | 'zero' }> = {
  reorient: true,
  volumeIndex: undefined,
  nonFinite: 'error',
};

/**
 * Decodes the bytes of a NIfTI file (gunzipped already) as `readNifti` does.
 * @param file name used in errors
 * @throws DataError naming the file (see readNifti)
 * @example const vol = decodeNifti(bytes, 'scan.nii');
 */
export function decodeNifti(bytes: Uint8Array, file: string, options: ReadNiftiOptions = {}): Volume {
  rejectUnknownOptions('ReadNiftiOptions', options, DEFAULT_READ_NIFTI);
  const opts = { ...DEFAULT_READ_NIFTI, ...options };
  checkReadNiftiOptions(opts);
  const path = file;
  const h = parseNiftiHeader(bytes, path);
  const type = supportedDatatype(h.datatypeCode, path);
  const shape = spatialShape(h, path);
  const n3 = shape[0] * shape[1] * shape[2];
  const nVolumes = h.dims.slice(3).reduce((a, b) => a * b, 1);
  const t = pickVolume(h, nVolumes, opts.volumeIndex, path);

  const minOffset = h.version === 1 ? 352 : 544;
  if (h.voxOffset < minOffset) {
    throw new DataError(`vox_offset ${h.voxOffset} is inside the header (a single-file NIfTI-${h.version} needs at least ${minOffset})`, { file: path });
  }
  const needed = h.voxOffset + n3 * nVolumes * type.bytes;
  if (bytes.length < needed) {
    throw new DataError(
      `header says ${n3 * nVolumes} ${type.name} voxels (dims [${h.dims.join(', ')}]) from byte ${h.voxOffset}, ` +
        `i.e. ${needed} bytes, but the file holds only ${bytes.length}`,
      { file: path },
    );
  }
  const src = voxelView(bytes, h.voxOffset + t * n3 * type.bytes, n3, type, h.littleEndian);
  const { slope, inter } = scaling(h, path);

  const orientation: Orientation = opts.reorient ? ioOrientation(h.affine) : [0, 1, 2].map((axis) => ({ axis, flip: 1 as const }));
  const geo = reorientGeometry(orientation, shape, h.affine);
  const data = new Float32Array(n3);
  copyFortranToC(src, shape, geo.shape, orientation, slope, inter, data);

  const bad = countNonFinite(data);
  if (bad > 0) {
    if (opts.nonFinite === 'error') {
      throw new DataError(`${bad} of ${n3} voxels are NaN or infinite (use nonFinite: 'zero' to replace them by 0)`, { file: path });
    }
    for (let p = 0; p < n3; p++) if (!Number.isFinite(data[p])) data[p] = 0;
  }
  const zooms = [1, 2, 3].map((a) => Math.abs(h.pixdim[a]) || 1);
  const spacing = geo.inputAxisOf.map((i) => zooms[i]) as [number, number, number];
  return new Volume({ data, shape: geo.shape, spacing, affine: geo.affine });
}

/** Throws an OptionError for a bad {@link ReadNiftiOptions} value. */
export function checkReadNiftiOptions(opts: ReadNiftiOptions): void {
  if (typeof opts.reorient !== 'boolean') throw new OptionError('ReadNiftiOptions.reorient', `expected a boolean, got ${String(opts.reorient)}`);
  if (opts.volumeIndex !== undefined && !(Number.isInteger(opts.volumeIndex) && opts.volumeIndex >= 0)) {
    throw new OptionError('ReadNiftiOptions.volumeIndex', `expected an integer >= 0, got ${String(opts.volumeIndex)}`);
  }
  if (opts.nonFinite !== 'error' && opts.nonFinite !== 'zero') {
    throw new OptionError('ReadNiftiOptions.nonFinite', `expected 'error' or 'zero', got ${String(opts.nonFinite)}`);
  }
}

/** [nx, ny, nz] of the first three dims (missing ones are 1); dims above 4 must be 1. */
function spatialShape(h: NiftiHeader, file: string): Shape3 {
  const extra = h.dims.slice(4);
  if (extra.some((d) => d !== 1)) {
    throw new DataError(`${h.dims.length}D data (dims [${h.dims.join(', ')}]) is not supported; only 3D or 4D`, { file });
  }
  return [h.dims[0] ?? 1, h.dims[1] ?? 1, h.dims[2] ?? 1];
}

function pickVolume(h: NiftiHeader, nVolumes: number, index: number | undefined, file: string): number {
  if (nVolumes === 1) {
    if (index !== undefined && index !== 0) {
      throw new DataError(`volumeIndex ${index} asked for, but the file holds a single 3D volume`, { file });
    }
    return 0;
  }
  if (index === undefined) {
    throw new DataError(`4D file with ${nVolumes} volumes (dims [${h.dims.join(', ')}]): pass volumeIndex (0..${nVolumes - 1}) to pick one`, { file });
  }
  if (index >= nVolumes) {
    throw new DataError(`volumeIndex ${index} is out of range: the 4th dimension has size ${nVolumes}`, { file });
  }
  return index;
}

/** scl_slope/scl_inter as nibabel applies them: slope 0 or non-finite means no scaling. */
function scaling(h: NiftiHeader, file: string): { slope: number; inter: number } {
  if (h.sclSlope === 0 || !Number.isFinite(h.sclSlope)) return { slope: 1, inter: 0 };
  if (!Number.isFinite(h.sclInter)) throw new DataError(`scl_slope is ${h.sclSlope} but scl_inter is ${h.sclInter}`, { file });
  return { slope: h.sclSlope, inter: h.sclInter };
}

/**
 * One pass over the file's voxels (i fastest) writing our C-order output, with
 * the reorientation folded into the output strides and the scaling applied.
 */
function copyFortranToC(src: VoxelArray, shape: Shape3, outShape: Shape3, o: Orientation, slope: number, inter: number, out: Float32Array): void {
  const outStride = [outShape[1] * outShape[2], outShape[2], 1];
  const s = [0, 0, 0];
  let base = 0;
  for (let a = 0; a < 3; a++) {
    s[a] = outStride[o[a].axis] * o[a].flip;
    if (o[a].flip === -1) base += (shape[a] - 1) * outStride[o[a].axis];
  }
  const [nx, ny, nz] = shape;
  const [s0, s1, s2] = s;
  const scaled = slope !== 1 || inter !== 0;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let q = base + j * s1 + k * s2;
      if (scaled) {
        for (let i = 0; i < nx; i++, q += s0) out[q] = src[p++] * slope + inter;
      } else {
        for (let i = 0; i < nx; i++, q += s0) out[q] = src[p++];
      }
    }
  }
}

