/**
 * The leakage report of a DataBunch: samples shared between its splits as byte-identical files,
 * voxel-identical samples and near-duplicates (the pair finders are in leakage.ts).
 */
import { rejectUnknownOptions } from '../../backend/errors.js';
import { sha1 } from './cache.js';
import { crossSplitPairs, DEFAULT_LEAKAGE, fileHashes, idsPairedWith, nearLeakPairs, type LeakageOptions, type LeakageReport, type LeakSample } from './leakage.js';
import { checkNearThreshold } from './near-duplicates.js';
import { scanContamination, scanNearDuplicates, type NearScan } from './near-scan.js';
import { SPLIT_NAMES, type SplitIds } from './splits.js';

/** What {@link leakageReport} looks at: the samples of a DataBunch and its splits. */
export interface LeakageInput {
  /** Every sample in sample order (the order of `nearScan`'s indices). */
  samples: ReadonlyArray<{ id: string; file: string }>;
  splits: Readonly<SplitIds>;
  /** The DataBunch's own near-duplicate scan, reused when its threshold is the one asked for. */
  nearScan?: NearScan;
  /** Reads a sample's decoded data (for `voxels`). */
  read: (id: string) => Promise<{ data: Float32Array }>;
  /** Folder of the thumbnail cache a new near-duplicate scan goes through (none: every file decoded). */
  cacheDir?: string;
  /** Receives the thumbnail cache's messages; default console.warn. */
  onWarning?: (message: string) => void;
}

/**
 * Samples shared between splits: byte-identical files, optionally voxel-identical samples and
 * near-duplicates (not counted again when identical), the test/valid ids they touch and, with
 * near-duplicates, the per-split contamination.
 * @throws OptionError for unknown options or a threshold outside [0.5, 1]
 */
export async function leakageReport(input: LeakageInput, options: LeakageOptions = {}): Promise<LeakageReport> {
  rejectUnknownOptions('LeakageOptions', options, DEFAULT_LEAKAGE);
  if (options.nearDuplicates !== undefined) rejectUnknownOptions('LeakageOptions.nearDuplicates', options.nearDuplicates, { threshold: 0 });
  const th = options.nearDuplicates ? checkNearThreshold('LeakageOptions.nearDuplicates.threshold', options.nearDuplicates.threshold) : undefined;
  const { samples, splits } = input;
  const fileOf = new Map(samples.map((s) => [s.id, s.file]));
  const list: LeakSample[] = SPLIT_NAMES.flatMap((split) => splits[split].map((id) => ({ id, file: fileOf.get(id) as string, split })));
  const bytes = crossSplitPairs(list, await fileHashes(list.map((s) => s.file)));
  const voxels: LeakageReport['voxels'] = [];
  if (options.voxels) {
    const keys: string[] = [];
    for (const s of list) {
      const { data } = await input.read(s.id);
      keys.push(sha1(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    }
    voxels.push(...crossSplitPairs(list, keys));
  }
  const scan = th === undefined ? undefined : input.nearScan?.threshold === th ? input.nearScan : await scanNearDuplicates(samples.map((s) => s.file), th, { cacheDir: input.cacheDir, ...(input.onWarning ? { onMessage: input.onWarning } : {}) });
  const identical = [...bytes, ...voxels];
  const key = (a: string, b: string): string => (a < b ? `${a}\n${b}` : `${b}\n${a}`);
  const same = new Set(identical.map((p) => key(p.a, p.b)));
  const ids = samples.map((s) => s.id);
  const near = scan ? nearLeakPairs(list, ids, scan.pairs).filter((p) => !same.has(key(p.a, p.b))) : [];
  const testDuplicates = idsPairedWith(identical, 'test', ['train', 'valid']);
  const testNearDuplicates = idsPairedWith(near, 'test', ['train', 'valid']).filter((id) => !testDuplicates.includes(id));
  const report: LeakageReport = { bytes, voxels, near, testDuplicates, testNearDuplicates, validDuplicates: idsPairedWith(identical, 'valid', ['train']) };
  if (scan) report.contamination = scanContamination(scan, ids, splits);
  return report;
}
