/**
 * Source file → Volume, as declared by a pipeline's `input`.
 */
import { promises as fs } from 'node:fs';
import { DataError, OptionError } from '../../backend/errors.js';
import { readImage2d } from '../read-image2d.js';
import { readNifti } from '../nifti/reader.js';
import type { Volume } from '../volume.js';
import { sha1 } from './cache-files.js';
import type { InputSpec } from './pipeline.js';

/** Loads one sample as declared by `input`. */
export function loadSample(file: string, input: InputSpec): Promise<Volume> {
  if (input.kind === 'image2d') return readImage2d(file, { mode: input.mode ?? 'grey', ...(input.size ? { size: input.size } : {}) });
  return readNifti(file, { reorient: input.reorient ?? true, volumeIndex: input.volumeIndex, nonFinite: input.nonFinite ?? 'error' });
}

/**
 * The input with `DataBunchOptions.nonFinite` recorded in it (so it is saved with the pipeline and part of the cache key).
 * @throws OptionError for a bad value, an image input (no NaN there), or another value already in the input
 */
export function inputWithNonFinite(input: InputSpec, nonFinite: 'error' | 'zero' | undefined): InputSpec {
  if (nonFinite === undefined) return input;
  if (nonFinite !== 'error' && nonFinite !== 'zero') throw new OptionError('DataBunchOptions.nonFinite', `expected 'error' or 'zero', got ${JSON.stringify(nonFinite)}`);
  if (input.kind !== 'nifti') throw new OptionError('DataBunchOptions.nonFinite', `applies to NIfTI input; the input is ${input.kind}`);
  if (input.nonFinite !== undefined && input.nonFinite !== nonFinite) {
    throw new OptionError('DataBunchOptions.nonFinite', `${JSON.stringify(nonFinite)} contradicts pipeline.input.nonFinite ${JSON.stringify(input.nonFinite)}; give one`);
  }
  return { ...input, nonFinite };
}

/** Loads the mask volumes named by `mask` steps with a path (NIfTI, same orientation rule as the input). */
export async function loadMasks(steps: readonly { op: string; path?: string }[], input: InputSpec): Promise<Map<string, Volume>> {
  const masks = new Map<string, Volume>();
  for (const s of steps) {
    if (s.op === 'mask' && s.path && !masks.has(s.path)) masks.set(s.path, await readNifti(s.path, { reorient: input.kind === 'nifti' ? (input.reorient ?? true) : false }));
  }
  return masks;
}

/** sha1 of the bytes of each mask file named by a `mask` step with a path (part of the cache key). */
export async function maskDigests(steps: readonly { op: string; path?: string }[]): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  for (const s of steps) {
    if (s.op !== 'mask' || !s.path || digests.has(s.path)) continue;
    const bytes = await fs.readFile(s.path).catch((err: NodeJS.ErrnoException) => {
      throw new DataError(`mask file cannot be read (${err.code ?? String(err)})`, { file: s.path });
    });
    digests.set(s.path, sha1(bytes));
  }
  return digests;
}
