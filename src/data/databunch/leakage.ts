/**
 * Leakage report: samples that appear in more than one split, found by content hashes
 * (byte-identical files; voxel-identical decoded data) and by the Pearson r of small centred
 * thumbnails (near-duplicates: resized, shifted, re-encoded or re-windowed copies, neighbouring
 * slices; see near-duplicates.ts).
 */
import { promises as fs } from 'node:fs';
import type { SplitName } from '../batch.js';
import { sha1 } from './cache.js';
import type { SplitContamination } from './near-duplicates.js';

/** A pair of samples in two different splits. */
export interface LeakPair {
  a: string;
  aSplit: SplitName;
  b: string;
  bSplit: SplitName;
  /** Pearson r of the two thumbnails (near-duplicates only). */
  r?: number;
}

/** Options of a leakage report. */
export interface LeakageOptions {
  /** Also hash the decoded samples (after the cached pipeline) to find voxel-identical pairs; default false. */
  voxels?: boolean;
  /**
   * Near-duplicates: Pearson r of the centred 32 × 32 grey thumbnails (middle slice of a volume)
   * ≥ threshold, in [0.5, 1] (0.98 is the DataBunch default, whose scan is then reused); default
   * undefined (off).
   */
  nearDuplicates?: { threshold: number };
}

/** Defaults of {@link LeakageOptions}. */
export const DEFAULT_LEAKAGE: LeakageOptions = { voxels: false, nearDuplicates: undefined };

/** The leakage report. */
export interface LeakageReport {
  /** Byte-identical pairs across splits. */
  bytes: LeakPair[];
  /** Voxel-identical pairs across splits (empty unless asked). */
  voxels: LeakPair[];
  /** Near-duplicate pairs across splits that are not byte- or voxel-identical (empty unless asked). */
  near: LeakPair[];
  /** Test ids with an identical (bytes or voxels) sample in train or valid: what `dropTestDuplicates` removes. */
  testDuplicates: string[];
  /** Test ids with a near-duplicate (and no identical sample) in train or valid. */
  testNearDuplicates: string[];
  /** Valid ids with an identical sample in train. */
  validDuplicates: string[];
  /** With `nearDuplicates`: per split, the samples with a near-duplicate (identical ones included) in train. */
  contamination?: Record<'valid' | 'test', SplitContamination>;
}

/** One sample to check. */
export interface LeakSample {
  id: string;
  split: SplitName;
  file: string;
}

/** sha1 of every file, `concurrency` at a time. */
export async function fileHashes(files: readonly string[], concurrency = 8): Promise<string[]> {
  const out = new Array<string>(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      out[i] = sha1(await fs.readFile(files[i]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return out;
}

/** Pairs of samples with equal keys that sit in different splits. */
export function crossSplitPairs(samples: readonly LeakSample[], keys: readonly string[]): LeakPair[] {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => groups.set(k, [...(groups.get(k) ?? []), i]));
  const pairs: LeakPair[] = [];
  for (const members of groups.values()) {
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        const [p, q] = [samples[members[x]], samples[members[y]]];
        if (p.split !== q.split) pairs.push({ a: p.id, aSplit: p.split, b: q.id, bSplit: q.split });
      }
    }
  }
  return pairs;
}

/**
 * 64-bit difference hash (dHash) of a 2D image: area-average it to 9 × 8, then bit (r, c) is
 * 1 when pixel (r, c + 1) is brighter than pixel (r, c). Invariant to any increasing intensity
 * map (so to normalisation), robust to resizing and re-encoding.
 * @param data row-major image of `height` × `width` (one channel)
 * @returns the hash as two 32-bit halves
 */
export function dHash(data: Float32Array, height: number, width: number): [number, number] {
  const small = areaResize(data, height, width, 8, 9);
  const bits = [0, 0];
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) {
      const bit = r * 8 + c;
      if (small[r * 9 + c + 1] > small[r * 9 + c]) bits[bit >> 5] |= 1 << (bit & 31);
    }
  }
  return [bits[0] >>> 0, bits[1] >>> 0];
}

/** Hamming distance of two 64-bit hashes. */
export function hamming(a: readonly [number, number], b: readonly [number, number]): number {
  return popcount(a[0] ^ b[0]) + popcount(a[1] ^ b[1]);
}

function popcount(x: number): number {
  let v = x >>> 0;
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Area-average resize (each output pixel averages the input area it covers, with fractional weights). */
export function areaResize(data: Float32Array, h: number, w: number, oh: number, ow: number): Float32Array {
  const rowsW = weights(h, oh);
  const colsW = weights(w, ow);
  const out = new Float32Array(oh * ow);
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      let s = 0;
      let n = 0;
      for (const [i, wi] of rowsW[r]) for (const [j, wj] of colsW[c]) {
        s += data[i * w + j] * wi * wj;
        n += wi * wj;
      }
      out[r * ow + c] = s / n;
    }
  }
  return out;
}

/** For each output cell, the input indices it covers with their overlap lengths. */
function weights(n: number, m: number): Array<Array<[number, number]>> {
  const scale = n / m;
  return Array.from({ length: m }, (_, o) => {
    const lo = o * scale;
    const hi = (o + 1) * scale;
    const list: Array<[number, number]> = [];
    for (let i = Math.floor(lo); i < Math.min(n, Math.ceil(hi)); i++) list.push([i, Math.min(hi, i + 1) - Math.max(lo, i)]);
    return list;
  });
}

/**
 * Near-duplicate pairs (indices into `ids`, e.g. from nearDuplicatePairs) as LeakPairs between
 * samples of `list` that sit in different splits; samples not in `list` are skipped.
 */
export function nearLeakPairs(list: readonly LeakSample[], ids: readonly string[], pairs: ReadonlyArray<{ i: number; j: number; r: number }>): LeakPair[] {
  const split = new Map(list.map((s) => [s.id, s.split]));
  const out: LeakPair[] = [];
  for (const { i, j, r } of pairs) {
    const [a, b] = [ids[i], ids[j]];
    const [aSplit, bSplit] = [split.get(a), split.get(b)];
    if (aSplit !== undefined && bSplit !== undefined && aSplit !== bSplit) out.push({ a, aSplit, b, bSplit, r });
  }
  return out;
}

/** Ids of `split` that pair with a sample of one of `others`. */
export function idsPairedWith(pairs: readonly LeakPair[], split: SplitName, others: readonly SplitName[]): string[] {
  const out = new Set<string>();
  for (const p of pairs) {
    if (p.aSplit === split && others.includes(p.bSplit)) out.add(p.a);
    if (p.bSplit === split && others.includes(p.aSplit)) out.add(p.b);
  }
  return [...out].sort();
}
