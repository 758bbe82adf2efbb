/**
 * readNifti / readNiftiHeader: NIfTI-1 and NIfTI-2 (.nii, .nii.gz) into a {@link Volume}.
 */
import { rejectUnknownOptions } from '../../backend/errors.js';
import type { Volume } from '../volume.js';
import { readHead, readMaybeGzip } from './bytes.js';
import { checkReadNiftiOptions, decodeNifti, DEFAULT_READ_NIFTI, type ReadNiftiOptions } from './decode.js';
import { NIFTI2_HEADER_BYTES, parseNiftiHeader, type NiftiHeader } from './header.js';

export { DEFAULT_READ_NIFTI, type ReadNiftiOptions } from './decode.js';

/**
 * Reads the header of a NIfTI file (.nii or .nii.gz, detected by magic bytes).
 * Only the first bytes are decompressed, so this is much faster than {@link readNifti};
 * it does not check that the voxel data is complete.
 * @example
 * const h = await readNiftiHeader('t1.nii.gz'); // h.dims → [120, 120, 90], h.datatype → 'uint8'
 */
export async function readNiftiHeader(path: string): Promise<NiftiHeader> {
  return parseNiftiHeader(await readHead(path, NIFTI2_HEADER_BYTES), path);
}

/**
 * Reads a NIfTI volume: scaled by scl_slope/scl_inter, in our C-order layout
 * (`vol.get(i, j, k)` equals nibabel's `get_fdata()[i, j, k]`), reoriented to RAS+ by default.
 * @param path a .nii or .nii.gz file (gzip is detected by its magic bytes)
 * @param options see {@link ReadNiftiOptions}
 * @throws DataError naming the file for bad gzip, wrong magic, unsupported datatype,
 *   missing voxel bytes, a 4D file without `volumeIndex`, or NaN/Inf voxels.
 * @example
 * const vol = await readNifti('IXI002_T1.nii.gz'); // vol.shape → [90, 120, 120] (RAS+)
 */
export async function readNifti(path: string, options: ReadNiftiOptions = {}): Promise<Volume> {
  rejectUnknownOptions('ReadNiftiOptions', options, DEFAULT_READ_NIFTI);
  const opts = { ...DEFAULT_READ_NIFTI, ...options };
  checkReadNiftiOptions(opts);
  return decodeNifti(await readMaybeGzip(path), path, opts);
}
