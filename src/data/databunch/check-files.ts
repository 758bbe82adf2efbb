/**
 * Early checks of a DataBunch's sample files, before any is read for training: each file of every
 * split is opened and its header checked (NIfTI: magic, datatype, dimensions against the input's
 * `volumeIndex`, and for uncompressed files the length; images: the PNG/JPEG magic), several at a
 * time; every bad file is reported in one error. (Decoding every image header with libvips would
 * cost ~2 ms a file: too slow for tens of thousands of slices at each DataBunch build.)
 */
import { promises as fs } from 'node:fs';
import { DataError } from '../../backend/errors.js';
import type { SplitName } from '../batch.js';
import { isGzip } from '../nifti/bytes.js';
import { supportedDatatype } from '../nifti/datatypes.js';
import { readNiftiHeader } from '../nifti/reader.js';
import { sniffImageFormat } from '../read-image2d.js';
import type { InputSpec } from './pipeline.js';

/** Several sample files that cannot be used, found by one check; `errors` holds one DataError per file. */
export class SampleFilesError extends DataError {
  readonly errors: DataError[];

  constructor(errors: DataError[], total: number, lines: string[]) {
    super(`${errors.length} of ${total} sample files cannot be used (found before any training):\n  ${lines.join('\n  ')}`);
    this.errors = errors;
  }
}

/** Files checked at once. */
const PARALLEL = 16;

async function checkNifti(file: string, input: Extract<InputSpec, { kind: 'nifti' }>): Promise<void> {
  const h = await readNiftiHeader(file);
  const type = supportedDatatype(h.datatypeCode, file);
  if (h.dims.slice(4).some((d) => d !== 1)) throw new DataError(`${h.dims.length}D data (dims [${h.dims.join(', ')}]) is not supported; only 3D or 4D`, { file });
  const volumes = h.dims[3] ?? 1;
  const index = input.volumeIndex;
  if (volumes > 1 && index === undefined) throw new DataError(`4D file with ${volumes} volumes (dims [${h.dims.join(', ')}]): pass pipeline.input.volumeIndex (0..${volumes - 1}) to pick one`, { file });
  if (index !== undefined && index >= volumes) throw new DataError(`volumeIndex ${index} is out of range: the file holds ${volumes} volume${volumes === 1 ? '' : 's'}`, { file });
  const fh = await fs.open(file, 'r');
  try {
    const magic = new Uint8Array(2);
    await fh.read(magic, 0, 2, 0);
    if (isGzip(magic)) return; // the length of a gzip stream is known only by decompressing it
    const size = (await fh.stat()).size;
    const voxels = h.dims.slice(0, 3).reduce((a, b) => a * (b ?? 1), 1) * volumes;
    const needed = h.voxOffset + voxels * type.bytes;
    if (size < needed) throw new DataError(`header says ${voxels} ${type.name} voxels from byte ${h.voxOffset}, i.e. ${needed} bytes, but the file holds only ${size}`, { file });
  } finally {
    await fh.close();
  }
}

async function checkImage(file: string): Promise<void> {
  const fh = await fs.open(file, 'r');
  const head = new Uint8Array(8);
  try {
    await fh.read(head, 0, 8, 0);
  } finally {
    await fh.close();
  }
  if (sniffImageFormat(head) === null) {
    const first = [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`neither PNG (89 50 4e 47) nor JPEG (ff d8 ff): first bytes ${first}`, { file });
  }
}

/**
 * Checks the header of every sample file (see the module comment), `PARALLEL` at a time.
 * @throws SampleFilesError listing every bad file, by split and sample id, in sample order
 */
export async function checkSampleFiles(samples: ReadonlyArray<{ id: string; file: string; split: SplitName }>, input: InputSpec): Promise<void> {
  const found: Array<{ index: number; error: DataError }> = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < samples.length) {
      const index = next++;
      const { file } = samples[index];
      try {
        await fs.access(file).catch((err: NodeJS.ErrnoException) => {
          throw new DataError(`sample file is missing or unreadable (${err.code ?? String(err)})`, { file });
        });
        if (input.kind === 'image2d') await checkImage(file);
        else await checkNifti(file, input);
      } catch (err) {
        found.push({ index, error: err instanceof DataError ? err : new DataError(`cannot check the file: ${(err as Error).message}`, { file }) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, samples.length) }, worker));
  if (found.length === 0) return;
  found.sort((a, b) => a.index - b.index);
  const lines = found.map(({ index, error }) => `${samples[index].split} sample ${samples[index].id}: ${error.message}`);
  throw new SampleFilesError(
    found.map((f) => f.error),
    samples.length,
    lines,
  );
}
